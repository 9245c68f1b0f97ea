/**
 * Observability for a run that drives its control loop directly (`tendon sim`, `tendon hw`):
 * `--record FILE` (MCAP, every topic of the ROS 2 profile), `--foxglove [PORT]` (live view), and,
 * with `--serve`, the dashboard on the API server. The command builds one `RunObservers` from its
 * flags (src/cli/observeFlags.ts), passes `hooks(...)` (a loop plugin per run) to the run, and
 * closes it after.
 *
 * Besides the topics, a recording holds Metadata records: "tendon.run" (what ran: model, muscles,
 * joints and their ranges, controller, rate, mode, seed), "tendon.params" (what ran, to repeat it:
 * see src/app/runIdentity.ts; written by the command), "tendon.coverage" (joint-space coverage
 * over time, of DEP and, with --compare-noise, of the noise baseline) and "tendon.summary" (the
 * run's JSON summary).
 */
import { JointCoverage } from "./JointCoverage.js";
import type { ProblemEvent } from "../core/events.js";
import type { RobotSpec } from "../core/spec.js";
import type { ControlLoop } from "../loop/ControlLoop.js";
import type { LoopContext, LoopExtension, LoopPlugin } from "../loop/extension.js";
import { DashboardFeed } from "./dashboard/DashboardFeed.js";
import { FoxgloveLive } from "./FoxgloveLive.js";
import { LoopTopics, type PlannerTopicsInfo } from "./LoopTopics.js";
import { TransportRecorder } from "./TransportRecorder.js";
import type { Transport } from "../transport/Transport.js";
import { problemStatus } from "../transport/diagnostics.js";
import { McapRecorder, type RecorderStats } from "./McapRecorder.js";
import { LoopRecorder } from "./LoopRecorder.js";
import { DashboardRoutes, type HttpMountable } from "./dashboard/DashboardRoutes.js";
import type { VectorTopic } from "./chunkSink.js";

export interface CoverageCurve {
  readonly bins: number;
  /** [loop time (s), coverage] pairs, one per second of loop time and one at the end. */
  readonly points: [number, number][];
}

export interface RunObserversOptions {
  readonly record?: string;
  readonly foxglove?: { host: string; port: number };
  /** "sim", "plan", "play", "hw" or "node": a simulator's stamps ("sim", "plan", "play") are loop time, and it publishes /clock. */
  readonly command: "sim" | "plan" | "play" | "hw" | "node";
  readonly coverageBins?: number;
  /** Where "recording to ..." lines go (default stderr). */
  readonly log?: (line: string) => void;
  /** Recorder options for tests (worker thread, chunk size). */
  readonly recorder?: { worker?: boolean; chunkSize?: number; flushIntervalMs?: number };
}

/** What one run (the DEP run, or the noise baseline) is observed with. */
export interface RunHooks extends LoopPlugin {
  readonly extend: (context: LoopContext) => LoopExtension;
  readonly attach: (loop: ControlLoop) => void;
  /** After the run: the last point of its coverage curve. */
  readonly close: () => void;
  /** A problem from outside the loop (a board's link lost or back): /diagnostics at once, in the recording and the live view. */
  readonly problem: (e: ProblemEvent) => void;
  /**
   * A plan adopted by the run's planner (with `planner` in the hooks' options): on /planner/* with
   * the next tick. `trajectory` is [horizon x columns], row-major, copied at once.
   */
  readonly plan: (cost: number, disagreement: number, trajectory: ArrayLike<number>) => void;
  /**
   * A message on one of the vector topics of the hooks' options (`vectors`: /learner/model_loss
   * after a model update), at the latest tick's loop time, at once (also after the loop ended).
   */
  readonly publish: (topic: string, values: ArrayLike<number>) => void;
}

/** Options of one run's hooks. */
export interface RunHooksOptions {
  /** The run plans (`tendon plan`): its horizon and the names of the planned quantities, for /planner/*. */
  readonly planner?: PlannerTopicsInfo;
  /** Added to the run's loop time in the recording and the live view (episodes one after the other). */
  readonly timeOffsetSec?: number;
  /** Vector topics the run publishes between ticks with `publish` (`tendon play`: /learner/model_loss). */
  readonly vectors?: readonly VectorTopic[];
}

export class RunObservers {
  /** The recording of `tendon node` (opened at once; loop runs open a `LoopRecorder` when their loop is built). */
  recorder: McapRecorder | undefined;
  #loopRecorder: LoopRecorder | undefined;
  readonly foxglove: FoxgloveLive | undefined;
  readonly #o: RunObserversOptions;
  readonly #dashboard = new DashboardRoutes();
  readonly #coverage = new Map<string, CoverageCurve>();
  readonly #finishers: (() => void)[] = [];
  #closed: Promise<RecorderStats | undefined> | undefined;

  private constructor(o: RunObserversOptions, recorder: McapRecorder | LoopRecorder | undefined, foxglove: FoxgloveLive | undefined) {
    this.#o = o;
    if (recorder instanceof LoopRecorder) this.#loopRecorder = recorder;
    else this.recorder = recorder;
    this.foxglove = foxglove;
  }

  /** The recording's path, if there is one. */
  get recordingPath(): string | undefined {
    return (this.#loopRecorder ?? this.recorder)?.path;
  }

  /** Opens the recording and starts the live view, as asked; prints where they are. */
  static async open(o: RunObserversOptions): Promise<RunObservers> {
    const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const originNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
    // Node runs record the transport's topics as they come (encoded on arrival); loop runs copy
    // each tick into a ring that the recorder's worker turns into messages (see LoopRecorder).
    const recorder = !o.record
      ? undefined
      : o.command === "node"
        ? await McapRecorder.open({ path: o.record, originNs, ...o.recorder })
        : await LoopRecorder.open({ path: o.record, originNs, chunkSize: o.recorder?.chunkSize, flushIntervalMs: o.recorder?.flushIntervalMs });
    let foxglove: FoxgloveLive | undefined;
    try {
      foxglove = o.foxglove ? await FoxgloveLive.start({ ...o.foxglove, originNs }) : undefined;
    } catch (err) {
      await recorder?.close();
      throw err;
    }
    if (recorder) log(`recording to ${recorder.path}`);
    if (foxglove) log(`Foxglove live view on ${foxglove.url}`);
    return new RunObservers(o, recorder, foxglove);
  }

  /** Whether anything observes the loop (a run without any skips the topics entirely). */
  get active(): boolean {
    return this.recorder !== undefined || this.#loopRecorder !== undefined || this.foxglove !== undefined || this.#dashboard.mounted;
  }

  /**
   * Observes every topic of a transport (`tendon node ...`): call before the nodes start, and
   * `refresh()` the result after; it stops at `close()`.
   */
  observeTransport(transport: Transport, run: Readonly<Record<string, string>> = {}, options: { simTime?: boolean } = {}): TransportRecorder | undefined {
    const sinks = [this.recorder, this.foxglove].filter((s): s is McapRecorder | FoxgloveLive => s !== undefined);
    if (sinks.length === 0) return undefined;
    this.recorder?.addMetadata("tendon.run", { command: "node", ...run });
    const observer = new TransportRecorder(transport, sinks, options);
    this.#finishers.push(() => observer.stop());
    return observer;
  }

  /** Serves the dashboard (page and data feed) on the API server of `--serve`. */
  mountDashboard(server: HttpMountable): void {
    this.#dashboard.mountOn(server);
  }

  /**
   * The loop plugin for one run. "dep": every topic to the recorder and the live view, the
   * dashboard's feed, and the coverage curve; "noise" (the baseline of --compare-noise): the
   * coverage curve only. Put it before the safety layer in the run's plugins: its taps then see
   * the controller's own command.
   */
  hooks(label: "dep" | "noise", options: RunHooksOptions = {}): RunHooks {
    let topics: LoopTopics | undefined;
    let recorder: LoopRecorder | undefined;
    let feed: DashboardFeed | undefined;
    let spec: RobotSpec | undefined;
    let loopRef: ControlLoop | undefined;
    let finishRun: (() => void) | undefined;
    const extend = (ctx: LoopContext): LoopExtension => {
      spec = ctx.spec;
      // The DEP matrix view, when the controller has a matrix to show.
      const controller = ctx.controller;
      const matrix = controller?.matrix ? () => controller.matrix!() : undefined;
      const loopInfo = {
        spec: ctx.spec,
        controllerName: ctx.controllerName,
        matrix,
        stats: () => loopRef!.stats.summary(),
        simulated: this.#o.command === "sim" || this.#o.command === "plan" || this.#o.command === "play",
        epochOffsetSec: (performance.timeOrigin + performance.now()) / 1000,
        diagnosticsExtra: { rate_hz: 1 / ctx.periodSec },
        planner: options.planner,
        timeOffsetSec: options.timeOffsetSec,
        vectors: options.vectors,
      };
      if (label === "dep" && this.#loopRecorder) {
        this.#loopRecorder.configure(loopInfo);
        this.#loopRecorder.addMetadata("tendon.run", runMetadata(this.#o.command, ctx));
        recorder = this.#loopRecorder;
      }
      if (label === "dep" && this.foxglove) {
        topics = new LoopTopics(loopInfo);
        topics.addSink(this.foxglove);
      }
      if (label === "dep" && this.#dashboard.mounted) {
        // Episodes and rounds one after the other (plan, play) keep the page's feed, on one time line.
        const current = this.#dashboard.feed;
        feed = current?.sameRun(ctx.spec, ctx.controllerName) ? current : new DashboardFeed({ spec: ctx.spec, controllerName: ctx.controllerName, matrix, periodSec: ctx.periodSec });
        feed.setTimeOffset(options.timeOffsetSec ?? 0);
        this.#dashboard.setFeed(feed);
      }
      return { stages: [recorder?.controllerStage(), topics?.controllerStage()].filter((x) => x !== undefined) };
    };
    let lastTickSec = 0;
    const attach = (loop: ControlLoop): void => {
      loopRef = loop;
      feed?.setStats(() => loop.stats.summary());
      const bins = this.#o.coverageBins ?? 20;
      const coverage = this.#loopRecorder && spec && spec.joints.length > 0 ? new JointCoverage(spec.joints, { bins }) : undefined;
      const curve: CoverageCurve = { bins, points: [] };
      let nextSampleSec = 1;
      let lastSec = 0;
      const sub = loop.cycles$.subscribe((c) => {
        lastTickSec = c.tick.startSec;
        recorder?.onCycle(c);
        topics?.onCycle(c);
        feed?.onCycle(c);
        if (coverage) {
          if (c.fresh) coverage.add(c.frame.jointAngleRad);
          lastSec = c.tick.startSec;
          if (lastSec >= nextSampleSec - 1e-9) {
            curve.points.push([round3(lastSec), coverage.value()]);
            nextSampleSec += 1;
          }
        }
      });
      // After the run: the last point of the curve (once, by close() or the observers' close).
      let finished = false;
      finishRun = () => {
        if (finished) return;
        finished = true;
        sub.unsubscribe();
        if (!coverage) return;
        const last = curve.points[curve.points.length - 1];
        if (lastSec > 0 && (!last || last[0] !== round3(lastSec))) curve.points.push([round3(lastSec), coverage.value()]);
        this.#coverage.set(label, curve);
      };
      this.#finishers.push(finishRun);
    };
    const problem = (e: ProblemEvent): void => {
      if (!spec) return;
      const status = problemStatus(e, spec.name);
      // At the loop time of the latest tick: the problem is placed among the ticks around it.
      const tSec = lastTickSec;
      recorder?.diagnostic(status, tSec);
      topics?.writeDiagnostic(status, tSec);
    };
    const plan = (cost: number, disagreement: number, trajectory: ArrayLike<number>): void => {
      recorder?.setPlan(cost, disagreement, trajectory);
      topics?.setPlan(cost, disagreement, trajectory);
      feed?.setPlan(cost, disagreement, trajectory, options.planner?.columns ?? []);
    };
    const publish = (topic: string, values: ArrayLike<number>): void => {
      recorder?.vector(topic, values, lastTickSec);
      topics?.writeVector(topic, values, lastTickSec);
      const label = options.vectors?.find((v) => v.name === topic)?.label;
      if (label !== undefined) feed?.addSeries(topic, label.split("|"), values, lastTickSec);
    };
    return { extend, attach, close: () => finishRun?.(), problem, plan, publish };
  }

  /** A metadata record in the recording, if there is one (e.g. what the run runs, before its first tick). */
  addMetadata(name: string, entries: Readonly<Record<string, string>>): void {
    (this.#loopRecorder ?? this.recorder)?.addMetadata(name, entries);
  }

  /**
   * Ends the observation: the coverage curves and `summary` go into the recording, which is then
   * completed (summary section, footer); the live view and the dashboard feed stop.
   */
  close(summary?: Record<string, unknown>): Promise<RecorderStats | undefined> {
    this.#closed ??= (async () => {
      for (const f of this.#finishers.splice(0)) f();
      this.#dashboard.setFeed(undefined);
      try {
        const rec = this.#loopRecorder ?? this.recorder;
        if (rec) {
          if (this.#coverage.size > 0) {
            rec.addMetadata("tendon.coverage", Object.fromEntries([...this.#coverage.entries()].map(([k, v]) => [k, JSON.stringify(v)])));
          }
          if (summary) rec.addMetadata("tendon.summary", { json: JSON.stringify(summary) });
        }
        return await rec?.close();
      } finally {
        await this.foxglove?.close();
      }
    })();
    return this.#closed;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function runMetadata(command: string, ctx: LoopContext): Record<string, string> {
  const s = ctx.spec;
  return {
    command,
    model: s.name,
    controller: ctx.controllerName,
    rate_hz: String(1 / ctx.periodSec),
    command_unit: s.commandUnit,
    muscles: JSON.stringify(s.muscles.map((m) => m.name)),
    joints: JSON.stringify(s.joints.map((j) => ({ name: j.name, range_rad: j.rangeRad }))),
    command_range: JSON.stringify(s.muscles.map((m) => [m.commandMin, m.commandMax])),
  };
}
