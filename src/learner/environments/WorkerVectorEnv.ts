/**
 * Reach environments stepped in parallel in worker threads, each worker with several MuJoCo
 * environments: the same interface, layout, seeds and results as `VectorEnv` (environment i
 * seeded seed·1000 + i, reset at once when its episode ends), so the trainer takes either.
 *
 * A step does not go through messages: the actions are written into shared memory, each worker
 * is woken through its control word (`Atomics.notify`), steps its environments and writes their
 * observations, rewards and boundaries into the shared arrays, and the caller waits
 * (`Atomics.wait`, a blocked thread uses no CPU) until every worker is done. `step` stays
 * synchronous, as `VectorEnv.step` is. A worker that fails or stops answering (30 s) makes `step`
 * throw with its message.
 */
import { Worker } from "node:worker_threads";
import { workerEntry } from "../split/WorkerLearner.js";
import { ReachEnv } from "./ReachEnv.js";
import { ReachTask, type ReachTaskOptions } from "./ReachTask.js";
import type { VectorStep } from "./VectorEnv.js";
import { CONTROL, CONTROL_SLOTS, ENV_COMMAND, type EnvBuffers, type EnvWorkerData } from "./envWorkerProtocol.js";

export interface WorkerVectorEnvOptions {
  readonly model: string;
  readonly task: ReachTaskOptions;
  readonly seed: number;
  readonly rateHz?: number;
  readonly depForceScale?: number;
  /** Worker threads; the environments are split among them as evenly as possible. */
  readonly workers: number;
  /** How long a step may take before the workers count as stalled (default 30 s). */
  readonly timeoutSec?: number;
}

/** The environments a worker steps: as even a split as `count` over `workers` allows. */
export function splitEnvironments(count: number, workers: number): { first: number; count: number }[] {
  const w = Math.max(1, Math.min(workers, count));
  const out: { first: number; count: number }[] = [];
  let first = 0;
  for (let k = 0; k < w; k++) {
    const n = Math.floor(count / w) + (k < count % w ? 1 : 0);
    out.push({ first, count: n });
    first += n;
  }
  return out;
}

function defaultScript(): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./envWorker${ext}`, import.meta.url);
}

export class WorkerVectorEnv {
  readonly count: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly workers: number;
  readonly #threads: Worker[];
  readonly #controls: Int32Array[];
  readonly #actions: Float64Array;
  readonly #out: VectorStep;
  readonly #timeoutMs: number;
  #seq = 0;
  #errors: string[] = [];
  #closed = false;

  private constructor(count: number, O: number, A: number, threads: Worker[], controls: Int32Array[], buffers: EnvBuffers, timeoutMs: number) {
    this.count = count;
    this.observationSize = O;
    this.actionSize = A;
    this.workers = threads.length;
    this.#threads = threads;
    this.#controls = controls;
    this.#timeoutMs = timeoutMs;
    this.#actions = new Float64Array(buffers.actions);
    this.#out = {
      observations: new Float64Array(buffers.observations),
      nextObservations: new Float64Array(buffers.nextObservations),
      rewards: new Float64Array(buffers.rewards),
      resets: new Uint8Array(buffers.resets),
      terminations: new Uint8Array(buffers.terminations),
      solved: new Uint8Array(buffers.solved),
      distancesM: new Float64Array(buffers.distances),
      muscleStates: new Float64Array(buffers.muscleStates),
    };
    threads.forEach((t) => t.on("message", (m: { type: string; message?: string }) => m.type === "error" && this.#errors.push(m.message ?? "")));
  }

  /** `count` environments in `options.workers` threads; resolves once every worker has built its environments. */
  static async create(count: number, options: WorkerVectorEnvOptions): Promise<WorkerVectorEnv> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`environment count must be an integer >= 1, got ${count}`);
    // The sizes, from one environment built here (the shared arrays are made before the workers start).
    const probe = await ReachEnv.create({ model: options.model, task: new ReachTask(options.task), seed: 0, rateHz: options.rateHz });
    const O = probe.observationSize;
    const A = probe.actionSize;
    await probe.close();
    const f64 = (n: number): SharedArrayBuffer => new SharedArrayBuffer(8 * n);
    const buffers: EnvBuffers = {
      actions: f64(count * A),
      observations: f64(count * O),
      nextObservations: f64(count * O),
      rewards: f64(count),
      resets: new SharedArrayBuffer(count),
      terminations: new SharedArrayBuffer(count),
      solved: new SharedArrayBuffer(count),
      distances: f64(count),
      muscleStates: f64(count * A),
    };
    const threads: Worker[] = [];
    const controls: Int32Array[] = [];
    try {
      await Promise.all(
        splitEnvironments(count, options.workers).map((slice) => {
          const control = new SharedArrayBuffer(4 * CONTROL_SLOTS);
          const data: EnvWorkerData = { model: options.model, task: options.task, seed: options.seed, rateHz: options.rateHz, depForceScale: options.depForceScale, ...slice, control, buffers };
          const worker = new Worker(workerEntry(defaultScript()), { workerData: data });
          threads.push(worker);
          controls.push(new Int32Array(control));
          return new Promise<void>((resolve, reject) => {
            worker.once("message", (m: { type: string; message?: string }) => (m.type === "ready" ? resolve() : reject(new Error(`environment worker: ${m.message}`))));
            worker.once("error", reject);
          });
        }),
      );
    } catch (err) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw err;
    }
    return new WorkerVectorEnv(count, O, A, threads, controls, buffers, (options.timeoutSec ?? 30) * 1000);
  }

  #run(command: number): VectorStep {
    if (this.#closed) throw new Error("WorkerVectorEnv: closed");
    const seq = ++this.#seq;
    for (const c of this.#controls) {
      Atomics.store(c, CONTROL.command, command);
      Atomics.store(c, CONTROL.seq, seq);
      Atomics.notify(c, CONTROL.seq);
    }
    for (const [k, c] of this.#controls.entries()) {
      const started = performance.now();
      for (;;) {
        const done = Atomics.load(c, CONTROL.done);
        if (done === seq) break;
        const left = this.#timeoutMs - (performance.now() - started);
        if (left <= 0) throw new Error(`environment worker ${k} did not answer for ${(this.#timeoutMs / 1000).toFixed(0)} s`);
        Atomics.wait(c, CONTROL.done, done, left);
      }
      if (Atomics.load(c, CONTROL.failed)) throw new Error(`environment worker ${k} failed${this.#errors.length ? `: ${this.#errors[0]}` : ""}`);
    }
    return this.#out;
  }

  /** Resets every environment; returns the reused result object (shared arrays) with the first observations and muscle states. */
  start(): VectorStep {
    return this.#run(ENV_COMMAND.start);
  }

  /** Steps every environment with its slice of `actions` (E x A), all workers at once. The result object is reused. */
  step(actions: ArrayLike<number>): VectorStep {
    const a = this.#actions;
    for (let i = 0; i < a.length; i++) a[i] = actions[i];
    return this.#run(ENV_COMMAND.step);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exits = this.#threads.map((t) => new Promise((r) => t.once("exit", r)));
    for (const c of this.#controls) {
      Atomics.store(c, CONTROL.command, ENV_COMMAND.stop);
      Atomics.add(c, CONTROL.seq, 1);
      Atomics.notify(c, CONTROL.seq);
    }
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000))]);
    await Promise.all(this.#threads.map((t) => t.terminate()));
  }
}
