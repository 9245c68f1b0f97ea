/**
 * The recorder of a run that drives its control loop directly (`tendon sim`, `tendon hw`), built
 * so that recording costs the loop as little as possible: on the loop's thread, each tick only
 * copies its numbers (sensor frame, command, the controller's own command; DEP's matrix every
 * `matrixPeriodSec`, the loop's statistics every `diagnosticsPeriodSec`, a planner's newly
 * adopted plan, copied into a preallocated buffer by `setPlan`) into a shared ring
 * (`TickRing`). The recorder's worker thread reads the ring, turns each tick into the ROS 2
 * profile's messages (`LoopTopics`), encodes, compresses and writes them (`McapRecorder`).
 *
 * The file is the one `McapRecorder` writes; what it holds is described in `LoopTopics`. If the
 * worker falls behind by a whole ring (seconds of ticks), ticks are dropped and counted.
 */
import { map, type OperatorFunction } from "rxjs";
import type { RobotSpec } from "../core/spec.js";
import type { LoopStatsSummary } from "../loop/LoopStats.js";
import type { Cycle } from "../loop/operators.js";
import type { DiagnosticStatusMsg } from "../transport/messages.js";
import { startRecorderWorker, type LoopRecorderFile, type VectorTopic, type WorkerReply, type WorkerRequest } from "./chunkSink.js";
import type { RecorderStats } from "./McapRecorder.js";
import { TickRing } from "./TickRing.js";
import type { Worker } from "node:worker_threads";

/** Order of the loop statistics in a record. */
export const STATS_FIELDS = [
  "ticks",
  "p50PeriodErrorMs",
  "p99PeriodErrorMs",
  "maxPeriodErrorMs",
  "meanComputeMs",
  "p99ComputeMs",
  "maxComputeMs",
  "overruns",
  "missedCycles",
] as const satisfies readonly (keyof LoopStatsSummary)[];

export const FLAG_OWN = 1;
export const FLAG_MATRIX = 2;
export const FLAG_STATS = 4;
export const FLAG_PLAN = 8;

/**
 * Record layout: [length, tSec, flags, joint pos (j), joint vel (j), length (n), velocity (n), force (n), command (n), own (n), matrix (n*n)?, stats?,
 * plan ([cost, disagreement, trajectory (planSize - 2)])?].
 */
export function recordLength(n: number, j: number, flags: number, planSize = 0): number {
  return 3 + 2 * j + 5 * n + (flags & FLAG_MATRIX ? n * n : 0) + (flags & FLAG_STATS ? STATS_FIELDS.length : 0) + (flags & FLAG_PLAN ? planSize : 0);
}

export interface LoopRecorderFileOptions {
  readonly path: string;
  /** Wall time (ns since the epoch) that loop time 0 is recorded at. */
  readonly originNs: bigint;
  /** Ring size in float64 values (default 2^21: seconds of ticks). */
  readonly ringCapacity?: number;
  readonly chunkSize?: number;
  readonly flushIntervalMs?: number;
}

/** What the loop is: given once its bridge's spec is known. */
export interface LoopRecorderLoop {
  readonly spec: RobotSpec;
  readonly controllerName: string;
  readonly simulated: boolean;
  readonly epochOffsetSec?: number;
  readonly matrix?: () => Float64Array;
  readonly stats?: () => LoopStatsSummary;
  readonly matrixPeriodSec?: number;
  readonly diagnosticsPeriodSec?: number;
  readonly diagnosticsExtra?: Readonly<Record<string, string | number | boolean>>;
  /** A planner's topics (/planner/*): the horizon and the planned quantities' names. */
  readonly planner?: { readonly horizon: number; readonly columns: readonly string[] };
  /** Added to every tick's loop time (runs of several episodes, one after the other). */
  readonly timeOffsetSec?: number;
  /** Vector topics published between ticks (`vector`): /learner/model_loss. */
  readonly vectors?: readonly VectorTopic[];
}

const EPS_SEC = 1e-9;

export class LoopRecorder {
  readonly path: string;
  #o: LoopRecorderLoop | undefined;
  readonly #worker: Worker;
  readonly #ring: TickRing;
  #own = new Float64Array(0);
  #n = 0;
  #j = 0;
  #ownValid = false;
  /** [cost, disagreement, trajectory]: the newest adopted plan, until the next tick copies it. */
  #plan = new Float64Array(0);
  #planPending = false;
  #lastMatrixSec = -Infinity;
  #lastStatsSec = -Infinity;
  #closing: Promise<RecorderStats> | undefined;
  #replies: ((r: WorkerReply) => void) | undefined;
  #error: Error | undefined;

  private constructor(path: string, worker: Worker, ring: TickRing) {
    this.path = path;
    this.#worker = worker;
    this.#ring = ring;
    worker.on("message", (r: WorkerReply) => {
      if (r.type === "error") this.#error ??= new Error(r.message);
      this.#replies?.(r);
    });
    worker.on("error", (err) => {
      this.#error ??= err;
      this.#replies?.({ type: "error", message: err.message });
    });
  }

  /** Starts the worker, which creates the file. Throws when the file cannot be created. */
  static async open(o: LoopRecorderFileOptions): Promise<LoopRecorder> {
    const buffers = TickRing.allocate(o.ringCapacity ?? 1 << 21);
    const file: LoopRecorderFile = { path: o.path, originNs: o.originNs, ring: buffers, chunkSize: o.chunkSize, flushIntervalMs: o.flushIntervalMs };
    const worker = startRecorderWorker();
    await new Promise<void>((resolve, reject) => {
      const onMessage = (r: WorkerReply): void => {
        worker.off("message", onMessage);
        if (r.type === "opened") resolve();
        else reject(new Error(r.type === "error" ? r.message : `unexpected reply '${r.type}'`));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.postMessage({ type: "loop", file } satisfies WorkerRequest);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    worker.unref();
    return new LoopRecorder(o.path, worker, new TickRing(buffers));
  }

  /** Says what the loop is (once its spec is known, before its first tick); synchronous. */
  configure(o: LoopRecorderLoop): void {
    this.#o = o;
    this.#n = o.spec.muscles.length;
    this.#j = o.spec.joints.length;
    this.#own = new Float64Array(this.#n);
    this.#plan = new Float64Array(o.planner ? 2 + o.planner.horizon * o.planner.columns.length : 0);
    this.#planPending = false;
    this.#worker.postMessage({
      type: "configure",
      setup: {
        spec: { name: o.spec.name, commandUnit: o.spec.commandUnit, muscles: o.spec.muscles.map((m) => ({ ...m })), joints: o.spec.joints.map((j) => ({ ...j })) },
        controllerName: o.controllerName,
        simulated: o.simulated,
        epochOffsetSec: o.epochOffsetSec ?? 0,
        matrix: o.matrix !== undefined,
        stats: o.stats !== undefined,
        diagnosticsExtra: o.diagnosticsExtra ?? {},
        planner: o.planner ? { horizon: o.planner.horizon, columns: [...o.planner.columns] } : undefined,
        timeOffsetSec: o.timeOffsetSec ?? 0,
        vectors: o.vectors?.map((v) => ({ ...v })),
      },
    } satisfies WorkerRequest);
  }

  /** A stage right after the controller: keeps the controller's own command of the tick. */
  controllerStage(): OperatorFunction<Cycle, Cycle> {
    const name = this.#o?.controllerName;
    return map((c: Cycle) => {
      this.#ownValid = c.source === name;
      if (this.#ownValid) this.#own.set(c.command.values);
      return c;
    });
  }

  /**
   * Keeps an adopted plan (cost, disagreement, trajectory [horizon x columns], copied) for the
   * next tick's record. Without `planner` in `configure`, nothing.
   */
  setPlan(cost: number, disagreement: number, trajectory: ArrayLike<number>): void {
    if (this.#plan.length === 0) return;
    this.#plan[0] = cost;
    this.#plan[1] = disagreement;
    this.#plan.set(trajectory, 2);
    this.#planPending = true;
  }

  /** Copies one completed cycle into the ring (call from the loop's `cycles$`). */
  onCycle(c: Cycle): void {
    const o = this.#o;
    if (this.#closing || !o) return;
    const t = c.tick.startSec;
    let flags = this.#ownValid ? FLAG_OWN : 0;
    if (o.matrix && t - this.#lastMatrixSec >= (o.matrixPeriodSec ?? 0.1) - EPS_SEC) flags |= FLAG_MATRIX;
    if (o.stats && t - this.#lastStatsSec >= (o.diagnosticsPeriodSec ?? 1) - EPS_SEC) flags |= FLAG_STATS;
    if (this.#planPending) flags |= FLAG_PLAN;
    const n = this.#n;
    const j = this.#j;
    const len = recordLength(n, j, flags, this.#plan.length);
    const ring = this.#ring;
    const start = ring.reserve(len);
    if (start < 0) return;
    const d = ring.data;
    const f = c.frame;
    let p = start + 1;
    d[p++] = t;
    d[p++] = flags;
    d.set(f.jointAngleRad, p);
    p += j;
    d.set(f.jointVelocityRadps, p);
    p += j;
    d.set(f.muscleLengthM, p);
    p += n;
    d.set(f.muscleVelocityMps, p);
    p += n;
    d.set(f.muscleForceN, p);
    p += n;
    d.set(c.command.values, p);
    p += n;
    d.set(this.#own, p);
    p += n;
    if (flags & FLAG_MATRIX) {
      this.#lastMatrixSec = t;
      d.set(o.matrix!(), p);
      p += n * n;
    }
    if (flags & FLAG_STATS) {
      this.#lastStatsSec = t;
      const s = o.stats!();
      for (const k of STATS_FIELDS) d[p++] = s[k];
    }
    if (flags & FLAG_PLAN) {
      this.#planPending = false;
      d.set(this.#plan, p);
      p += this.#plan.length;
    }
    ring.commit(start, len);
  }

  /** A /diagnostics message at loop time `tSec` (a lost link, as it happens), written after the ticks already in the ring. */
  diagnostic(status: DiagnosticStatusMsg, tSec: number): void {
    if (this.#closing) return;
    this.#worker.postMessage({ type: "diagnostic", tSec, status } satisfies WorkerRequest);
  }

  /** A message on one of the `vectors` topics at loop time `tSec` (a model update between rounds), written after the ticks already in the ring. */
  vector(topic: string, values: ArrayLike<number>, tSec: number): void {
    if (this.#closing) return;
    this.#worker.postMessage({ type: "vector", tSec, topic, values: Array.from(values) } satisfies WorkerRequest);
  }

  /** A Metadata record, written after the ticks already in the ring. */
  addMetadata(name: string, metadata: Readonly<Record<string, string>>): void {
    if (this.#closing) return;
    this.#worker.postMessage({ type: "metadata", name, entries: Object.entries(metadata) } satisfies WorkerRequest);
  }

  /** The worker's first error, if any (the file is then incomplete). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Ticks dropped because the worker fell a whole ring behind. */
  get dropped(): number {
    return this.#ring.dropped;
  }

  /** Writes what is left, the summary and the footer. Idempotent. */
  close(): Promise<RecorderStats> {
    this.#closing ??= (async () => {
      this.#worker.ref();
      try {
        const stats = await new Promise<RecorderStats>((resolve, reject) => {
          this.#replies = (r) => {
            if (r.type === "closed") resolve({ ...r.stats, path: this.path, dropped: r.stats.dropped + this.#ring.dropped } as RecorderStats);
            else if (r.type === "error") reject(new Error(r.message));
          };
          this.#worker.postMessage({ type: "close" } satisfies WorkerRequest);
        });
        return stats;
      } finally {
        await this.#worker.terminate();
      }
    })();
    return this.#closing;
  }
}
