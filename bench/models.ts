/**
 * World-model benchmarks: one training step of the probabilistic ensemble (5 members, 3 x 256
 * SiLU, β-NLL, Adam, batch 256 per member; state 24 + action 6 in, mean and log-variance of 24
 * out) and batched forward passes, on the TensorFlow.js backend in use, with the members as
 * separate 2-D layer stacks (tendon's way) and as one batched 3-D product (mbrl-lib's way); and
 * the same step and forward on PyTorch's CPU build (Debian's python3-torch) in the same run,
 * members batched with bmm as mbrl-lib does. Ratios are the comparable figures on a shared machine.
 *
 *   node --import tsx bench/models.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { initBackend, tf } from "../src/learner/tf/backend.js";
import { Adam } from "../src/learner/optimizers/Adam.js";
import { ProbabilisticEnsemble } from "../src/models/ProbabilisticEnsemble.js";
import { parseStateSpec } from "../src/models/StateLayout.js";
import { Rng } from "../src/core/rng.js";
import { printRows, type Row } from "./rows.js";

const E = 5;
const D = 24;
const A = 6;
const H = 256;
const B = 256;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(reps: number, warm: number, fn: () => void): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function makeModel(hidden: number): ProbabilisticEnsemble {
  const layout = parseStateSpec("muscle_force:*", { joints: [], muscles: Array.from({ length: D }, (_, i) => `m${i}`) });
  return new ProbabilisticEnsemble(layout, A, { members: E, hidden: [hidden, hidden, hidden], loss: "beta-nll" }, 1);
}

/** tendon's ensemble: five 2-D stacks, hand-written matMul gradient. */
function tfTrainStepMs(steps: number, hidden: number): number {
  const m = makeModel(hidden);
  const rng = new Rng(2);
  const x = Array.from({ length: E }, () => Float32Array.from({ length: B * (D + A) }, () => rng.normal()));
  const y = Array.from({ length: E }, () => Float32Array.from({ length: B * D }, () => rng.normal()));
  const ms = timeIt(steps, 3, () => m.trainStep(x, y, B));
  m.dispose();
  return ms;
}

/** The same step with the members as one batched 3-D matMul per layer and TF.js's own gradients. */
function tfTrainStep3dMs(steps: number): number {
  const rng = new Rng(3);
  const sizes = [D + A, H, H, H, 2 * D];
  const vars: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    vars.push(tf.variable(tf.tensor3d(Float32Array.from({ length: E * sizes[i] * sizes[i + 1] }, () => rng.uniform(-bound, bound)), [E, sizes[i], sizes[i + 1]])));
    vars.push(tf.variable(tf.tensor3d(Float32Array.from({ length: E * sizes[i + 1] }, () => rng.uniform(-bound, bound)), [E, 1, sizes[i + 1]])));
  }
  const adam = new Adam(vars, { learningRate: 1e-3 });
  const x = tf.randomNormal([E, B, D + A]) as tf.Tensor3D;
  const y = tf.randomNormal([E, B, D]) as tf.Tensor3D;
  const ms = timeIt(steps, 2, () => {
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor3D = x;
      for (let i = 0; i < 4; i++) {
        h = tf.add(tf.matMul(h, vars[2 * i] as tf.Tensor3D), vars[2 * i + 1]) as tf.Tensor3D;
        if (i < 3) h = tf.mul(h, tf.sigmoid(h)) as tf.Tensor3D;
      }
      const [mu, lv] = tf.split(h, 2, 2);
      const nll = tf.mul(0.5, tf.add(tf.mul(tf.square(tf.sub(y, mu)), tf.exp(tf.neg(lv))), lv));
      return tf.mean(nll) as tf.Scalar;
    }, vars);
    const g = vars.map((v) => grads[v.name]);
    adam.apply(g);
    value.dataSync();
    tf.dispose([value, ...g]);
  });
  tf.dispose([x, y, ...vars]);
  adam.dispose();
  return ms;
}

function tfForwardMs(reps: number, rowsPerMember: number, shared: boolean): number {
  const m = makeModel(H);
  const rows = shared ? rowsPerMember : rowsPerMember * E;
  const rng = new Rng(5);
  const s = Float32Array.from({ length: rows * D }, () => rng.normal());
  const a = Float32Array.from({ length: rows * A }, () => rng.normal());
  const ms = timeIt(reps, 3, () => (shared ? m.predict(s, a, rows) : m.predictRows(s, a, rows, rowsPerMember)));
  m.dispose();
  return ms;
}

const TORCH_SCRIPT = `
import time, torch
torch.manual_seed(0)
E, D, A, H, B = ${E}, ${D}, ${A}, ${H}, ${B}
sizes = [D + A, H, H, H, 2 * D]
ws = [torch.nn.Parameter(torch.randn(E, sizes[i], sizes[i+1]) / sizes[i] ** 0.5) for i in range(4)]
bs = [torch.nn.Parameter(torch.zeros(E, 1, sizes[i+1])) for i in range(4)]
opt = torch.optim.Adam(ws + bs, lr=1e-3, weight_decay=5e-5)
x = torch.randn(E, B, D + A); y = torch.randn(E, B, D)
def forward(h):
    for i in range(4):
        h = torch.baddbmm(bs[i], h, ws[i])
        if i < 3: h = torch.nn.functional.silu(h)
    mu, raw = h.split(D, dim=2)
    lv = 0.5 - torch.nn.functional.softplus(0.5 - raw)
    lv = -10 + torch.nn.functional.softplus(lv + 10)
    return mu, lv
def step():
    opt.zero_grad()
    mu, lv = forward(x)
    nll = 0.5 * ((y - mu) ** 2 * torch.exp(-lv) + lv)
    loss = (nll * torch.exp(lv * 0.5).detach()).mean() * E
    loss.backward(); opt.step()
def med(f, n):
    for _ in range(3): f()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort(); return ts[len(ts)//2]
train = med(step, STEPS)
xf = torch.randn(E, 128, D + A)
with torch.no_grad():
    fwd = med(lambda: forward(xf), FWD)
print(train, fwd, torch.__version__, torch.get_num_threads())
`;

function torchMs(steps: number, fwd: number): { train: number; forward: number; version: string; threads: number } | undefined {
  const r = spawnSync("/usr/bin/python3", ["-c", TORCH_SCRIPT.replace("STEPS", String(steps)).replace("FWD", String(fwd))], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) return undefined;
  const [train, forward, version, threads] = r.stdout.trim().split(/\s+/);
  return { train: Number(train), forward: Number(forward), version, threads: Number(threads) };
}

export async function benchModels(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const backend = await initBackend("auto");
  const rows: Row[] = [];
  const steps = quick ? 5 : 20;
  const torch = torchMs(steps, quick ? 20 : 100);
  const tfStep = tfTrainStepMs(steps, H);
  const tfStep3d = tfTrainStep3dMs(quick ? 2 : 5);
  const tfStep128 = tfTrainStepMs(steps, 128);
  const fwd128 = tfForwardMs(quick ? 20 : 100, 128, false);
  const fwd640 = tfForwardMs(quick ? 10 : 40, 640, true);
  const g = "world model";
  rows.push({ group: g, metric: `ensemble training step 5 x 3 x 256, batch 256, beta-NLL, TF.js ${backend.name} (2-D stacks)`, value: `${tfStep.toFixed(1)} ms` });
  rows.push({
    group: g,
    metric: torch ? `same step, PyTorch ${torch.version} CPU (${torch.threads} threads, bmm)` : "same step, PyTorch CPU (python3-torch not installed)",
    value: torch ? `${torch.train.toFixed(1)} ms (TF.js / PyTorch ${(tfStep / torch.train).toFixed(2)}x)` : "n/a",
    target: "TF.js <= 2x PyTorch",
    ok: torch ? tfStep / torch.train <= 2 : undefined,
  });
  rows.push({ group: g, metric: `same step, members as one batched 3-D matMul, TF.js ${backend.name}`, value: `${tfStep3d.toFixed(1)} ms (${(tfStep3d / tfStep).toFixed(1)}x the 2-D stacks)` });
  rows.push({ group: g, metric: `ensemble training step 5 x 3 x 128, batch 256, TF.js ${backend.name}`, value: `${tfStep128.toFixed(1)} ms` });
  rows.push({
    group: g,
    metric: `batched forward, 5 members x 128 particles (640 rows), 3 x 256, TF.js ${backend.name}`,
    value: `${fwd128.toFixed(2)} ms${torch ? ` (PyTorch ${torch.forward.toFixed(2)} ms, ratio ${(fwd128 / torch.forward).toFixed(2)}x)` : ""}`,
    target: "< 5 ms",
    ok: fwd128 < 5,
  });
  rows.push({ group: g, metric: `forward, 640 rows through each of 5 members, 3 x 256, TF.js ${backend.name}`, value: `${fwd640.toFixed(2)} ms` });
  return { backend: backend.name, trainStepMs: { tfjs: tfStep, tfjs3d: tfStep3d, tfjs128: tfStep128, torch: torch ?? null }, forwardMs: { members5x128: fwd128, rows640x5: fwd640 }, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchModels({ quick: process.argv.includes("--quick") });
  printRows(r.rows as Row[]);
}
