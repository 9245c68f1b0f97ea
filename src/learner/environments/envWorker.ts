/**
 * An environment worker of `WorkerVectorEnv`: a slice of the reach environments in its own
 * thread, stepped on command through shared memory (no message per step). It waits on its
 * control word with `Atomics.wait`, runs the command (start or step) on its environments, writes
 * their results into the shared arrays at their environments' offsets, and signals done.
 */
import { workerData, parentPort } from "node:worker_threads";
import { ReachEnv } from "./ReachEnv.js";
import { ReachTask } from "./ReachTask.js";
import { CONTROL, ENV_COMMAND, type EnvWorkerData } from "./envWorkerProtocol.js";

const d = workerData as EnvWorkerData;
const port = parentPort!;
const ctrl = new Int32Array(d.control);
const actions = new Float64Array(d.buffers.actions);
const observations = new Float64Array(d.buffers.observations);
const nextObservations = new Float64Array(d.buffers.nextObservations);
const rewards = new Float64Array(d.buffers.rewards);
const resets = new Uint8Array(d.buffers.resets);
const terminations = new Uint8Array(d.buffers.terminations);
const solved = new Uint8Array(d.buffers.solved);
const distances = new Float64Array(d.buffers.distances);
const muscleStates = new Float64Array(d.buffers.muscleStates);

const envs: ReachEnv[] = [];
try {
  const task = new ReachTask(d.task);
  for (let k = 0; k < d.count; k++) {
    envs.push(await ReachEnv.create({ model: d.model, task, seed: d.seed * 1000 + d.first + k, rateHz: d.rateHz, depForceScale: d.depForceScale }));
  }
  port.postMessage({ type: "ready", observationSize: envs[0].observationSize, actionSize: envs[0].actionSize });
} catch (err) {
  port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const O = envs[0].observationSize;
const A = envs[0].actionSize;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CONTROL.seq, seen);
  seen = Atomics.load(ctrl, CONTROL.seq);
  const command = Atomics.load(ctrl, CONTROL.command);
  if (command === ENV_COMMAND.stop) break;
  try {
    for (let k = 0; k < envs.length; k++) {
      const i = d.first + k;
      const env = envs[k];
      if (command === ENV_COMMAND.start) {
        env.reset(observations, i * O);
      } else {
        const r = env.step(actions, nextObservations, i * A, i * O);
        rewards[i] = r.reward;
        resets[i] = r.reset ? 1 : 0;
        terminations[i] = r.terminated ? 1 : 0;
        solved[i] = r.solved ? 1 : 0;
        distances[i] = r.distanceM;
        if (r.reset) env.reset(observations, i * O);
        else observations.set(nextObservations.subarray(i * O, i * O + O), i * O);
      }
      env.muscleStates(muscleStates, i * A);
    }
  } catch (err) {
    Atomics.store(ctrl, CONTROL.failed, 1);
    port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
  Atomics.store(ctrl, CONTROL.done, seen);
  Atomics.notify(ctrl, CONTROL.done);
}
await Promise.all(envs.map((e) => e.close()));
port.close();
