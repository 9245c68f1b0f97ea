/**
 * What `runSim` and `runHw` share: a control loop built around a configured bridge and a
 * controller, with the run's extensions (the safety layer of `--serve`) let in, joint-space
 * coverage and the first problems collected while it runs.
 */
import { JointCoverage } from "../observability/JointCoverage.js";
import type { Bridge } from "../core/bridge.js";
import type { Controller } from "../core/controller.js";
import type { ProblemCode, ProblemEvent } from "../core/events.js";
import { ControlLoop, type LoopMode, type LoopResult } from "../loop/ControlLoop.js";
import type { TimerPort } from "../loop/ticks.js";
import { attachLoop, extendLoop, type LoopPlugin } from "../loop/extension.js";

/** How many problems a run keeps for its summary. */
export const KEPT_PROBLEMS = 20;

export interface ObservedLoopOptions {
  /** Configured (not yet active): its spec is read here. */
  readonly bridge: Bridge;
  readonly controller: Controller;
  readonly mode: LoopMode;
  readonly periodSec: number;
  /** Ticks to run; Infinity runs until the loop is stopped. */
  readonly totalTicks: number;
  /** The real-time timer (undefined in lockstep); also the clock extensions see. */
  readonly timer?: TimerPort;
  /** The run's loop plugins (safety layer, observers), extended and attached in list order; their owner closes them. */
  readonly plugins?: readonly LoopPlugin[];
  readonly coverageBins?: number;
  /** Count only ticks with a fresh reading toward coverage (hardware links can go stale). */
  readonly coverageFreshOnly?: boolean;
  /** Where the first problems go (a run may have collected some already). */
  readonly problems?: ProblemEvent[];
  /** Where every problem is counted by its code (a run may have counted some already). */
  readonly problemCounts?: ProblemCounts;
  /** Called once the loop exists, before it runs (progress display, stop on a signal). */
  readonly onLoop?: (loop: ControlLoop) => void;
}

export interface ObservedLoopResult {
  readonly loop: LoopResult;
  /** null when the bridge reports no joints. */
  readonly coverage: number | null;
  readonly coverageBins: number;
  readonly problems: ProblemEvent[];
  /** Every problem of the run, counted by code. */
  readonly problemCounts: ProblemCounts;
}

/** Problems counted by code ("link_lost": 2, ...), for a summary that lists them by kind. */
export type ProblemCounts = Partial<Record<ProblemCode, number>>;

/**
 * Counts `e` in `counts`; keeps it in `first` while that holds fewer than KEPT_PROBLEMS, and
 * always when it is the first of its kind (so that many of one kind never hide another).
 */
export function countProblem(e: ProblemEvent, counts: ProblemCounts, first: ProblemEvent[]): void {
  const seen = counts[e.code] ?? 0;
  counts[e.code] = seen + 1;
  if (first.length < KEPT_PROBLEMS || seen === 0) first.push(e);
}

export async function runObservedLoop(options: ObservedLoopOptions): Promise<ObservedLoopResult> {
  const { bridge, controller, periodSec, timer } = options;
  const spec = bridge.spec;
  const plugins = options.plugins ?? [];
  const extension = extendLoop(plugins, { spec, periodSec, controllerName: controller.name, controller, clock: timer });
  const loop = new ControlLoop({
    bridge,
    controller,
    mode: options.mode,
    periodSec,
    maxTicks: Number.isFinite(options.totalTicks) ? options.totalTicks : undefined,
    timer,
    readers: extension.readers,
    stages: extension.stages,
    limiter: extension.limiter,
  });
  const bins = options.coverageBins ?? 20;
  const coverage = spec.joints.length > 0 ? new JointCoverage(spec.joints, { bins }) : undefined;
  const freshOnly = options.coverageFreshOnly ?? false;
  const problems = options.problems ?? [];
  const problemCounts = options.problemCounts ?? {};
  const sub = loop.cycles$.subscribe((c) => {
    if (coverage && (c.fresh || !freshOnly)) coverage.add(c.frame.jointAngleRad);
  });
  sub.add(
    loop.events$.subscribe((e) => {
      if (e.type === "problem") countProblem(e, problemCounts, problems);
    }),
  );
  attachLoop(plugins, loop);
  options.onLoop?.(loop);
  try {
    const result = await loop.run();
    return { loop: result, coverage: coverage ? coverage.value() : null, coverageBins: bins, problems, problemCounts };
  } finally {
    sub.unsubscribe();
  }
}
