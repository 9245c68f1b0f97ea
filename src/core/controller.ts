/**
 * A controller turns a sensor frame into a muscle command. `update` is called once per control
 * tick and must be real-time safe: synchronous, no I/O, no allocation where it can be avoided.
 */
import type { SensorFrame } from "./frames.js";
import type { RobotSpec } from "./spec.js";

export interface Controller {
  readonly name: string;
  /** Sizes buffers for a bridge's spec; called once before the first update (and after a reset of the spec). */
  configure(spec: RobotSpec): void;
  /**
   * Computes the command for this tick. The returned array belongs to the controller and is
   * overwritten on the next call: copy it to keep it. Values are in the spec's command unit;
   * they may be non-finite or out of range; the limits stage after the controller deals with that.
   * `null`: no command this tick (a remote controller whose command timed out, a planner without
   * a plan yet); the loop writes the safe command, and that is not a problem.
   */
  update(frame: SensorFrame, dtSec: number): Float64Array | null;
  /**
   * A square matrix worth showing, row-major (DEP: its normalized controller matrix, motor x
   * sensor), for the live views and recordings; optional. Allocation is allowed (called at a low rate).
   */
  matrix?(): Float64Array;
  /** Forgets learned state (optional). */
  reset?(): void;
}
