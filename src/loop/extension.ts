/**
 * How a run (`runSim`, `runHw`) lets extra parts into its control loop once the bridge's spec is
 * known: the safety layer of `--serve` (arbitration stage and limiter), for one.
 */
import type { Clock } from "../core/clock.js";
import type { Controller } from "../core/controller.js";
import type { RobotSpec } from "../core/spec.js";
import type { ControlLoopOptions } from "./ControlLoop.js";

export interface LoopContext {
  readonly spec: RobotSpec;
  readonly periodSec: number;
  readonly controllerName: string;
  /** The loop's controller (observers read DEP's matrix from it); do not call its `update`. */
  readonly controller?: Controller;
  /**
   * The loop's tick clock in real time (its default timer); undefined in lockstep (time is the
   * tick's). An extension that returns its own `timer` replaces it, and must use that as its clock.
   */
  readonly clock: Clock | undefined;
}

/** `timer` only in real time (when `clock` is defined). */
export type LoopExtension = Partial<Pick<ControlLoopOptions, "stages" | "limiter" | "timer">>;

export type ExtendLoop = (context: LoopContext) => LoopExtension;
