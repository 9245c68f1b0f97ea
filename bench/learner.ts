/**
 * Learner benchmarks: one MPO update (critic + actor, 2 x 256, batch 256, 20 samples) on the
 * default TensorFlow.js backend and the same update in PyTorch (bench/torchMpo.py, Debian's
 * python3-torch) in the same run; training throughput at the reference's settings with the
 * update in-process and in a worker thread; a plain 3-layer 256-wide Adam step (batch 256) on TensorFlow.js
 * and, when Debian's python3-torch is installed, on PyTorch's CPU build for comparison; and
 * environment stepping in this thread and in worker threads; policy inference at control rate
 * (the TypeScript forward pass, 6 muscles).
 *
 * Alone: `node --import tsx bench/learner.ts [--quick]`.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng } from "../src/core/rng.js";
import { Mpo } from "../src/learner/agents/Mpo.js";
import { MlpPolicy } from "../src/learner/inference/MlpPolicy.js";
import { Adam } from "../src/learner/optimizers/Adam.js";
import { ReplayBuffer } from "../src/learner/replays/ReplayBuffer.js";
import { initBackend, tf } from "../src/learner/tf/backend.js";
import { runLearn } from "../src/learner/runLearn.js";
import { createDense, applyDense, uniqueScope, layerVariables } from "../src/learner/models/Dense.js";
import { printRows, type Row } from "./rows.js";
import { ReachTask } from "../src/learner/environments/ReachTask.js";
import { VectorEnv } from "../src/learner/environments/VectorEnv.js";
import { WorkerVectorEnv } from "../src/learner/environments/WorkerVectorEnv.js";
import os from "node:os";

const OBS = 28;
const ACT = 6;

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function mpoUpdateMs(hidden: number, batch: number, rounds: number): number {
  const agent = new Mpo({ model: { actorSizes: [hidden, hidden], criticSizes: [hidden, hidden] }, replay: new ReplayBuffer({ size: 4096, batchSize: batch, batchIterations: 2, stepsBeforeBatches: 0 }) });
  agent.initialize({ observationSize: OBS, actionSize: ACT, workers: 1 }, 1);
  const rng = new Rng(2);
  const o = new Float64Array(OBS);
  const a = new Float64Array(ACT);
  for (let i = 0; i < 2048; i++) {
    for (let k = 0; k < OBS; k++) o[k] = rng.normal();
    for (let k = 0; k < ACT; k++) a[k] = rng.uniform(-1, 1);
    agent.replay.store(o, a, o, [rng.normal()], [0], [0]);
  }
  agent.updateRound(); // warm-up (kernel set-up)
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    agent.updateRound();
    times.push((performance.now() - t0) / agent.replay.batchIterations);
  }
  agent.dispose();
  return median(times);
}

function tfAdamStepMs(steps: number): number {
  const rng = new Rng(3);
  const scope = uniqueScope("bench");
  const layers = [createDense(scope, "l0", OBS + ACT, 256, rng), createDense(scope, "l1", 256, 256, rng), createDense(scope, "l2", 256, 256, rng), createDense(scope, "out", 256, 1, rng)];
  const vars = layerVariables(layers);
  const adam = new Adam(vars, { learningRate: 3e-4 });
  const x = tf.randomNormal([256, OBS + ACT]) as tf.Tensor2D;
  const y = tf.randomNormal([256, 1]);
  const step = (): void => {
    const { value, grads } = tf.variableGrads(() => {
      let h = x;
      for (let i = 0; i < layers.length; i++) h = applyDense(layers[i], h, i < layers.length - 1 ? "relu" : "none");
      return tf.mean(tf.square(tf.sub(h, y))) as tf.Scalar;
    }, vars);
    const g = vars.map((v) => grads[v.name]);
    adam.apply(g);
    value.dataSync();
    tf.dispose([value, ...g]);
  };
  for (let i = 0; i < 3; i++) step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  tf.dispose([x, y, ...vars]);
  adam.dispose();
  return median(times);
}

const TORCH_SCRIPT = `
import time, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(${OBS + ACT},256), torch.nn.ReLU(), torch.nn.Linear(256,256), torch.nn.ReLU(), torch.nn.Linear(256,256), torch.nn.ReLU(), torch.nn.Linear(256,1))
opt = torch.optim.Adam(net.parameters(), lr=3e-4)
x = torch.randn(256, ${OBS + ACT}); y = torch.randn(256, 1)
def step():
    opt.zero_grad(); loss = ((net(x) - y) ** 2).mean(); loss.backward(); opt.step()
for _ in range(5): step()
ts = []
for _ in range(STEPS):
    t = time.perf_counter(); step(); ts.append((time.perf_counter() - t) * 1000)
ts.sort(); print(ts[len(ts)//2], torch.__version__, torch.get_num_threads())
`;

/** PyTorch's CPU build through Debian's python3 (python3-torch), when present. */
function torchAdamStepMs(steps: number): { ms: number; version: string; threads: number } | undefined {
  const r = spawnSync("/usr/bin/python3", ["-c", TORCH_SCRIPT.replace("STEPS", String(steps))], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) return undefined;
  const [ms, version, threads] = r.stdout.trim().split(/\s+/);
  return { ms: Number(ms), version, threads: Number(threads) };
}

/** The same MPO update (bench/torchMpo.py) in Debian's python3-torch, when present: median ms per update. */
function torchMpoUpdateMs(hidden: number, batch: number, rounds: number, threadCount?: number): { ms: number; version: string; threads: number } | undefined {
  const script = fileURLToPath(new URL("./torchMpo.py", import.meta.url));
  const r = spawnSync("/usr/bin/python3", [script, String(hidden), String(batch), String(rounds), ...(threadCount ? [String(threadCount)] : [])], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) return undefined;
  const [ms, version, threads] = r.stdout.trim().split(/\s+/);
  return { ms: Number(ms), version, threads: Number(threads) };
}

/**
 * Training throughput at the reference's settings (depRL's MyoSuite schedule at 2 x 256: batch
 * 256, 30 updates every 1000 environment steps, 3-step returns; 4 environments), DEP-RL on the
 * reach task: environment steps and updates per second from the first step to the last update,
 * with the update in-process or in its own worker thread.
 */
async function trainingThroughput(steps: number, learnerWorker: boolean, envWorkers = 0): Promise<{ stepsPerSec: number; updatesPerSec: number; updates: number; sec: number }> {
  let t0 = 0;
  const r = await runLearn({
    mode: "dep-rl",
    steps,
    seed: 0,
    envs: 4,
    hiddenSizes: [256, 256],
    batchSize: 256,
    batchIterations: 30,
    stepsBetweenBatches: 1000,
    stepsBeforeBatches: 1000,
    returnSteps: 3,
    epochSteps: steps,
    testEpisodes: 1,
    learnerWorker,
    envWorkers,
    onStart: () => (t0 = performance.now()),
  });
  const sec = (performance.now() - t0) / 1000;
  return { stepsPerSec: steps / sec, updatesPerSec: r.updates / sec, updates: r.updates, sec };
}

/**
 * Environment stepping alone (random actions, no learning): 4 reach environments in this thread
 * (VectorEnv) against the same 4 in `workers` worker threads (WorkerVectorEnv), steps/s.
 */
async function envStepsPerSec(steps: number, workers: number): Promise<number> {
  const options = { model: "arm2j6m", seed: 0, rateHz: 50 };
  const envs = workers > 0 ? await WorkerVectorEnv.create(4, { ...options, task: {}, workers }) : await VectorEnv.create(4, { ...options, task: new ReachTask() });
  try {
    const rng = new Rng(5);
    const actions = new Float64Array(4 * envs.actionSize);
    envs.start();
    for (let t = 0; t < 50; t++) envs.step(actions);
    const t0 = performance.now();
    for (let t = 0; t < steps / 4; t++) {
      for (let i = 0; i < actions.length; i++) actions[i] = rng.uniform(-1, 1);
      envs.step(actions);
    }
    return steps / ((performance.now() - t0) / 1000);
  } finally {
    await envs.close();
  }
}

function inferenceUs(hidden: number, ticks: number): { median: number; p99: number } {
  const agent = new Mpo({ model: { actorSizes: [hidden, hidden], criticSizes: [8] }, replay: new ReplayBuffer({ size: 8 }) });
  agent.initialize({ observationSize: OBS, actionSize: ACT, workers: 1 }, 1);
  const policy = MlpPolicy.from(agent.snapshot());
  agent.dispose();
  const rng = new Rng(4);
  const obs = new Float64Array(OBS);
  const out = new Float64Array(ACT);
  const times: number[] = [];
  for (let t = 0; t < ticks; t++) {
    for (let k = 0; k < OBS; k++) obs[k] = rng.normal();
    const t0 = performance.now();
    policy.sample(obs, rng, out);
    times.push((performance.now() - t0) * 1000);
  }
  const warm = times.slice(Math.floor(ticks / 10)).sort((a, b) => a - b);
  return { median: warm[Math.floor(warm.length / 2)], p99: warm[Math.floor(warm.length * 0.99)] };
}

export async function benchLearner(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const backend = await initBackend("auto");
  const rows: Row[] = [];
  const update256 = mpoUpdateMs(256, 256, quick ? 2 : 5);
  const update64 = mpoUpdateMs(64, 100, quick ? 2 : 5);
  rows.push({ group: "learner", metric: `MPO update (critic + actor), 2 x 256, batch 256, ${backend.name}`, value: `${update256.toFixed(1)} ms (${(1000 / update256).toFixed(1)} updates/s)` });
  rows.push({ group: "learner", metric: `MPO update, 2 x 64, batch 100 (tendon learn's default), ${backend.name}`, value: `${update64.toFixed(1)} ms (${(1000 / update64).toFixed(1)} updates/s)` });
  const tfStep = tfAdamStepMs(quick ? 10 : 40);
  rows.push({ group: "learner", metric: `3-layer 256 Adam step, batch 256, TF.js ${backend.name}`, value: `${tfStep.toFixed(1)} ms` });
  const torch = torchAdamStepMs(quick ? 10 : 40);
  rows.push({
    group: "learner",
    metric: torch ? `same step, PyTorch ${torch.version} CPU (${torch.threads} threads)` : "same step, PyTorch CPU (python3-torch not installed: reference figure)",
    value: torch ? `${torch.ms.toFixed(1)} ms (TF.js / PyTorch ${(tfStep / torch.ms).toFixed(2)}x)` : "about 28 ms (earlier measurement on this machine)",
  });
  // Like for like: TF.js's wasm backend runs on one thread, so PyTorch on one thread; and on its default (every core).
  const torchMpo1 = torchMpoUpdateMs(256, 256, quick ? 2 : 5, 1);
  const torchMpo = torchMpoUpdateMs(256, 256, quick ? 2 : 5);
  // Where PyTorch's default is one thread already, the second row would repeat the first.
  for (const t of torchMpo && torchMpo1 && torchMpo.threads === torchMpo1.threads ? [torchMpo1] : [torchMpo1, torchMpo]) {
    rows.push({
      group: "learner",
      metric: t ? `same MPO update, 2 x 256, batch 256, 20 action samples, PyTorch ${t.version} CPU (${t.threads} thread${t.threads > 1 ? "s" : ""}, Debian python3-torch)` : "same MPO update, PyTorch CPU (python3-torch not installed)",
      value: t ? `${t.ms.toFixed(1)} ms (TF.js / PyTorch ${(update256 / t.ms).toFixed(2)}x, measured in this run)` : "n/a",
    });
  }
  const envSteps = quick ? 2000 : 8000;
  const envSerial = await envStepsPerSec(envSteps, 0);
  const envWorkers = await envStepsPerSec(envSteps, 2);
  rows.push({ group: "learner", metric: `environment steps alone, 4 reach envs in this thread (VectorEnv), ${os.availableParallelism()} cores`, value: `${envSerial.toFixed(0)} steps/s` });
  rows.push({ group: "learner", metric: "the same 4 envs in 2 worker threads (WorkerVectorEnv, 2 envs each; same run)", value: `${envWorkers.toFixed(0)} steps/s (${(envWorkers / envSerial).toFixed(2)}x one thread)` });
  const trainSteps = quick ? 3000 : 8000;
  const seq = await trainingThroughput(trainSteps, false);
  const par = await trainingThroughput(trainSteps, true);
  const both = await trainingThroughput(trainSteps, true, 2);
  const projection = (x: { stepsPerSec: number }): string => `${(1e6 / x.stepsPerSec / 60).toFixed(0)} min per 10^6 steps`;
  rows.push({ group: "learner", metric: `training, reference settings (2 x 256, batch 256, 30 updates / 1000 steps), 4 envs, update in-process (${trainSteps} steps)`, value: `${seq.stepsPerSec.toFixed(0)} steps/s, ${seq.updatesPerSec.toFixed(2)} updates/s (${projection(seq)})` });
  rows.push({
    group: "learner",
    metric: "the same, MPO update in its own worker thread (same run, same machine load)",
    value: `${par.stepsPerSec.toFixed(0)} steps/s, ${par.updatesPerSec.toFixed(2)} updates/s (${projection(par)}; ${(par.stepsPerSec / seq.stepsPerSec).toFixed(2)}x in-process)`,
  });
  rows.push({
    group: "learner",
    metric: "the same, update in its worker and the 4 envs in 2 environment workers (--learner-worker --env-workers 2)",
    value: `${both.stepsPerSec.toFixed(0)} steps/s, ${both.updatesPerSec.toFixed(2)} updates/s (${projection(both)}; ${(both.stepsPerSec / seq.stepsPerSec).toFixed(2)}x in-process)`,
  });
  const inf256 = inferenceUs(256, quick ? 2000 : 20000);
  const inf64 = inferenceUs(64, quick ? 2000 : 20000);
  rows.push({ group: "learner", metric: "policy inference per tick, 6 muscles, 2 x 256 (median, p99)", value: `${(inf256.median / 1000).toFixed(4)} ms (${(inf256.p99 / 1000).toFixed(4)} ms)`, target: "<= 0.2 ms (median)", ok: inf256.median / 1000 <= 0.2 });
  rows.push({ group: "learner", metric: "policy inference per tick, 6 muscles, 2 x 64 (median, p99)", value: `${(inf64.median / 1000).toFixed(4)} ms (${(inf64.p99 / 1000).toFixed(4)} ms)`, target: "<= 0.2 ms (median)", ok: inf64.median / 1000 <= 0.2 });
  return {
    backend: backend.name,
    mpoUpdateMs: { h256b256: update256, h64b100: update64 },
    adamStep256Ms: { tfjs: tfStep, torch: torch ?? null, torchReferenceMs: 28 },
    mpoUpdateTorchMs: torchMpo ?? null,
    mpoUpdateTorch1ThreadMs: torchMpo1 ?? null,
    envStepsPerSec: { vectorEnv: envSerial, workerVectorEnv2: envWorkers, cores: os.availableParallelism() },
    training: { inProcess: seq, learnerWorker: par, learnerAndEnvWorkers: both },
    inferenceUs: { h256: inf256, h64: inf64 },
    rows,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchLearner({ quick: process.argv.includes("--quick") });
  printRows(r.rows as Row[]);
}
