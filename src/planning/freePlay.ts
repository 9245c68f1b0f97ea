/**
 * Free play (CEE-US, Sancaktar, Blaes & Martius 2022): the body explores by planning with iCEM on
 * the learning ensemble to maximise the members' disagreement along the plan (cost = −Σ_t u_t,
 * every member carrying its own trajectory), and the ensemble is retrained on everything gathered
 * after each round of `roundSteps` steps; no random warm-up, as in cee-us' main loop. The same
 * collector runs the baselines: uniform random actions and DEP, for the same number of steps.
 *
 * One step is one planner action of `stepSec` model time; the simulation runs at its control
 * rate in between (the planner's and the random explorer's action is held for the step; DEP runs
 * at the control rate and the step's action is the mean of its commands, a stated approximation).
 * Each round starts from a reset of the body (a perturbed start pose from the seed).
 *
 * Differences from cee-us, named: a smaller ensemble and planner (5 x 2 x 128 SiLU, 32 trajectories
 * x H 10 by default, for a shared 2-core CPU) and disagreement in z-scored units (EnsembleRollout).
 */
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { describeSource, resolveModelSource } from "../../sim/modelSource.js";
import { createMuscleCommand, createSensorFrame } from "../core/frames.js";
import { Rng } from "../core/rng.js";
import { DepController } from "../dep/DepController.js";
import { initBackend } from "../learner/tf/backend.js";
import { EnsembleRollout } from "../models/EnsembleRollout.js";
import { EnsembleTrainer, type TransitionSet } from "../models/EnsembleTrainer.js";
import { ProbabilisticEnsemble, type EnsembleConfig } from "../models/ProbabilisticEnsemble.js";
import { FrameStateReader, parseStateSpec } from "../models/StateLayout.js";
import type { StateLayout } from "../models/types.js";
import { FREE_PLAY_DEFAULTS, IcemPlanner, type PlannerOptions } from "./IcemPlanner.js";
import { DisagreementCost } from "./planSetup.js";
import type { WorldModelFile } from "./WorldModelFile.js";
import { formatStateSpec } from "../models/StateLayout.js";

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
  readonly onRound?: (r: FreePlayRound) => void;
}

export interface FreePlayRound {
  readonly round: number;
  readonly steps: number;
  /** Mean predicted disagreement of the executed plans (curious only; NaN otherwise). */
  readonly meanDisagreement: number;
  readonly meanPlanMs: number;
  readonly trainLoss: number;
  readonly wallSec: number;
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
}

/** Free-play ensemble settings: CEE-US trains deterministic MLPs with MSE (mlp_ensemble.yaml). */
export const FREE_PLAY_ENSEMBLE: Partial<EnsembleConfig> = { members: 5, hidden: [128, 128], loss: "mse", learningRate: 1e-3 };

export async function runFreePlay(o: FreePlayOptions): Promise<FreePlayResult> {
  const t0 = performance.now();
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new RangeError(`free play needs steps >= 1, got ${o.steps}`);
  const source = resolveModelSource(o.model);
  const bridge = new MujocoBridge({ source, controlRateHz: o.rateHz, seed: o.seed, initialNoise: 0.3 });
  await bridge.configure();
  await bridge.activate();
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
  if (o.explorer === "curious") {
    await initBackend("auto");
    ensemble = new ProbabilisticEnsemble(layout, a, { ...FREE_PLAY_ENSEMBLE, ...o.ensemble }, o.seed);
    trainer = new EnsembleTrainer(ensemble, { batchSize: 256, bootstrap: false, seed: o.seed });
    const rollout = new EnsembleRollout(ensemble, { propagation: "members", actionLow: low, actionHigh: high, stepSec, seed: o.seed });
    planner = new IcemPlanner(rollout, new DisagreementCost(), { ...FREE_PLAY_DEFAULTS, population: 32, horizon: 10, ...o.planner, seed: o.seed });
  }
  const dep = o.explorer === "dep" ? new DepController({ preset: "default" }) : undefined;
  dep?.configure(spec);
  const frame = createSensorFrame(spec);
  const cmd = createMuscleCommand(spec);
  const state = new Float64Array(d);
  const rounds: FreePlayRound[] = [];
  try {
    let row = 0;
    for (let round = 0; row < n; round++) {
      const r0 = performance.now();
      bridge.reset();
      dep?.reset?.();
      planner?.reset();
      let dis = 0;
      let planMs = 0;
      const end = Math.min(n, row + o.roundSteps);
      const first = row;
      bridge.read(bridge.simTimeSec, period, frame);
      reader.fill(frame, state);
      for (; row < end; row++) {
        set.states.set(state, row * d);
        set.segment![row] = round;
        if (planner) {
          const tp = performance.now();
          const p = planner.plan(state);
          planMs += performance.now() - tp;
          dis += p.disagreement;
          for (let k = 0; k < a; k++) cmd.values[k] = p.action[k];
        } else if (!dep) {
          for (let k = 0; k < a; k++) cmd.values[k] = rng.uniform(low[k], high[k]);
        }
        const acc = set.actions.subarray(row * a, (row + 1) * a);
        acc.fill(0);
        for (let tick = 0; tick < ticksPerStep; tick++) {
          if (dep) {
            bridge.read(bridge.simTimeSec, period, frame);
            const u = dep.update(frame, period);
            for (let k = 0; k < a; k++) cmd.values[k] = Math.min(high[k], Math.max(low[k], Number.isFinite(u[k]) ? u[k] : spec.muscles[k].safeCommand));
          }
          for (let k = 0; k < a; k++) acc[k] += cmd.values[k] / ticksPerStep;
          bridge.write(bridge.simTimeSec, period, cmd);
          bridge.advance(period);
        }
        bridge.read(bridge.simTimeSec, period, frame);
        reader.fill(frame, state);
        set.next.set(state, row * d);
      }
      let loss = Number.NaN;
      if (trainer) {
        trainer.setData(sliceSet(set, row), true);
        loss = trainer.trainSteps(o.trainStepsPerRound ?? 200);
      }
      const steps = row - first;
      const r: FreePlayRound = { round, steps: row, meanDisagreement: planner ? dis / steps : Number.NaN, meanPlanMs: planner ? planMs / steps : Number.NaN, trainLoss: loss, wallSec: (performance.now() - r0) / 1000 };
      rounds.push(r);
      o.onRound?.(r);
    }
  } finally {
    await bridge.deactivate();
    await bridge.shutdown();
  }
  return { body: describeSource(source), layout, set, actionLow: low, actionHigh: high, stepSec, ensemble, rounds, wallSec: (performance.now() - t0) / 1000 };
}

/** The first `rows` transitions of a set (views, no copy). */
export function sliceSet(s: TransitionSet, rows: number): TransitionSet {
  return {
    rows,
    stateDim: s.stateDim,
    actionDim: s.actionDim,
    states: s.states.subarray(0, rows * s.stateDim),
    actions: s.actions.subarray(0, rows * s.actionDim),
    next: s.next.subarray(0, rows * s.stateDim),
    segment: s.segment?.subarray(0, rows),
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
