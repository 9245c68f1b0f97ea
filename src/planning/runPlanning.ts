/**
 * `tendon plan` without the terminal: task episodes on a simulated body, each solved by iCEM (or
 * CEM) in the control loop through a PlannerController, with MuJoCo or a learned world model as
 * the planner's model. Lockstep by default (deterministic, planning inline); `realtime` paces the
 * loop on the wall clock and plans in a worker (or between ticks) so a tick never waits.
 */
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { MujocoRolloutModel } from "../../sim/MujocoRolloutModel.js";
import { describeSource, resolveModelSource, type ModelSource } from "../../sim/modelSource.js";
import { Rng } from "../core/rng.js";
import { ControlLoop, type LoopResult } from "../loop/ControlLoop.js";
import { attachLoop, extendLoop, type LoopPlugin } from "../loop/extension.js";
import { NodeTimer } from "../loop/ticks.js";
import { FrameStateReader, StateSpecError } from "../models/StateLayout.js";
import { Task, type EpisodeResult } from "../tasks/Task.js";
import { TaskError, taskStateSpec, validateTask, type TaskKind, type TaskSpec, type Vec3 } from "../tasks/TaskSpec.js";
import type { PlannerOptions } from "./IcemPlanner.js";
import { BetweenTicksBackend, InlineBackend, WorkerBackend, type PlanBackend, type PlanBackendKind, type FinishedPlan } from "./PlanBackends.js";
import { PlannedTrajectory } from "./PlannedTrajectory.js";
import { PlannerController, type PlannerStatsSummary } from "./PlannerController.js";
import { createPlanFunction, type ModelSetup, type PlanSetup } from "./planSetup.js";
import { checkWorldModelFits, readWorldModel } from "./WorldModelFile.js";

/** A task as the command line gives it: a kind with optional parts, or a full spec (from a file). */
export type TaskInput =
  | { readonly kind: TaskKind; readonly site?: string; readonly target?: Vec3; readonly joints?: Readonly<Record<string, number>>; readonly joint?: string; readonly velocityRadps?: number; readonly episodeSec?: number }
  | { readonly spec: unknown };

export interface RunPlanningOptions {
  readonly model: string;
  readonly task: TaskInput;
  readonly episodes: number;
  readonly seed: number;
  readonly rateHz: number;
  readonly planner: Partial<PlannerOptions>;
  /** Model time per planned action (s). */
  readonly stepSec: number;
  /** Physics timestep of the planner's MuJoCo copy (s); default the model's. */
  readonly modelTimestepSec?: number;
  /** A world model file (tendon play's model.json) to plan on instead of MuJoCo. */
  readonly modelFrom?: string;
  readonly realtime: boolean;
  readonly backend?: PlanBackendKind;
  readonly onEpisode?: (e: PlanningEpisode) => void;
  readonly onPlan?: (plan: FinishedPlan) => void;
  /**
   * Observers of each episode's loop (--record, --foxglove): called before episode `index` is
   * run, whose loop time starts at 0 and is `offsetSec` after the first episode's start.
   */
  readonly observe?: (episode: { readonly index: number; readonly offsetSec: number; readonly trajectory: { readonly horizon: number; readonly columns: readonly string[] } }) => PlanningObserver;
  /** More plugins for every episode's loop (the safety layer and API of --serve), after the observer; not closed here. */
  readonly plugins?: readonly LoopPlugin[];
  /** Called once each episode's loop exists (stop on a signal). */
  readonly onLoop?: (loop: ControlLoop, episode: number) => void;
  /** Checked before each episode: true ends the run early (a signal, POST /api/stop). */
  readonly stopRequested?: () => boolean;
}

/** A loop plugin that also hears of every adopted plan (cost, disagreement, planned trajectory [horizon x columns]; copy, do not keep). */
export interface PlanningObserver extends LoopPlugin {
  readonly plan: (cost: number, disagreement: number, trajectory: Float64Array) => void;
}

export interface PlanningEpisode {
  readonly index: number;
  readonly task: TaskSpec;
  readonly result: EpisodeResult;
  readonly planner: PlannerStatsSummary;
  readonly loop: LoopResult;
}

export interface PlanningRunResult {
  readonly body: string;
  readonly plannedOn: "mujoco" | "world-model";
  readonly backend: PlanBackendKind;
  readonly episodes: PlanningEpisode[];
  readonly successRate: number;
  readonly wallSec: number;
}

/** The state entries the planner's MuJoCo copy (and the ground truth) holds for a task. */
export function stateSpecFor(taskSpec: string): string {
  return `joint_angle:*,joint_velocity:*,muscle_activation:*${taskSpec.startsWith("site_position") ? `,${taskSpec}` : ""}`;
}

/**
 * Fills in a task's missing parts from the body (random reachable targets, poses and paths from
 * the seed), then validates it. Throws `TaskError` for unknown names or malformed parts.
 */
export function resolveTask(input: TaskInput, truth: MujocoRolloutModel, rng: Rng): TaskSpec {
  const names = truth.names;
  if ("spec" in input) return validateTask(input.spec, names);
  const sites = names.sites ?? [];
  const site = input.site ?? (sites.includes("fingertip") ? "fingertip" : undefined);
  const needSite = (): string => {
    if (site === undefined) throw new TaskError(`task ${input.kind} needs --site: the model's sites are ${sites.slice(0, 12).join(", ") || "(none)"}`);
    if (!sites.includes(site)) validateTask({ kind: input.kind, site, target: [0, 0, 0], waypoints: [[0, 0, 0], [0, 0, 0]], durationSec: 1 }, names);
    return site;
  };
  const common = input.episodeSec !== undefined ? { episodeSec: input.episodeSec } : {};
  switch (input.kind) {
    case "reach": {
      const s = needSite();
      return validateTask({ kind: "reach", site: s, target: input.target ?? truth.randomSitePosition(s, rng), ...common }, names);
    }
    case "path": {
      const s = needSite();
      const a = truth.randomSitePosition(s, rng);
      const b = truth.randomSitePosition(s, rng);
      return validateTask({ kind: "path", site: s, waypoints: [a, b], durationSec: (input.episodeSec ?? 2) * 0.75, ...common }, names);
    }
    case "pose": {
      const joints: Record<string, number> = { ...(input.joints ?? {}) };
      if (Object.keys(joints).length === 0) {
        for (const j of names.joints) {
          const [lo, hi] = truth.jointRange(j);
          if (lo < hi) joints[j] = rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo));
        }
      }
      return validateTask({ kind: "pose", joints, ...common }, names);
    }
    case "velocity":
      return validateTask({ kind: "velocity", joint: input.joint ?? names.joints[0], velocityRadps: input.velocityRadps ?? 1, ...common }, names);
    default:
      return validateTask(input, names);
  }
}

export async function runPlanning(o: RunPlanningOptions): Promise<PlanningRunResult> {
  const t0 = performance.now();
  const source: ModelSource = resolveModelSource(o.model);
  const bridge = new MujocoBridge({ source, controlRateHz: o.rateHz, seed: o.seed });
  await bridge.configure();
  const period = bridge.controlPeriodSec;
  const rng = new Rng(o.seed + 7919);
  const backendKind: PlanBackendKind = o.backend ?? (o.realtime ? "worker" : "inline");
  if (backendKind === "inline" && o.realtime) throw new TaskError("--backend inline plans inside the tick: it cannot keep a real-time loop on time; use worker or between-ticks");
  // The ground truth: reads the task's state of the simulation after every tick.
  const probe = await MujocoRolloutModel.create({ source, stepSec: period, stateSpec: "joint_angle:*" });
  let firstTask: TaskSpec;
  try {
    firstTask = resolveTask(o.task, probe, rng);
  } finally {
    probe.delete();
  }
  let stateSpec = stateSpecFor(taskStateSpec(firstTask));
  let modelSetup: ModelSetup;
  if (o.modelFrom) {
    const wm = readWorldModel(o.modelFrom);
    stateSpec = wm.stateSpec;
    modelSetup = { kind: "ensemble", file: o.modelFrom, propagation: "mean", seed: o.seed };
    const check = await MujocoRolloutModel.create({ source, stepSec: period, stateSpec: "joint_angle:*" });
    try {
      checkWorldModelFits(wm, o.modelFrom, wm.ensemble.stateDim, check.actionDim, describeSource(source));
    } finally {
      check.delete();
    }
  } else {
    modelSetup = { kind: "mujoco", source, stateSpec, stepSec: o.stepSec, timestepSec: o.modelTimestepSec };
  }
  let truth: MujocoRolloutModel;
  try {
    truth = await MujocoRolloutModel.create({ source, stepSec: period, stateSpec });
  } catch (err) {
    if (err instanceof StateSpecError) throw new TaskError(`the world model's state (${stateSpec}) does not fit ${describeSource(source)}: ${err.message}`);
    throw err;
  }
  const episodes: PlanningEpisode[] = [];
  try {
    const truthState = new Float64Array(truth.layout.size);
    const reader = new FrameStateReader(truth.layout, { ...truth.names, sites: bridge.siteNames }, (ids, out) => bridge.readSitePositions(ids, out));
    let offsetSec = 0;
    for (let e = 0; e < o.episodes; e++) {
      if (e > 0 && o.stopRequested?.()) break;
      const spec = e === 0 ? firstTask : resolveTask(o.task, truth, rng);
      const task = new Task(spec, truth.layout);
      const setup: PlanSetup = { model: modelSetup, cost: { kind: "task", task: spec }, planner: { ...o.planner, seed: (o.planner.seed ?? o.seed) * 1000 + e } };
      const backend = await startBackend(backendKind, setup);
      const physics = modelSetup.kind === "mujoco";
      const horizon = setup.planner.horizon ?? 30;
      const trajectory = new PlannedTrajectory(spec, truth.layout, horizon);
      const observer = o.observe?.({ index: e, offsetSec, trajectory: { horizon, columns: trajectory.columns } });
      const onPlan =
        observer || o.onPlan
          ? (plan: FinishedPlan): void => {
              o.onPlan?.(plan);
              observer?.plan(plan.cost, plan.disagreement, trajectory.fill(plan.states));
            }
          : undefined;
      const controller = new PlannerController({
        backend,
        stateSize: physics ? bridge.physicsStateSize : truth.layout.size,
        readState: physics ? (_f, out) => bridge.readPhysicsState(out) : (frame, out) => reader.fill(frame, out),
        horizon,
        stepSec: physics ? o.stepSec : readWorldModel(o.modelFrom!).stepSec,
        onPlan,
      });
      const steps = Math.max(1, Math.round(task.episodeSec / period));
      const plugins: LoopPlugin[] = [...(observer ? [observer] : []), ...(o.plugins ?? [])];
      // Real time: the loop's timer, which the safety layer of --serve stamps the API's commands with.
      const timer = o.realtime ? new NodeTimer() : undefined;
      const extension = extendLoop(plugins, { spec: bridge.spec, periodSec: period, controllerName: controller.name, controller, clock: timer });
      const loop = new ControlLoop({ bridge, controller, mode: o.realtime ? "realtime" : "lockstep", periodSec: period, maxTicks: steps, timer, stages: extension.stages, limiter: extension.limiter });
      attachLoop(plugins, loop);
      o.onLoop?.(loop, e);
      task.startEpisode();
      // Loop time of the episode's end: in real time, skipped cycles make it more than ticks x period.
      let endSec = 0;
      const sub = loop.cycles$.subscribe((c) => {
        endSec = c.tick.startSec + period;
        truth.syncFrom(bridge);
        truth.readState(truthState);
        task.observe(truthState, c.tick.startSec + period);
      });
      let loopResult: LoopResult;
      try {
        loopResult = await loop.run();
      } finally {
        sub.unsubscribe();
        await observer?.close?.();
        await backend.close();
      }
      offsetSec += endSec;
      const ep: PlanningEpisode = { index: e, task: spec, result: task.result(), planner: controller.stats, loop: loopResult };
      episodes.push(ep);
      o.onEpisode?.(ep);
    }
  } finally {
    truth.delete();
    await bridge.shutdown();
  }
  const successRate = episodes.length > 0 ? episodes.filter((e) => e.result.success).length / episodes.length : 0;
  return { body: describeSource(source), plannedOn: o.modelFrom ? "world-model" : "mujoco", backend: backendKind, episodes, successRate, wallSec: (performance.now() - t0) / 1000 };
}

async function startBackend(kind: PlanBackendKind, setup: PlanSetup): Promise<PlanBackend> {
  if (kind === "worker") return WorkerBackend.start(setup);
  const fn = await createPlanFunction(setup);
  return kind === "inline" ? new InlineBackend(fn) : new BetweenTicksBackend(fn);
}
