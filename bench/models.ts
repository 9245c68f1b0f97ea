/**
 * World-model benchmarks: one training step of the probabilistic ensemble (5 members, 3 x 256
 * SiLU, β-NLL, Adam, batch 256 per member; state 24 + action 6 in, mean and log-variance of 24
 * out) and batched forward passes, on the TensorFlow.js backend in use, with the members as
 * separate 2-D layer stacks (tendon's way) and as one batched 3-D product (mbrl-lib's way); and
 * the same step and forward on PyTorch's CPU build (Debian's python3-torch) in the same run,
 * members batched with bmm as mbrl-lib does. The 5 x 128 forward is also timed the ways it could
 * be done (the model's previous path, a batched 3-D matMul, einsum, a plain JavaScript loop), on the
 * same weights. Ratios are the comparable figures on a shared machine.
 *
 *   node --import tsx bench/models.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { initBackend, tf } from "../src/learner/tf/backend.js";
import { Adam } from "../src/learner/optimizers/Adam.js";
import { matMul } from "../src/learner/models/Dense.js";
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

/** Member weights as tensors: per member, per layer [kernel [in x out], bias [out]]. */
function memberTensors(m: ProbabilisticEnsemble): { kernels: tf.Tensor2D[][]; biases: tf.Tensor1D[][]; raw: Float32Array[][] } {
  const raw = m.weights();
  const sizes = [D + A, H, H, H, 2 * D];
  const kernels = raw.map((arrays) => sizes.slice(0, -1).map((n, i) => tf.tensor2d(arrays[2 * i], [n, sizes[i + 1]])));
  const biases = raw.map((arrays) => sizes.slice(0, -1).map((_, i) => tf.tensor1d(arrays[2 * i + 1])));
  return { kernels, biases, raw };
}

/** SiLU with a hand-written gradient, as the model's differentiable path has it. */
const siluWithGrad = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = tf.sigmoid(x);
  save([x, s]);
  return { value: tf.mul(x, s), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.mul(saved[1], tf.add(1, tf.mul(saved[0], tf.sub(1, saved[1])))))] };
}) as never) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * The 5 x 128 forward done other ways, on the same weights and inputs as `predictRows`:
 * - "previous": the path `predictRows` took before (the differentiable layers: gradient-wrapped
 *   matMul and SiLU inside `tf.tidy`, the log-variance bounds as tensor ops, two reads a member);
 * - "bmm": one batched 3-D matMul per layer, [E, 128, in] x [E, in, out], as mbrl-lib does;
 * - "einsum": "ebi,eio->ebo" (undefined where the backend has no Einsum kernel);
 * - "js": a plain loop over Float32Arrays (no TF.js).
 */
function forwardVariantsMs(reps: number): Record<"default" | "previous" | "bmm" | "js", number> & { einsum: number | undefined } {
  const m = makeModel(H);
  const rng = new Rng(5);
  const rows = 128;
  const inDim = D + A;
  const x = Float32Array.from({ length: E * rows * inDim }, () => rng.normal());
  const { kernels, biases, raw } = memberTensors(m);
  const previous = (): void => {
    const inputs = Array.from({ length: E }, (_, e) => tf.tensor2d(x.subarray(e * rows * inDim, (e + 1) * rows * inDim), [rows, inDim]));
    const outs = tf.tidy(() =>
      inputs.map((input, e) => {
        let h = input;
        for (let i = 0; i < 3; i++) h = siluWithGrad(tf.add(matMul(h, kernels[e][i]), biases[e][i]) as tf.Tensor2D);
        const out = tf.add(matMul(h, kernels[e][3]), biases[e][3]) as tf.Tensor2D;
        const [mean, rawLv] = tf.split(out, [D, D], 1);
        let lv = tf.sub(0.5, tf.softplus(tf.sub(0.5, rawLv)));
        lv = tf.add(-10, tf.softplus(tf.sub(lv, -10)));
        return [mean, lv];
      }),
    );
    for (const [mean, lv] of outs) {
      mean.dataSync();
      lv.dataSync();
    }
    tf.dispose([...inputs, ...outs.flat()]);
  };
  const k3 = [0, 1, 2, 3].map((i) => tf.stack(kernels.map((k) => k[i])) as tf.Tensor3D);
  const b3 = [0, 1, 2, 3].map((i) => tf.stack(biases.map((b) => b[i].reshape([1, -1]))) as tf.Tensor3D);
  const batched = (product: (h: tf.Tensor3D, w: tf.Tensor3D) => tf.Tensor3D) => (): void => {
    const input = tf.tensor3d(x, [E, rows, inDim]);
    const out = tf.tidy(() => {
      let h = input;
      for (let i = 0; i < 3; i++) {
        h = tf.add(product(h, k3[i]), b3[i]);
        h = tf.mul(h, tf.sigmoid(h));
      }
      return tf.add(product(h, k3[3]), b3[3]);
    });
    out.dataSync();
    tf.dispose([input, out]);
  };
  const sizes = [inDim, H, H, H, 2 * D];
  const buffers = [new Float32Array(rows * H), new Float32Array(rows * H), new Float32Array(rows * 2 * D)];
  const js = (): void => {
    for (let e = 0; e < E; e++) {
      let src = x.subarray(e * rows * inDim, (e + 1) * rows * inDim);
      for (let i = 0; i < 4; i++) {
        const n = sizes[i];
        const o = sizes[i + 1];
        const dst = i === 3 ? buffers[2] : buffers[i & 1];
        const w = raw[e][2 * i];
        const b = raw[e][2 * i + 1];
        for (let r = 0; r < rows; r++) {
          const row = r * o;
          dst.set(b, row);
          for (let k = 0; k < n; k++) {
            const v = src[r * n + k];
            const wk = k * o;
            for (let j = 0; j < o; j++) dst[row + j] += v * w[wk + j];
          }
          if (i < 3) for (let j = 0; j < o; j++) dst[row + j] /= 1 + Math.exp(-dst[row + j]);
        }
        src = dst;
      }
    }
  };
  let einsum: number | undefined;
  try {
    einsum = timeIt(Math.max(2, reps / 10), 1, batched((h, w) => tf.einsum("ebi,eio->ebo", h, w) as tf.Tensor3D));
  } catch {
    einsum = undefined; // no Einsum kernel on this backend
  }
  // The default and the previous path take turns, a few calls each, so that a change of load on
  // a shared machine falls on both: the figures are medians over the rounds.
  const states = Float32Array.from({ length: E * rows * D }, () => rng.normal());
  const actions = Float32Array.from({ length: E * rows * A }, () => rng.normal());
  const byDefault = (): void => void m.predictRows(states, actions, E * rows, rows);
  const rounds = { default: [] as number[], previous: [] as number[] };
  for (let r = 0; r < Math.max(4, reps / 5); r++) {
    rounds.default.push(timeIt(5, 1, byDefault));
    rounds.previous.push(timeIt(5, 1, previous));
  }
  const result = {
    default: median(rounds.default),
    previous: median(rounds.previous),
    bmm: timeIt(Math.max(2, reps / 10), 1, batched((h, w) => tf.matMul(h, w))),
    einsum,
    js: timeIt(Math.max(2, reps / 20), 1, js),
  };
  tf.dispose([...kernels.flat(), ...biases.flat(), ...k3, ...b3]);
  m.dispose();
  return result;
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
  const variants = forwardVariantsMs(quick ? 20 : 100);
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
  const vs = (ms: number): string => `${ms.toFixed(2)} ms (${(ms / variants.default).toFixed(2)}x the default)`;
  rows.push({ group: g, metric: "  same forward, default path, in turns with the previous one (median of rounds)", value: `${variants.default.toFixed(2)} ms` });
  rows.push({ group: g, metric: "  same forward, previous path (gradient-wrapped layers in tf.tidy, bounds as tensor ops)", value: vs(variants.previous) });
  rows.push({ group: g, metric: "  same forward, one batched 3-D matMul per layer [5, 128, in] x [5, in, out]", value: vs(variants.bmm) });
  rows.push({ group: g, metric: "  same forward, einsum ebi,eio->ebo", value: variants.einsum === undefined ? `n/a (no Einsum kernel on ${backend.name})` : vs(variants.einsum) });
  rows.push({ group: g, metric: "  same forward, plain JavaScript loop over Float32Arrays", value: vs(variants.js) });
  rows.push({ group: g, metric: `forward, 640 rows through each of 5 members, 3 x 256, TF.js ${backend.name}`, value: `${fwd640.toFixed(2)} ms` });
  return {
    backend: backend.name,
    trainStepMs: { tfjs: tfStep, tfjs3d: tfStep3d, tfjs128: tfStep128, torch: torch ?? null },
    forwardMs: { members5x128: fwd128, members5x128InTurns: variants.default, previous: variants.previous, bmm: variants.bmm, einsum: variants.einsum ?? null, js: variants.js, rows640x5: fwd640 },
    rows,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchModels({ quick: process.argv.includes("--quick") });
  printRows(r.rows as Row[]);
}
