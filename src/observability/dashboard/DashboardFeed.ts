/**
 * The dashboard's data feed: what the page plots, as Server-Sent Events.
 *
 * On the loop's thread, `onCycle` copies one tick in every `stride` (at most ~`sampleRateHz` per
 * second) into preallocated rings: activations, lengths, forces, commands, joint angles, the
 * cycle's compute time and lateness. Everything else happens between ticks: while a page is
 * connected, 25 times a second, right after a tick (when the loop has the longest until its next
 * one), the samples gathered since the last frame, the DEP matrix (at ~5 Hz) and the loop's
 * statistics go as one JSON event to each page.
 *
 * Event `hello` (on connect): {muscles, joints: [{name, rangeRad}], controller, periodSec, sampleRateHz}.
 * Event `frame`: {seq, t: [s...], activation: [[per muscle]...], length, force, command, angle,
 * computeMs: [...], lateMs: [...], matrix?: {n, data}, stats?: LoopStatsSummary, ticks}, and, in a
 * run that plans or learns, what came since the last frame: plan?: {t, cost, disagreement} (one
 * entry per adopted plan), trajectory?: {columns, horizon, data} (the newest plan's predicted
 * site or joints, row-major), series?: {topic: {labels, t, rows}} (vector topics such as
 * /learner/model_loss, one row per message). A page plots these only when they come: a run
 * without a planner (sim, hw) has none.
 *
 * Runs of several episodes or rounds (`tendon plan`, `tendon play`) keep one feed (`sameRun`),
 * their loop times put one after the other with `setTimeOffset`.
 */
import type { ServerResponse } from "node:http";
import type { RobotSpec } from "../../core/spec.js";
import type { LoopStatsSummary } from "../../loop/LoopStats.js";
import type { Cycle } from "../../loop/operators.js";

export interface DashboardFeedOptions {
  readonly spec: RobotSpec;
  readonly controllerName: string;
  readonly periodSec: number;
  /** DEP's matrix (row-major n x n), when the controller has one. */
  readonly matrix?: () => Float64Array;
  /** Samples per second kept for the plots (default 100). */
  readonly sampleRateHz?: number;
  /** Frames per second sent to each page (default 25). */
  readonly frameRateHz?: number;
}

const CAPACITY = 2048;
/** Plans kept for a page that connects late (at 10 plans a second, minutes of them). */
const PLAN_CAPACITY = 2048;
/** Messages per vector topic kept. */
const SERIES_CAPACITY = 2048;

interface Series {
  readonly labels: string[];
  readonly t: number[];
  readonly rows: number[][];
  sent: number;
}

export class DashboardFeed {
  readonly #o: DashboardFeedOptions;
  readonly #n: number;
  readonly #j: number;
  readonly #stride: number;
  readonly #t = new Float64Array(CAPACITY);
  readonly #activation: Float64Array;
  readonly #length: Float64Array;
  readonly #force: Float64Array;
  readonly #command: Float64Array;
  readonly #angle: Float64Array;
  readonly #computeMs = new Float64Array(CAPACITY);
  readonly #lateMs = new Float64Array(CAPACITY);
  /** Samples written so far (the ring index is this modulo CAPACITY). */
  #written = 0;
  #sent = 0;
  #ticks = 0;
  #seq = 0;
  #frames = 0;
  readonly #clients = new Set<ServerResponse>();
  #lastFrameMs = -Infinity;
  #scheduled = false;
  readonly #frameMs: number;
  readonly #flushNow = (): void => {
    this.#scheduled = false;
    this.#flush();
  };
  #stats: (() => LoopStatsSummary) | undefined;
  #closed = false;
  #offsetSec = 0;
  /** Loop time (with the offset) of the newest tick. */
  #nowSec = 0;
  readonly #planT = new Float64Array(PLAN_CAPACITY);
  readonly #planCost = new Float64Array(PLAN_CAPACITY);
  readonly #planDisagreement = new Float64Array(PLAN_CAPACITY);
  #plansWritten = 0;
  #plansSent = 0;
  #trajectory = new Float64Array(0);
  #trajectoryColumns: readonly string[] = [];
  #trajectoryPending = false;
  readonly #series = new Map<string, Series>();

  constructor(options: DashboardFeedOptions) {
    this.#o = options;
    this.#n = options.spec.muscles.length;
    this.#j = options.spec.joints.length;
    const rate = 1 / options.periodSec;
    this.#stride = Math.max(1, Math.round(rate / (options.sampleRateHz ?? 100)));
    this.#activation = new Float64Array(CAPACITY * this.#n);
    this.#length = new Float64Array(CAPACITY * this.#n);
    this.#force = new Float64Array(CAPACITY * this.#n);
    this.#command = new Float64Array(CAPACITY * this.#n);
    this.#angle = new Float64Array(CAPACITY * this.#j);
    this.#frameMs = 1000 / (options.frameRateHz ?? 25);
  }

  /** Pages connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Frames sent so far (to any page). */
  get framesSent(): number {
    return this.#frames;
  }

  /** Loop statistics for the frames (the loop's `stats.summary`). */
  setStats(stats: () => LoopStatsSummary): void {
    this.#stats = stats;
  }

  /** Whether a loop of this spec and controller continues the run this feed shows (episodes one after the other). */
  sameRun(spec: RobotSpec, controllerName: string): boolean {
    return !this.#closed && spec.name === this.#o.spec.name && spec.muscles.length === this.#n && controllerName === this.#o.controllerName;
  }

  /** Added to the loop time of the ticks that follow (the next episode's loop starts at 0 again). */
  setTimeOffset(sec: number): void {
    this.#offsetSec = sec;
  }

  /**
   * An adopted plan (on the loop's thread, once per plan): its cost and disagreement at the newest
   * tick's time, and its predicted trajectory ([horizon x columns], row-major), copied into a
   * buffer that is sized once for the run's planner.
   */
  setPlan(cost: number, disagreement: number, trajectory: ArrayLike<number>, columns: readonly string[]): void {
    const k = this.#plansWritten % PLAN_CAPACITY;
    this.#planT[k] = this.#nowSec;
    this.#planCost[k] = cost;
    this.#planDisagreement[k] = disagreement;
    this.#plansWritten++;
    if (this.#trajectory.length !== trajectory.length) this.#trajectory = new Float64Array(trajectory.length);
    this.#trajectory.set(trajectory);
    this.#trajectoryColumns = columns;
    this.#trajectoryPending = true;
  }

  /** A message on a vector topic (`/learner/model_loss`: [train, held-out, version]) at loop time `tSec` (between ticks; allocates). */
  addSeries(topic: string, labels: readonly string[], values: ArrayLike<number>, tSec: number): void {
    let s = this.#series.get(topic);
    if (!s) this.#series.set(topic, (s = { labels: [...labels], t: [], rows: [], sent: 0 }));
    s.t.push(tSec + this.#offsetSec);
    // Non-finite values (no held-out loss yet) go as null: a gap in the page's plot.
    s.rows.push(Array.from(values, (x) => (Number.isFinite(x) ? round6(x) : Number.NaN)));
    if (s.t.length > SERIES_CAPACITY) {
      s.t.shift();
      s.rows.shift();
      s.sent = Math.max(0, s.sent - 1);
    }
  }

  /** One completed cycle (the loop's `cycles$`): kept if it falls on the stride. */
  onCycle(c: Cycle): void {
    this.#nowSec = c.tick.startSec + this.#offsetSec;
    // A frame is due: built right after this tick, outside it.
    if (this.#clients.size > 0 && !this.#scheduled && c.workEndMs - this.#lastFrameMs >= this.#frameMs) {
      this.#scheduled = true;
      this.#lastFrameMs = c.workEndMs;
      setImmediate(this.#flushNow);
    }
    if (this.#ticks++ % this.#stride !== 0) return;
    const k = this.#written % CAPACITY;
    const f = c.frame;
    const n = this.#n;
    this.#t[k] = this.#nowSec;
    this.#activation.set(f.muscleActivation, k * n);
    this.#length.set(f.muscleLengthM, k * n);
    this.#force.set(f.muscleForceN, k * n);
    this.#command.set(c.command.values, k * n);
    this.#angle.set(f.jointAngleRad, k * this.#j);
    this.#computeMs[k] = c.workEndMs - c.workStartMs;
    this.#lateMs[k] = (c.tick.startSec - c.tick.deadlineSec) * 1000;
    this.#written++;
  }

  /** Serves the event stream on `res` until the page goes away or the feed closes. */
  connect(res: ServerResponse): void {
    if (this.#closed) {
      res.writeHead(503, { "content-type": "text/plain" }).end("the run has ended\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const spec = this.#o.spec;
    const hello = {
      controller: this.#o.controllerName,
      periodSec: this.#o.periodSec,
      sampleRateHz: 1 / (this.#o.periodSec * this.#stride),
      muscles: spec.muscles.map((m) => ({ name: m.name, min: m.commandMin, max: m.commandMax })),
      joints: spec.joints.map((j) => ({ name: j.name, rangeRad: j.rangeRad })),
      commandUnit: spec.commandUnit,
    };
    res.write(`event: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    this.#clients.add(res);
    res.on("close", () => this.#clients.delete(res));
    // A new page starts with what the rings still hold.
    this.#sent = Math.max(0, Math.min(this.#sent, this.#written - CAPACITY));
    this.#plansSent = Math.max(0, this.#plansWritten - PLAN_CAPACITY);
    this.#trajectoryPending = this.#trajectory.length > 0;
    for (const s of this.#series.values()) s.sent = 0;
  }

  #flush(): void {
    if (this.#clients.size === 0) return;
    const from = Math.max(this.#sent, this.#written - CAPACITY);
    const to = this.#written;
    this.#sent = to;
    const rows = (data: Float64Array, width: number): number[][] => {
      const out: number[][] = [];
      for (let s = from; s < to; s++) {
        const k = (s % CAPACITY) * width;
        out.push(Array.from(data.subarray(k, k + width), round6));
      }
      return out;
    };
    const list = (data: Float64Array): number[] => {
      const out: number[] = [];
      for (let s = from; s < to; s++) out.push(round6(data[s % CAPACITY]));
      return out;
    };
    const seq = this.#seq++;
    const frame: Record<string, unknown> = {
      seq,
      ticks: this.#ticks,
      t: list(this.#t),
      activation: rows(this.#activation, this.#n),
      length: rows(this.#length, this.#n),
      force: rows(this.#force, this.#n),
      command: rows(this.#command, this.#n),
      angle: rows(this.#angle, this.#j),
      computeMs: list(this.#computeMs),
      lateMs: list(this.#lateMs),
    };
    if (this.#o.matrix && seq % 5 === 0) {
      try {
        frame.matrix = { n: this.#n, data: Array.from(this.#o.matrix(), round6) };
      } catch {
        // a controller that is not configured yet has no matrix
      }
    }
    if (this.#stats && seq % 5 === 0) frame.stats = this.#stats();
    if (this.#plansWritten > this.#plansSent) {
      const p0 = Math.max(this.#plansSent, this.#plansWritten - PLAN_CAPACITY);
      const pick = (data: Float64Array): number[] => {
        const out: number[] = [];
        for (let s = p0; s < this.#plansWritten; s++) out.push(round6(data[s % PLAN_CAPACITY]));
        return out;
      };
      frame.plan = { t: pick(this.#planT), cost: pick(this.#planCost), disagreement: pick(this.#planDisagreement) };
      this.#plansSent = this.#plansWritten;
    }
    if (this.#trajectoryPending) {
      const columns = this.#trajectoryColumns.length;
      frame.trajectory = { columns: this.#trajectoryColumns, horizon: columns > 0 ? this.#trajectory.length / columns : 0, data: Array.from(this.#trajectory, round6) };
      this.#trajectoryPending = false;
    }
    if (this.#series.size > 0) {
      const series: Record<string, { labels: string[]; t: number[]; rows: number[][] }> = {};
      for (const [topic, s] of this.#series) {
        if (s.sent >= s.t.length) continue;
        series[topic] = { labels: s.labels, t: s.t.slice(s.sent), rows: s.rows.slice(s.sent) };
        s.sent = s.t.length;
      }
      if (Object.keys(series).length > 0) frame.series = series;
    }
    const text = `event: frame\ndata: ${JSON.stringify(frame)}\n\n`;
    for (const res of this.#clients) res.write(text);
    this.#frames++;
  }

  /** Ends every stream (the run is over). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    for (const res of this.#clients) res.end("event: end\ndata: {}\n\n");
    this.#clients.clear();
  }
}

function round6(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : 0;
}
