/**
 * `tendon learn --on-loop` as a function: the reach task learned on the real control loop, the
 * same `ControlLoop` as `tendon sim` (lockstep or real time), instead of the learner's own
 * environment loop. Per tick the `PolicyController` (in the `LearningPolicy` plugin) runs the
 * policy, or DEP when the DEP-RL schedule switches to it, and submits its command as the
 * arbiter's `policy` source; the safety layer (arbiter, e-stop, hand-over ramp, limits) decides
 * what is written. The loop's own controller is an idle source of lowest priority that asks for
 * the safe command: it wins only when the policy's source times out. Transition rows go to a
 * `WorkerLearner` (MPO in a worker thread) every `drainEveryTicks` ticks; versioned policies come
 * back and are swapped in between ticks.
 *
 * The safety layer is this run's own, or the one a `--serve` session brings (a plugin that
 * exposes `safety`): an e-stop through the API writes the safe command at once
 * (`ControlLoop.writeSafeNow`), and so does `estop()` here; the e-stop's ticks are not learned from.
 */
import type { Controller } from "../../core/controller.js";
import { UserError } from "../../core/errors.js";
import type { ProblemCode } from "../../core/events.js";
import { resolveDepParams } from "../../dep/params.js";
import { ControlLoop, type LoopResult } from "../../loop/ControlLoop.js";
import { attachLoop, closePlugins, extendLoop, type LoopPlugin } from "../../loop/extension.js";
import { NodeTimer } from "../../loop/ticks.js";
import { defaultSafetyConfig, POLICY_SOURCE, type SafetyConfig } from "../../safety/config.js";
import { SafetyLayer } from "../../safety/SafetyLayer.js";
import { MujocoBridge } from "../../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../../sim/modelSource.js";
import { ReachTask } from "../environments/ReachTask.js";
import type { ExplorationMode } from "../explorations/Exploration.js";
import { LEARN_DEFAULTS, type LearnConfig } from "../runLearn.js";
import { transitionOffsets, TRANSITION_DEP } from "../split/messages.js";
import { PolicyController, type TransitionBlock } from "../split/PolicyController.js";
import { WorkerLearner, type LearnerStatus } from "../split/WorkerLearner.js";
import type { BackendChoice } from "../tf/backend.js";
import { LearningPolicy } from "./LearningPolicy.js";

/** The loop's own controller: asks for every muscle's safe command (the arbiter's lowest source). */
export const IDLE_CONTROLLER = "idle";

export interface LoopLearnOptions {
  readonly mode?: ExplorationMode;
  /** Control ticks to run (each one environment step); Infinity: until stopped. */
  readonly ticks: number;
  readonly seed?: number;
  readonly model?: string;
  readonly rateHz?: number;
  readonly preset?: string;
  readonly depParams?: Readonly<Record<string, unknown>>;
  /** MPO's network and schedule (LEARN_DEFAULTS where not given). */
  readonly learn?: Partial<Pick<LearnConfig, "hiddenSizes" | "batchSize" | "batchIterations" | "stepsBeforeBatches" | "stepsBetweenBatches" | "returnSteps" | "replaySize" | "task">>;
  readonly backend?: BackendChoice;
  /** Pace the loop on the wall clock instead of lockstep. */
  readonly realtime?: boolean;
  /** Arbitration configuration of this run's own safety layer (default: the default sources with `idle` as the loop's controller). */
  readonly safety?: SafetyConfig;
  /** Plugins that come with the run (a `--serve` session); one that has `safety` brings the safety layer. */
  readonly plugins?: readonly LoopPlugin[];
  /** Ticks between transition blocks sent to the learner (default 25). */
  readonly drainEveryTicks?: number;
  /** Ticks between progress reports (default 2500). */
  readonly reportEveryTicks?: number;
  readonly onProgress?: (p: LoopLearnProgress) => void;
  /** Called once the loop and its safety layer exist, before the first tick (tests, signals). */
  readonly onLoop?: (run: { loop: ControlLoop; safety: SafetyLayer; controller: PolicyController; estop: (reason: string) => void }) => void;
  readonly shouldStop?: () => boolean;
}

export interface LoopLearnProgress {
  readonly ticks: number;
  /** Ticks on which the policy's own command was written (not the e-stop's, teleop's or a ramp's). */
  readonly applied: number;
  readonly policyVersion: number;
  readonly learnerSteps: number;
  readonly updates: number;
  readonly policies: number;
  readonly learnerStatus: LearnerStatus;
  /** Mean reward and DEP's share of the transitions sent since the last report (NaN: none). */
  readonly meanReward: number;
  readonly depShare: number;
  readonly wallSec: number;
}

export interface LoopLearnResult extends LoopLearnProgress {
  readonly model: string;
  readonly mode: ExplorationMode;
  readonly seed: number;
  readonly rateHz: number;
  readonly backend: string;
  readonly loop: LoopResult;
  readonly sent: number;
  readonly skipped: number;
  readonly dropped: number;
  readonly problems: Partial<Record<ProblemCode, number>>;
  readonly estops: number;
  /** Over the whole run: mean reward and DEP's share of the transitions sent. */
  readonly totalMeanReward: number;
  readonly totalDepShare: number;
}

/** A plugin that carries a safety layer (a `--serve` session). */
function safetyOf(p: LoopPlugin): SafetyLayer | undefined {
  return (p as { safety?: SafetyLayer }).safety;
}

export async function runLoopLearn(options: LoopLearnOptions): Promise<LoopLearnResult> {
  const mode = options.mode ?? LEARN_DEFAULTS.mode;
  const seed = options.seed ?? 0;
  const model = options.model ?? LEARN_DEFAULTS.model;
  const learn: LearnConfig = { ...LEARN_DEFAULTS, ...options.learn, mode, seed, model, envs: 1 };
  const depParams = resolveDepParams({ preset: options.preset ?? LEARN_DEFAULTS.preset, params: options.depParams ?? {} });
  const bridge = new MujocoBridge({ source: resolveModelSource(model), controlRateHz: options.rateHz ?? LEARN_DEFAULTS.rateHz, seed });
  let learner: WorkerLearner | undefined;
  const given = options.plugins ?? [];
  try {
    await bridge.configure();
    const spec = bridge.spec;
    const task = new ReachTask(learn.task);
    task.check(spec);
    const controller = new PolicyController({ task, mode, depParams, preTrainingSteps: learn.stepsBeforeBatches, seed });
    let learnerDetail = "";
    learner = new WorkerLearner({
      config: { observationSize: task.observationSize(spec), actionSize: spec.muscles.length, backend: options.backend ?? "auto", learn },
      onPolicy: (s) => controller.offer(s),
      onStatus: (_status, detail) => (learnerDetail = detail),
      stallAfterSec: 120,
    });
    const status = await learner.ready;
    if (status !== "running") throw new Error(`the learner worker did not start: ${learnerDetail || status}`);
    const periodSec = bridge.controlPeriodSec;
    const timer = options.realtime ? NodeTimer.forMode("precise") : undefined;
    // The safety layer: a served session's, else this run's own.
    const served = given.find((p) => "safety" in p);
    const own = served ? undefined : new SafetyLayer({ spec, config: options.safety ?? defaultSafetyConfig(IDLE_CONTROLLER), clock: timer });
    const safety = (): SafetyLayer => own ?? safetyOf(served!)!;
    let loop: ControlLoop | undefined;
    let estops = 0;
    const ownPlugin: LoopPlugin | undefined = own && {
      extend: () => own.loopOptions(),
      attach: (l) => {
        own.attach(l);
        // As with --serve: an e-stop writes the safe command at once; the latch keeps every later tick safe.
        own.events$.subscribe((e) => {
          if (e.type === "estop") l.writeSafeNow(`e-stop by ${e.by}: ${e.reason}`);
        });
      },
      close: () => own.dispose(),
    };
    // Rewards and DEP's share of what is sent, counted off the tick before the block goes.
    const O = task.observationSize(spec);
    const at = transitionOffsets(O, spec.muscles.length);
    let windowRows = 0;
    let windowReward = 0;
    let windowDep = 0;
    const total = { rows: 0, reward: 0, dep: 0 };
    const sink = (b: TransitionBlock): void => {
      const row = b.data.length / Math.max(1, b.count);
      for (let k = 0; k < b.count; k++) {
        windowReward += b.data[k * row + at.reward];
        if (b.data[k * row + at.flags] === TRANSITION_DEP) windowDep++;
      }
      windowRows += b.count;
      total.rows += b.count;
      learner!.push(b.count, b.data);
    };
    const policy = new LearningPolicy({ controller, arbiter: () => safety().arbiter, sink, drainEveryTicks: options.drainEveryTicks });
    // The policy's stage submits before the arbitration stage reads the sources.
    const plugins: LoopPlugin[] = [policy, ...(ownPlugin ? [ownPlugin] : []), ...given];
    const idle: Controller = {
      name: IDLE_CONTROLLER,
      configure: () => undefined,
      update: (() => {
        const safe = Float64Array.from(spec.muscles, (m) => m.safeCommand ?? m.commandMin);
        return () => safe;
      })(),
    };
    const ext = extendLoop(plugins, { spec, periodSec, controllerName: IDLE_CONTROLLER, controller: idle, clock: timer });
    if (safety().arbiter.sourceIndex(POLICY_SOURCE) < 0) {
      throw new UserError(`the safety configuration has no '${POLICY_SOURCE}' source: the learning policy commands through it (add {name: ${POLICY_SOURCE}, priority: 50, timeout: 0.5})`);
    }
    loop = new ControlLoop({
      bridge,
      controller: idle,
      mode: options.realtime ? "realtime" : "lockstep",
      periodSec,
      maxTicks: Number.isFinite(options.ticks) ? options.ticks : undefined,
      timer,
      readers: ext.readers,
      stages: ext.stages,
      limiter: ext.limiter,
    });
    attachLoop(plugins, loop);
    const problems: Partial<Record<ProblemCode, number>> = {};
    loop.events$.subscribe((e) => {
      if (e.type === "problem") problems[e.code] = (problems[e.code] ?? 0) + 1;
    });
    safety().events$.subscribe((e) => {
      if (e.type === "estop") estops++;
    });
    const started = performance.now();
    const every = options.reportEveryTicks ?? 2500;
    const progress = (): LoopLearnProgress => {
      const p = learner!.progress;
      const out: LoopLearnProgress = {
        ticks: policy.stats.ticks,
        applied: policy.stats.applied,
        policyVersion: controller.policyVersion,
        learnerSteps: p.steps,
        updates: p.updates,
        policies: p.policies,
        learnerStatus: learner!.status,
        meanReward: windowRows > 0 ? windowReward / windowRows : NaN,
        depShare: windowRows > 0 ? windowDep / windowRows : NaN,
        wallSec: (performance.now() - started) / 1000,
      };
      total.reward += windowReward;
      total.dep += windowDep;
      windowRows = windowReward = windowDep = 0;
      return out;
    };
    loop.cycles$.subscribe((c) => {
      if ((c.tick.index + 1) % every === 0) options.onProgress?.(progress());
      if (options.shouldStop?.()) loop!.stop();
    });
    options.onLoop?.({ loop, safety: safety(), controller, estop: (reason) => safety().arbiter.estop("api", reason) });
    let result: LoopResult;
    try {
      result = await loop.run();
    } finally {
      await closePlugins(plugins.filter((p) => !given.includes(p)));
    }
    // The last rows reach the learner before it stops (a learner that died is not waited for).
    for (let waited = 0; waited < 30_000 && learner.status === "running" && learner.progress.steps < policy.stats.sent; waited += 20) await new Promise((r) => setTimeout(r, 20));
    const last = progress();
    return {
      ...last,
      model: spec.name,
      mode,
      seed,
      rateHz: 1 / periodSec,
      backend: learner.progress.backend,
      loop: result,
      sent: policy.stats.sent,
      skipped: controller.skippedTransitions,
      dropped: controller.droppedTransitions,
      problems,
      estops,
      totalMeanReward: total.rows > 0 ? total.reward / total.rows : NaN,
      totalDepShare: total.rows > 0 ? total.dep / total.rows : NaN,
    };
  } finally {
    await learner?.stop();
    await bridge.shutdown();
  }
}
