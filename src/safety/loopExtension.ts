/**
 * How a run (`runSim`, `runHw`) lets extra parts into its control loop once the bridge's spec is
 * known: the safety layer of `--serve` (arbitration stage and limiter), for one.
 */
import type { Clock } from "../core/clock.js";
import type { RobotSpec } from "../core/spec.js";
import type { ControlLoopOptions } from "../loop/ControlLoop.js";

export interface LoopContext {
  readonly spec: RobotSpec;
  readonly periodSec: number;
  readonly controllerName: string;
  /** The loop's tick clock in real time (its timer); undefined in lockstep (time is the tick's). */
  readonly clock: Clock | undefined;
}

export type LoopExtension = Partial<Pick<ControlLoopOptions, "stages" | "limiter">>;

export type ExtendLoop = (context: LoopContext) => LoopExtension;
