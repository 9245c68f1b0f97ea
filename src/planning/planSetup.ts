/**
 * A planner described as data (`PlanSetup`: which model, which cost, which settings), built into a
 * `PlanFunction` on whichever thread plans: the loop's own, or a planning worker, which receives
 * the same setup as workerData. Heavy parts load lazily: MuJoCo for the MuJoCo model, TensorFlow.js
 * only for a learned ensemble.
 *
 * The start state a PlanFunction takes: for MuJoCo, the simulation's physics state
 * (MujocoBridge.readPhysicsState: time, qpos, qvel, act), so rollouts begin exactly where the
 * simulation is; for a learned model, the state vector in the model's layout.
 */
import type { ModelSource } from "../../sim/modelSource.js";
import type { Propagation } from "../models/EnsembleRollout.js";
import type { EnsembleState } from "../models/ProbabilisticEnsemble.js";
import type { RolloutModel, StateLayout } from "../models/types.js";
import type { TaskSpec } from "../tasks/TaskSpec.js";
import { IcemPlanner, type PlannerOptions, type PlanResult } from "./IcemPlanner.js";
import type { TrajectoryCost } from "./types.js";

export type ModelSetup =
  | { readonly kind: "mujoco"; readonly source: ModelSource; readonly stateSpec: string; readonly stepSec: number; readonly timestepSec?: number }
  | { readonly kind: "ensemble"; readonly file: string; readonly propagation?: Propagation; readonly seed?: number };

export type CostSetup = { readonly kind: "task"; readonly task: TaskSpec } | { readonly kind: "disagreement" };

export interface PlanSetup {
  readonly model: ModelSetup;
  readonly cost: CostSetup;
  readonly planner: Partial<PlannerOptions>;
}

export interface PlanFunction {
  readonly layout: StateLayout;
  readonly model: RolloutModel;
  readonly planner: IcemPlanner;
  /** Length of the start state `plan` takes. */
  readonly startSize: number;
  plan(start: Float64Array, startTimeSec: number): PlanResult;
  /**
   * Learned ensembles only: plans from now on use these weights and normalizers (a newer version
   * of the same model, e.g. from a learner's /learner/model). Throws ModelShapeError (one line,
   * nothing changed) when the state does not fit the model.
   */
  loadModel?(state: EnsembleState): void;
  close(): void;
}

/** −Σ_t disagreement_t: curious free play (CEE-US), maximising the ensemble's disagreement along the plan. */
export class DisagreementCost implements TrajectoryCost {
  readonly name = "disagreement";
  evaluate(batch: Parameters<TrajectoryCost["evaluate"]>[0], costs: Float64Array): void {
    const u = batch.disagreement;
    const h = batch.h;
    for (let i = 0; i < batch.n; i++) {
      let s = 0;
      if (u) for (let t = 0; t < h; t++) s += u[i * h + t];
      costs[i] = -s;
    }
  }
}

export async function createPlanFunction(setup: PlanSetup): Promise<PlanFunction> {
  const { Task } = await import("../tasks/Task.js");
  const costFor = (layout: StateLayout): TrajectoryCost => (setup.cost.kind === "task" ? new Task(setup.cost.task, layout) : new DisagreementCost());
  if (setup.model.kind === "mujoco") {
    const { MujocoRolloutModel } = await import("../../sim/MujocoRolloutModel.js");
    const m = setup.model;
    const model = await MujocoRolloutModel.create({ source: m.source, stateSpec: m.stateSpec, stepSec: m.stepSec, timestepSec: m.timestepSec });
    const planner = new IcemPlanner(model, costFor(model.layout), setup.planner);
    const layoutStart = new Float64Array(model.layout.size);
    return {
      layout: model.layout,
      model,
      planner,
      startSize: model.physicsStateSize,
      plan(start, tSec) {
        model.setPhysicsState(start);
        model.readState(layoutStart);
        return planner.plan(layoutStart, tSec);
      },
      close: () => model.delete(),
    };
  }
  const m = setup.model;
  const { ensembleRolloutFromFile } = await import("./ensembleFromFile.js");
  const { rollout, ensemble, dispose } = await ensembleRolloutFromFile(m.file, m.propagation ?? "members", m.seed ?? 0);
  const planner = new IcemPlanner(rollout, costFor(rollout.layout), setup.planner);
  return {
    layout: rollout.layout,
    model: rollout,
    planner,
    startSize: rollout.layout.size,
    plan: (start, tSec) => planner.plan(start, tSec),
    loadModel: (state) => ensemble.load(state),
    close: dispose,
  };
}
