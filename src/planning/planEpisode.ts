/**
 * One task episode planned step by step on a simulated body, in lockstep: the simulation waits
 * for each plan (no control loop, no real time), so results do not depend on the machine's speed.
 * Used by experiments and by `tendon plan` for its episodes; the live loop uses PlannerController.
 *
 * Each control step: the planner's start state is read (from the simulation, or from the learned
 * model's own view of it), one plan, its first action applied for `stepSec` of simulated time.
 */
import type { MujocoBridge } from "../../sim/MujocoBridge.js";
import type { MujocoRolloutModel } from "../../sim/MujocoRolloutModel.js";
import { createMuscleCommand } from "../core/frames.js";
import type { Task, EpisodeResult } from "../tasks/Task.js";
import type { IcemPlanner } from "./IcemPlanner.js";

export interface PlanEpisodeResult extends EpisodeResult {
  /** Mean and largest planning time per control step (ms, wall clock). */
  readonly planMsMean: number;
  readonly planMsMax: number;
  readonly rolloutsPerStep: number;
  /** Error after each step (m, rad or rad/s). */
  readonly errors: number[];
}

export interface PlanEpisodeOptions {
  /** The simulation, configured and active, its control period = the planner model's step. */
  readonly bridge: MujocoBridge;
  /** Reads the task's state of the simulation (a MuJoCo model of the same body, with the task's sites). */
  readonly truth: MujocoRolloutModel;
  readonly planner: IcemPlanner;
  readonly task: Task;
  /**
   * The planner's start state from the simulation's; default: `truth` synced to the simulation
   * (so a planner on `truth` rolls out from the exact physics state).
   */
  readonly startState?: (truthState: Float64Array) => Float64Array;
  /** Called after each step (progress bars, recorders). */
  readonly onStep?: (step: number, error: number) => void;
}

export function planEpisode(o: PlanEpisodeOptions): PlanEpisodeResult {
  const { bridge, truth, planner, task } = o;
  const period = bridge.controlPeriodSec;
  const steps = Math.max(1, Math.round(task.episodeSec / period));
  const command = createMuscleCommand(bridge.spec);
  const truthState = new Float64Array(truth.layout.size);
  planner.reset();
  task.startEpisode();
  const errors: number[] = [];
  let planMs = 0;
  let planMsMax = 0;
  let rollouts = 0;
  for (let k = 0; k < steps; k++) {
    truth.syncFrom(bridge);
    truth.readState(truthState);
    const start = o.startState ? o.startState(truthState) : truthState;
    const t0 = performance.now();
    const plan = planner.plan(start, k * period);
    const dt = performance.now() - t0;
    planMs += dt;
    planMsMax = Math.max(planMsMax, dt);
    rollouts += plan.rollouts;
    for (let j = 0; j < command.values.length; j++) command.values[j] = plan.action[j];
    bridge.write(0, period, command);
    bridge.advance(period);
    truth.syncFrom(bridge);
    truth.readState(truthState);
    const e = task.observe(truthState, (k + 1) * period);
    errors.push(e);
    o.onStep?.(k, e);
  }
  return { ...task.result(), planMsMean: planMs / steps, planMsMax, rolloutsPerStep: rollouts / steps, errors };
}
