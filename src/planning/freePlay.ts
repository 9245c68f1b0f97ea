/**
 * Free play (CEE-US, Sancaktar, Blaes & Martius 2022): the body explores by planning with iCEM on
 * the learning ensemble to maximise the members' disagreement along the plan (cost = −Σ_t u_t,
 * every member carrying its own trajectory), and the ensemble is retrained on everything gathered
 * after each round of `roundSteps` steps; no random warm-up, as in cee-us' main loop. The same
 * collector runs the baselines: uniform random actions and DEP, for the same number of steps.
 *
 * Each round is one run of the `ControlLoop` (as `tendon sim` and `tendon plan` run theirs), so the
 * same loop plugins observe it: --record, --foxglove, the dashboard and the API of --serve. The
 * explorer is the loop's controller: a `PlannerController` on the ensemble (curious), DEP, or a
 * uniform command held for a step (random). Between rounds, with no loop running, the body is
 * reset and the ensemble retrained; a tick never waits for training. In lockstep (the default) the
 * planner plans inside the tick (deterministic); in real time (`realtime`, as --serve runs) it plans
 * in a worker holding the round's model, so a tick never waits for a plan either.
 *
 * One step is one planner action of `stepSec` model time; the loop runs at the control rate in
 * between. A transition is (the state at a step's start, the mean of the commands the loop wrote
 * during the step, the state at its end): for the planner and the random explorer that is the held
 * action (unless the safety layer of --serve changed it), for DEP the mean of its commands at the
 * control rate (a stated approximation). Each round starts from a reset of the body (a perturbed
 * start pose from the seed).
 *
 * After each update the model's losses are reported (`modelLoss`): the training loss (MSE,
 * z-scored) and the held-out loss: the z-scored MSE of the model before the update on the round's
 * new transitions, which it had not trained on (NaN for the first round, before any model).
 *
 * Differences from cee-us, named: a smaller ensemble and planner (5 x 2 x 128 SiLU, 32 trajectories
 * x H 10 by default, for a shared 2-core CPU) and disagreement in z-scored units (EnsembleRollout).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { describeSource, resolveModelSource } from "../../sim/modelSource.js";
import type { Controller } from "../core/controller.js";
import { createSensorFrame, type SensorFrame } from "../core/frames.js";
import { Rng } from "../core/rng.js";
import type { RobotSpec } from "../core/spec.js";
import { DepController } from "../dep/DepController.js";
import { initBackend } from "../learner/tf/backend.js";
import { ControlLoop, type LoopResult } from "../loop/ControlLoop.js";
import { attachLoop, extendLoop, type LoopPlugin } from "../loop/extension.js";
import { NodeTimer } from "../loop/ticks.js";
import { EnsembleRollout } from "../models/EnsembleRollout.js";
import { EnsembleTrainer, evaluateEnsemble, type TransitionSet } from "../models/EnsembleTrainer.js";
import { ProbabilisticEnsemble, type EnsembleConfig } from "../models/ProbabilisticEnsemble.js";
import { FrameStateReader, formatStateSpec, parseStateSpec } from "../models/StateLayout.js";
import type { StateLayout } from "../models/types.js";
import { FREE_PLAY_DEFAULTS, IcemPlanner, type PlannerOptions } from "./IcemPlanner.js";
import { InlineBackend, WorkerBackend, type FinishedPlan, type PlanBackend } from "./PlanBackends.js";
import { PlannedTrajectory } from "./PlannedTrajectory.js";
import { PlannerController, type PlannerStatsSummary } from "./PlannerController.js";
import type { PlanningObserver } from "./runPlanning.js";
import { DisagreementCost, type PlanFunction } from "./planSetup.js";
import { writeWorldModel, type WorldModelFile } from "./WorldModelFile.js";
import type { TaskSpec } from "../tasks/TaskSpec.js";

export type Explorer = "curious" | "random" | "dep";
export const EXPLORERS: readonly Explorer[] = ["curious", "random", "dep"];

export interface FreePlayOptions {
  readonly model: string;
  readonly stateSpec: string;
  /** Steps (planner actions) in all. */
  readonly steps: number;
  /** Steps per round: the body is reset and (curious) the model retrained after each. */
  readonly roundSteps: number;
  readonly stepSec: number;
  /** Control rate of the simulation (Hz). */
  readonly rateHz: number;
  readonly explorer: Explorer;
  readonly seed: number;
  readonly planner?: Partial<PlannerOptions>;
  readonly ensemble?: Partial<EnsembleConfig>;
  /** Adam steps on all data after each round (curious). */
  readonly trainStepsPerRound?: number;
  /** Pace the loop on the wall clock (the planner then plans in a worker); default lockstep. */
  readonly realtime?: boolean;
  readonly onRound?: (r: FreePlayRound) => void;
  /**
   * Observers of each round's loop (--record, --foxglove, the dashboard): called before round
   * `index` runs; its loop time starts at 0 and is `offsetSec` after the first round's start.
   */
  readonly observe?: (round: { readonly index: number; readonly offsetSec: number; readonly trajectory: { readonly horizon: number; readonly columns: readonly string[] } }) => PlayObserver;
  /** More plugins for every round's loop (the safety layer and API of --serve), after the observer; not closed here. */
  readonly plugins?: readonly LoopPlugin[];
  /** Called once each round's loop exists (progress, stop on a signal). */
  readonly onLoop?: (loop: ControlLoop, round: number, ticks: number) => void;
  /** Checked before each round: true ends the play early (a signal, POST /api/stop). */
  readonly stopRequested?: () => boolean;
}

/** A round's observer: the loop's topics, each adopted plan, and each model update. */
export interface PlayObserver extends PlanningObserver {
  /** After the round's model update: [train loss, held-out loss, model version], on /learner/model_loss. */
  readonly modelLoss: (trainLoss: number, heldOutLoss: number, version: number) => void;
}

export interface FreePlayRound {
  readonly round: number;
  /** Steps gathered so far (all rounds). */
  readonly steps: number;
  /** Mean predicted disagreement of the executed plans (curious only; NaN otherwise). */
  readonly meanDisagreement: number;
  readonly meanPlanMs: number;
  readonly trainLoss: number;
  /** Z-scored MSE of the previous model on this round's transitions (curious, from the second round; NaN otherwise). */
  readonly heldOutLoss: number;
  readonly wallSec: number;
  /** The round's planner statistics (curious only). */
  readonly planner?: PlannerStatsSummary;
  readonly overruns: number;
}

export interface FreePlayResult {
  readonly body: string;
  readonly layout: StateLayout;
  readonly set: TransitionSet;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  readonly stepSec: number;
  /** The model learned online (curious only). */
  readonly ensemble: ProbabilisticEnsemble | undefined;
  readonly rounds: FreePlayRound[];
  readonly wallSec: number;
  /** True when the play ended before `steps` (stopped). */
  readonly stopped: boolean;
}

/** Free-play ensemble settings: CEE-US trains deterministic MLPs with MSE (mlp_ensemble.yaml). */
export const FREE_PLAY_ENSEMBLE: Partial<EnsembleConfig> = { members: 5, hidden: [128, 128], loss: "mse", learningRate: 1e-3 };

/** The uniform-random explorer: a command drawn uniformly from each muscle's range, held for a step. */
class RandomStepController implements Controller {
  readonly name = "random";
  readonly #rng: Rng;
  readonly #ticksPerStep: number;
  #out = new Float64Array(0);
  #low = new Float64Array(0);
  #high = new Float64Array(0);
  #tick = 0;

  constructor(rng: Rng, ticksPerStep: number) {
    this.#rng = rng;
    this.#ticksPerStep = ticksPerStep;
  }

  configure(spec: RobotSpec): void {
    this.#out = new Float64Array(spec.muscles.length);
    this.#low = Float64Array.from(spec.muscles, (m) => m.commandMin);
    this.#high = Float64Array.from(spec.muscles, (m) => m.commandMax);
    this.#tick = 0;
  }

  update(_frame: SensorFrame, _dtSec: number): Float64Array {
    if (this.#tick++ % this.#ticksPerStep === 0) {
      for (let k = 0; k < this.#out.length; k++) this.#out[k] = this.#rng.uniform(this.#low[k], this.#high[k]);
    }
    return this.#out;
  }
}

export async function runFreePlay(o: FreePlayOptions): Promise<FreePlayResult> {
  const t0 = performance.now();
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new RangeError(`free play needs steps >= 1, got ${o.steps}`);
  const source = resolveModelSource(o.model);
  const bridge = new MujocoBridge({ source, controlRateHz: o.rateHz, seed: o.seed, initialNoise: 0.3 });
  await bridge.configure();
  const spec = bridge.spec;
  const known = { joints: spec.joints.map((j) => j.name), muscles: spec.muscles.map((m) => m.name), sites: bridge.siteNames };
  const layout = parseStateSpec(o.stateSpec, known);
  const reader = new FrameStateReader(layout, known, (ids, out) => bridge.readSitePositions(ids, out));
  const period = bridge.controlPeriodSec;
  const ticksPerStep = Math.max(1, Math.round(o.stepSec / period));
  const stepSec = ticksPerStep * period;
  const d = layout.size;
  const a = spec.muscles.length;
  const low = Float64Array.from(spec.muscles, (m) => m.commandMin);
  const high = Float64Array.from(spec.muscles, (m) => m.commandMax);
  const n = o.steps;
  const set: TransitionSet = { rows: n, stateDim: d, actionDim: a, states: new Float32Array(n * d), actions: new Float32Array(n * a), next: new Float32Array(n * d), segment: new Int32Array(n) };
  const rng = new Rng(o.seed * 7 + 1);
  let ensemble: ProbabilisticEnsemble | undefined;
  let trainer: EnsembleTrainer | undefined;
  let planner: IcemPlanner | undefined;
  const plannerOptions: Partial<PlannerOptions> = { ...FREE_PLAY_DEFAULTS, population: 32, horizon: 10, ...o.planner, seed: o.seed };
  const horizon = plannerOptions.horizon ?? 10;
  // Real time: the worker plans on the round's model, handed over as a world-model file.
  const modelDir = o.realtime && o.explorer === "curious" ? fs.mkdtempSync(path.join(os.tmpdir(), "tendon-play-")) : undefined;
  if (o.explorer === "curious") {
    await initBackend("auto");
    ensemble = new ProbabilisticEnsemble(layout, a, { ...FREE_PLAY_ENSEMBLE, ...o.ensemble }, o.seed);
    trainer = new EnsembleTrainer(ensemble, { batchSize: 256, bootstrap: false, seed: o.seed });
    if (!modelDir) {
      const rollout = new EnsembleRollout(ensemble, { propagation: "members", actionLow: low, actionHigh: high, stepSec, seed: o.seed });
      planner = new IcemPlanner(rollout, new DisagreementCost(), plannerOptions);
    }
  }
  // The planned quantity on the topics: the first site where the state has one, else the joint angles.
  const site = layout.groups.find((g) => g.kind === "site_position")?.names[0];
  const trajectorySpec: TaskSpec = site ? { kind: "reach", site, target: [0, 0, 0] } : { kind: "pose", joints: {} };
  const trajectory = new PlannedTrajectory(trajectorySpec, layout, horizon);
  const frame = createSensorFrame(spec);
  const state = new Float64Array(d);
  const rounds: FreePlayRound[] = [];
  let stopped = false;
  let row = 0;
  try {
    let offsetSec = 0;
    for (let round = 0; row < n; round++) {
      if (o.stopRequested?.()) {
        stopped = true;
        break;
      }
      const r0 = performance.now();
      bridge.reset();
      const end = Math.min(n, row + o.roundSteps);
      const first = row;
      const roundTicks = (end - first) * ticksPerStep;
      const observer = o.observe?.({ index: round, offsetSec, trajectory: { horizon, columns: trajectory.columns } });
      let controller: Controller;
      let plannerController: PlannerController | undefined;
      let backend: PlanBackend | undefined;
      let dis = 0;
      let plans = 0;
      let planMs = 0;
      if (o.explorer === "curious") {
        backend = modelDir ? await WorkerBackend.start(workerSetup(modelDir, round, ensemble!, layout, low, high, stepSec, row, o.seed, plannerOptions)) : new InlineBackend(inProcess(planner!, layout));
        plannerController = new PlannerController({
          backend,
          stateSize: d,
          readState: (f, out) => reader.fill(f, out),
          horizon,
          stepSec,
          onPlan: (plan: FinishedPlan) => {
            dis += plan.disagreement;
            planMs += plan.planMs;
            plans++;
            observer?.plan(plan.cost, plan.disagreement, trajectory.fill(plan.states));
          },
        });
        planner?.reset();
        controller = plannerController;
      } else if (o.explorer === "dep") {
        controller = new DepController({ preset: "default" });
      } else {
        controller = new RandomStepController(rng, ticksPerStep);
      }
      const plugins: LoopPlugin[] = [...(observer ? [observer] : []), ...(o.plugins ?? [])];
      // Real time: the loop's timer, which the safety layer of --serve stamps the API's commands with.
      const timer = o.realtime ? new NodeTimer() : undefined;
      const extension = extendLoop(plugins, { spec, periodSec: period, controllerName: controller.name, controller, clock: timer });
      const loop = new ControlLoop({ bridge, controller, mode: o.realtime ? "realtime" : "lockstep", periodSec: period, maxTicks: roundTicks, timer, stages: extension.stages, limiter: extension.limiter });
      attachLoop(plugins, loop);
      o.onLoop?.(loop, round, roundTicks);
      // The round's first state, then one transition per step from what the loop wrote.
      bridge.read(bridge.simTimeSec, period, frame);
      reader.fill(frame, state);
      set.states.set(state, row * d);
      set.actions.fill(0, row * a, (row + 1) * a);
      let tickInStep = 0;
      // Loop time of the round's end: in real time, skipped cycles make it more than ticks x period.
      let endSec = 0;
      const sub = loop.cycles$.subscribe((c) => {
        endSec = c.tick.startSec + period;
        if (row >= end) return;
        const values = c.command.values;
        for (let k = 0; k < a; k++) set.actions[row * a + k] += values[k] / ticksPerStep;
        if (++tickInStep < ticksPerStep) return;
        tickInStep = 0;
        // The simulation has advanced past the step: its state ends this transition and starts the next.
        bridge.read(bridge.simTimeSec, period, frame);
        reader.fill(frame, state);
        set.next.set(state, row * d);
        set.segment![row] = round;
        row++;
        if (row < end) {
          set.states.set(state, row * d);
          set.actions.fill(0, row * a, (row + 1) * a);
        }
      });
      let loopResult: LoopResult;
      try {
        loopResult = await loop.run();
      } finally {
        sub.unsubscribe();
        await backend?.close();
      }
      offsetSec += endSec;
      // A round cut short (stopped) keeps its whole steps only.
      if (row < end) stopped = true;
      const steps = row - first;
      let loss = Number.NaN;
      let heldOut = Number.NaN;
      if (trainer && ensemble && steps > 0) {
        if (round > 0) heldOut = evaluateEnsemble(ensemble, sliceRows(set, first, row)).normalizedMse;
        trainer.setData(sliceSet(set, row), true);
        loss = trainer.trainSteps(o.trainStepsPerRound ?? 200);
        observer?.modelLoss(loss, heldOut, round + 1);
      }
      await observer?.close?.();
      const ps = plannerController?.stats;
      const r: FreePlayRound = {
        round,
        steps: row,
        meanDisagreement: plans > 0 ? dis / plans : Number.NaN,
        meanPlanMs: plans > 0 ? planMs / plans : Number.NaN,
        trainLoss: loss,
        heldOutLoss: heldOut,
        wallSec: (performance.now() - r0) / 1000,
        ...(ps ? { planner: ps } : {}),
        overruns: loopResult.stats.overruns,
      };
      rounds.push(r);
      o.onRound?.(r);
      if (stopped) break;
    }
  } finally {
    await bridge.shutdown();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  }
  const kept = row < n ? sliceSet(set, row) : set;
  return { body: describeSource(source), layout, set: kept, actionLow: low, actionHigh: high, stepSec, ensemble, rounds, wallSec: (performance.now() - t0) / 1000, stopped };
}

/** The in-process planner as a PlanFunction (inline backend, lockstep); closing it keeps the ensemble. */
function inProcess(planner: IcemPlanner, layout: StateLayout): PlanFunction {
  return { layout, model: planner.model, planner, startSize: layout.size, plan: (start, tSec) => planner.plan(start, tSec), close: () => {} };
}

/** The round's model as a file for the planning worker (real time), and the worker's setup. */
function workerSetup(dir: string, round: number, ensemble: ProbabilisticEnsemble, layout: StateLayout, low: Float64Array, high: Float64Array, stepSec: number, rows: number, seed: number, planner: Partial<PlannerOptions>) {
  const file = path.join(dir, `round${round}.json`);
  writeWorldModel(file, { format: "tendon-world-model", version: 1, body: "free play", stateSpec: formatStateSpec(layout), stepSec, actionLow: Array.from(low), actionHigh: Array.from(high), transitions: rows, ensemble: ensemble.state() });
  return { model: { kind: "ensemble" as const, file, propagation: "members" as const, seed: seed + round }, cost: { kind: "disagreement" as const }, planner: { ...planner, seed: seed * 1000 + round } };
}

/** The first `rows` transitions of a set (views, no copy). */
export function sliceSet(s: TransitionSet, rows: number): TransitionSet {
  return sliceRows(s, 0, rows);
}

/** Transitions [from, to) of a set (views, no copy). */
export function sliceRows(s: TransitionSet, from: number, to: number): TransitionSet {
  return {
    rows: to - from,
    stateDim: s.stateDim,
    actionDim: s.actionDim,
    states: s.states.subarray(from * s.stateDim, to * s.stateDim),
    actions: s.actions.subarray(from * s.actionDim, to * s.actionDim),
    next: s.next.subarray(from * s.stateDim, to * s.stateDim),
    segment: s.segment?.subarray(from, to),
  };
}

/** What `tendon play` saves as model.json. */
export function worldModelOf(r: FreePlayResult, ensemble: ProbabilisticEnsemble): WorldModelFile {
  return {
    format: "tendon-world-model",
    version: 1,
    body: r.body,
    stateSpec: formatStateSpec(r.layout),
    stepSec: r.stepSec,
    actionLow: Array.from(r.actionLow),
    actionHigh: Array.from(r.actionHigh),
    transitions: r.set.rows,
    ensemble: ensemble.state(),
  };
}
