/**
 * Where a PlannerController's plans are computed. Three backends behind one interface:
 *
 * - `InlineBackend`: plans inside `request`, i.e. inside the tick. Deterministic; for lockstep
 *   runs, where the simulation waits anyway. In real time a plan longer than the period overruns.
 * - `BetweenTicksBackend`: plans on the loop's thread, scheduled with setImmediate right after
 *   the tick that asked; the tick itself stays short, but a plan longer than the period delays
 *   the next tick (JavaScript cannot interrupt it), which the loop counts as an overrun.
 * - `WorkerBackend`: plans in a worker thread holding its own model (planWorker.ts); the loop's
 *   thread only posts the start state (a few hundred bytes) and picks up finished plans, so ticks
 *   stay on time whatever the plan costs. The default for real-time runs.
 *
 * A plan that throws becomes a `FinishedPlan` with `error`: the controller answers with the safe
 * command and counts it; the loop never sees the exception.
 */
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EnsembleState } from "../models/ProbabilisticEnsemble.js";
import type { PlanFunction, PlanSetup } from "./planSetup.js";

export interface FinishedPlan {
  /** The planned actions [horizon x actionDim] and predicted states [horizon x stateDim]. */
  readonly sequence: Float32Array;
  readonly states: Float32Array;
  readonly cost: number;
  readonly disagreement: number;
  readonly rollouts: number;
  /** Loop time (s) of the state the plan started from. */
  readonly startSec: number;
  readonly planMs: number;
  readonly error?: string;
}

export interface PlanBackend {
  readonly kind: PlanBackendKind;
  /** True while a plan is being computed (a new request would be refused). */
  readonly busy: boolean;
  /** Starts a plan from `start` (copied before returning) at loop time `startSec`. */
  request(start: Float64Array, startSec: number): void;
  /** The newest finished plan not taken yet. */
  take(): FinishedPlan | undefined;
  close(): Promise<void>;
}

export type PlanBackendKind = "inline" | "between-ticks" | "worker";
export const PLAN_BACKENDS: readonly PlanBackendKind[] = ["inline", "between-ticks", "worker"];

/** Runs `fn` and turns what it returns or throws into a FinishedPlan. */
function runPlan(fn: PlanFunction, start: Float64Array, startSec: number): FinishedPlan {
  const t0 = performance.now();
  try {
    const r = fn.plan(start, startSec);
    return { sequence: r.sequence, states: r.states, cost: r.cost, disagreement: r.disagreement, rollouts: r.rollouts, startSec, planMs: performance.now() - t0 };
  } catch (err) {
    return { sequence: new Float32Array(0), states: new Float32Array(0), cost: Number.NaN, disagreement: Number.NaN, rollouts: 0, startSec, planMs: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
  }
}

export class InlineBackend implements PlanBackend {
  readonly kind = "inline";
  readonly busy = false;
  readonly #fn: PlanFunction;
  #done: FinishedPlan | undefined;

  constructor(fn: PlanFunction) {
    this.#fn = fn;
  }

  request(start: Float64Array, startSec: number): void {
    this.#done = runPlan(this.#fn, start, startSec);
  }

  take(): FinishedPlan | undefined {
    const d = this.#done;
    this.#done = undefined;
    return d;
  }

  async close(): Promise<void> {
    this.#fn.close();
  }
}

export class BetweenTicksBackend implements PlanBackend {
  readonly kind = "between-ticks";
  readonly #fn: PlanFunction;
  readonly #start: Float64Array;
  #busy = false;
  #closed = false;
  #done: FinishedPlan | undefined;

  constructor(fn: PlanFunction) {
    this.#fn = fn;
    this.#start = new Float64Array(fn.startSize);
  }

  get busy(): boolean {
    return this.#busy;
  }

  request(start: Float64Array, startSec: number): void {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    this.#start.set(start);
    setImmediate(() => {
      if (!this.#closed) this.#done = runPlan(this.#fn, this.#start, startSec);
      this.#busy = false;
    });
  }

  take(): FinishedPlan | undefined {
    const d = this.#done;
    this.#done = undefined;
    return d;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#fn.close();
  }
}

type WorkerReply =
  | { type: "ready"; startSize: number }
  | { type: "plan"; plan: FinishedPlan }
  | { type: "model"; version: number; error?: string }
  | { type: "error"; message: string };

/** What became of the model versions sent to a planning worker (`WorkerBackend.loadModel`). */
export interface ModelLoads {
  /** Versions loaded, and the newest of them (NaN before the first). */
  loaded: number;
  version: number;
  /** Versions refused (they did not fit the model), with the last reason. */
  refused: number;
  lastError: string | undefined;
}

export class WorkerBackend implements PlanBackend {
  readonly kind = "worker";
  readonly #worker: Worker;
  #busy = false;
  #done: FinishedPlan | undefined;
  #failure: string | undefined;
  readonly #models: ModelLoads = { loaded: 0, version: Number.NaN, refused: 0, lastError: undefined };
  #onModel: ((version: number, error: string | undefined) => void) | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (r: WorkerReply) => {
      if (r.type === "plan") {
        this.#done = r.plan;
        this.#busy = false;
      } else if (r.type === "model") {
        if (r.error === undefined) {
          this.#models.loaded++;
          this.#models.version = r.version;
        } else {
          this.#models.refused++;
          this.#models.lastError = r.error;
        }
        this.#onModel?.(r.version, r.error);
      }
    });
    worker.on("error", (err) => {
      this.#failure = err.message;
      this.#busy = false;
    });
    worker.on("exit", () => {
      this.#failure ??= "the planning worker exited";
      this.#busy = false;
    });
  }

  /** Starts the worker and waits until its model is loaded; rejects with the worker's own message. */
  static async start(setup: PlanSetup): Promise<WorkerBackend> {
    const worker = new Worker(workerEntry(new URL(import.meta.url.endsWith(".ts") ? "./planWorker.ts" : "./planWorker.js", import.meta.url)), { workerData: setup });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (r: WorkerReply): void => {
        worker.off("message", onMessage);
        if (r.type === "ready") resolve();
        else reject(new Error(r.type === "error" ? r.message : `planning worker: unexpected '${r.type}'`));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    return new WorkerBackend(worker);
  }

  get busy(): boolean {
    return this.#busy;
  }

  request(start: Float64Array, startSec: number): void {
    if (this.#busy) return;
    if (this.#failure !== undefined) {
      this.#done = { sequence: new Float32Array(0), states: new Float32Array(0), cost: Number.NaN, disagreement: Number.NaN, rollouts: 0, startSec, planMs: 0, error: this.#failure };
      return;
    }
    this.#busy = true;
    // A structured clone of a small typed array: the worker gets its own copy.
    this.#worker.postMessage({ type: "plan", start, startSec });
  }

  take(): FinishedPlan | undefined {
    const d = this.#done;
    this.#done = undefined;
    return d;
  }

  /**
   * Sends a newer version of the learned ensemble to the worker, which loads it between two plans
   * (a plan under way finishes on the old weights). `onModel` (see `watchModels`) hears whether it
   * fitted. The state is structured-cloned: the caller may keep it.
   */
  loadModel(state: EnsembleState): void {
    if (this.#failure === undefined) this.#worker.postMessage({ type: "model", state });
  }

  /** Calls `fn` with each version the worker loaded (error undefined) or refused (the reason). */
  watchModels(fn: (version: number, error: string | undefined) => void): void {
    this.#onModel = fn;
  }

  get models(): Readonly<ModelLoads> {
    return this.#models;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

/**
 * The worker's entry: the compiled .js beside this file, or from the TypeScript sources (tests,
 * `node --import tsx`) through tsx's API, since Node 20 does not pass tsx's loader on to workers.
 */
function workerEntry(script: URL): URL {
  if (!script.pathname.endsWith(".ts")) return script;
  const tsxPackage = createRequire(fileURLToPath(script)).resolve("tsx/package.json");
  const api = pathToFileURL(path.join(path.dirname(tsxPackage), "dist", "esm", "api", "index.mjs")).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(script.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
