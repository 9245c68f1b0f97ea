/**
 * Host side of a learner in a worker thread. `push` sends transition blocks (drained from a
 * `PolicyController` off the tick); published policies arrive through `onPolicy`, world-model
 * updates of an intrinsic-reward learner through `onModel` (see learnerWorker.ts). The learner's
 * health is a status, never an exception on the host: a worker that throws, exits or stops
 * answering (no message for `stallAfterSec`) is reported as `crashed` or `stalled`, and the
 * control loop goes on with the last policy it has.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { PolicySnapshot } from "../inference/MlpPolicy.js";
import type { BonusStats } from "../../intrinsic/OnlineBonus.js";
import type { HostToLearner, LearnerToHost, LearnerWorkerConfig, ModelUpdate } from "./messages.js";

export type LearnerStatus = "starting" | "running" | "stalled" | "crashed" | "stopped";

export interface WorkerLearnerOptions {
  readonly config: LearnerWorkerConfig;
  /** The worker's script (default: learnerWorker next to this file). */
  readonly script?: URL;
  /** No message for this long means the learner stalled (default 10 s). */
  readonly stallAfterSec?: number;
  readonly onPolicy?: (snapshot: PolicySnapshot) => void;
  /** A world-model update (its weights are this call's to keep). */
  readonly onModel?: (update: ModelUpdate) => void;
  /** The intrinsic-reward bonus's figures, with every heartbeat that carries them. */
  readonly onBonus?: (stats: BonusStats) => void;
  readonly onStatus?: (status: LearnerStatus, detail: string) => void;
}

function defaultScript(): URL {
  // Source runs (tsx) load the .ts file, the build loads the .js one.
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./learnerWorker${ext}`, import.meta.url);
}

/**
 * The worker's entry: the script itself, or for a TypeScript script (source runs) a small module
 * that registers tsx's loader in the worker first (a worker does not get it from the parent).
 */
export function workerEntry(script: URL): URL {
  if (!script.pathname.endsWith(".ts")) return script;
  const tsxPackage = createRequire(fileURLToPath(script)).resolve("tsx/package.json");
  const api = pathToFileURL(path.join(path.dirname(tsxPackage), "dist", "esm", "api", "index.mjs")).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(script.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class WorkerLearner {
  readonly #worker: Worker;
  readonly #options: WorkerLearnerOptions;
  readonly #watchdog: NodeJS.Timeout;
  #status: LearnerStatus = "starting";
  #lastMessageMs = performance.now();
  #steps = 0;
  #updates = 0;
  #policies = 0;
  #models = 0;
  #bonus: BonusStats | undefined;
  #backend = "";
  #resolveReady: ((status: LearnerStatus) => void) | undefined;
  /** Settles once the learner has started (or failed to): resolves to its status then. Never rejects. */
  readonly ready: Promise<LearnerStatus>;

  constructor(options: WorkerLearnerOptions) {
    this.#options = options;
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    const script = options.script ?? defaultScript();
    this.#worker = new Worker(workerEntry(script), { workerData: options.config });
    this.#worker.on("message", (m: LearnerToHost) => this.#onMessage(m));
    this.#worker.on("error", (err) => this.#setStatus("crashed", err.message));
    this.#worker.on("exit", (code) => {
      if (this.#status !== "stopped") this.#setStatus("crashed", `the learner exited with code ${code}`);
    });
    const stallMs = (options.stallAfterSec ?? 10) * 1000;
    this.#watchdog = setInterval(() => {
      if ((this.#status === "running" || this.#status === "starting") && performance.now() - this.#lastMessageMs > stallMs) {
        this.#setStatus("stalled", `no word from the learner for ${(stallMs / 1000).toFixed(1)} s`);
      }
    }, Math.min(1000, stallMs / 2));
    this.#watchdog.unref();
  }

  get status(): LearnerStatus {
    return this.#status;
  }
  /** Steps and updates the learner last reported, policies and world models received, its backend. */
  get progress(): { steps: number; updates: number; policies: number; models: number; backend: string } {
    return { steps: this.#steps, updates: this.#updates, policies: this.#policies, models: this.#models, backend: this.#backend };
  }

  /** The intrinsic-reward bonus's figures the learner last reported (undefined without one). */
  get bonus(): BonusStats | undefined {
    return this.#bonus;
  }

  /** Sends a block of transitions (its buffer is transferred: do not use `data` afterwards). Ignored unless the learner is alive. */
  push(count: number, data: Float64Array): void {
    if (count === 0 || this.#status === "crashed" || this.#status === "stopped") return;
    const m: HostToLearner = { type: "transitions", count, data };
    this.#worker.postMessage(m, [data.buffer as ArrayBuffer]);
  }

  #onMessage(m: LearnerToHost): void {
    this.#lastMessageMs = performance.now();
    if (m.type === "error") {
      this.#setStatus("crashed", m.message);
      return;
    }
    if (this.#status === "starting" || this.#status === "stalled") this.#setStatus("running", "");
    if (m.type === "ready") {
      this.#backend = m.backend;
      this.#resolveReady?.(this.#status);
    }
    if (m.type === "heartbeat") {
      this.#steps = m.steps;
      this.#updates = m.updates;
      if (m.bonus) {
        this.#bonus = m.bonus;
        this.#options.onBonus?.(m.bonus);
      }
    }
    if (m.type === "model") {
      this.#models++;
      this.#bonus = m.stats;
      try {
        this.#options.onModel?.({ state: m.state, steps: m.steps, stats: m.stats });
      } catch (err) {
        this.#options.onStatus?.(this.#status, `world model rejected: ${(err as Error).message}`);
      }
    }
    if (m.type === "policy") {
      this.#policies++;
      this.#steps = m.steps;
      this.#updates = m.updates;
      try {
        this.#options.onPolicy?.(m.snapshot);
      } catch (err) {
        this.#options.onStatus?.(this.#status, `policy rejected: ${(err as Error).message}`);
      }
    }
  }

  #setStatus(status: LearnerStatus, detail: string): void {
    if (this.#status === status || this.#status === "stopped") return;
    this.#status = status;
    if (status === "crashed" || status === "stalled") this.#resolveReady?.(status);
    this.#options.onStatus?.(status, detail);
  }

  /** Stops the learner (terminates the thread if it does not end by itself within a second). */
  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    if (this.#status === "stopped") return;
    const wasAlive = this.#status !== "crashed";
    this.#status = "stopped";
    if (wasAlive) {
      try {
        this.#worker.postMessage({ type: "stop" } satisfies HostToLearner);
      } catch {
        // already gone
      }
    }
    await Promise.race([new Promise((r) => this.#worker.once("exit", r)), new Promise((r) => setTimeout(r, 1000))]);
    await this.#worker.terminate();
  }
}
