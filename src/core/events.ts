/**
 * Events and problems are tagged unions that flow beside the data; they are never thrown across
 * the control loop.
 */
export type ProblemCode =
  | "non_finite_command"
  | "non_finite_sensor"
  | "controller_error"
  | "bridge_read_error"
  | "bridge_write_error"
  | "stale_sensors"
  | "overrun"
  | "link_lost"
  | "link_restored";

export interface ProblemEvent {
  readonly type: "problem";
  readonly code: ProblemCode;
  /** What happened and what the loop did about it, for a person to read. */
  readonly message: string;
  readonly stampSec: number;
  /** The muscle index the problem concerns, when it concerns one. */
  readonly muscle?: number;
}

export interface LifecycleEvent {
  readonly type: "lifecycle";
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly stampSec: number;
}

/**
 * The safe command was written at once, between ticks (an e-stop does not wait for the next tick);
 * every later tick enforces it again.
 */
export interface SafeWriteEvent {
  readonly type: "safe_write";
  /** Why, for a person to read (e.g. "e-stop by api: operator"). */
  readonly reason: string;
  readonly stampSec: number;
}

export type LoopEvent = ProblemEvent | LifecycleEvent | SafeWriteEvent;

/**
 * Lifecycle states, after ros2_control's hardware components:
 * - unconfigured: created, no resources held;
 * - inactive: configured; sensors may be read, commands are not written;
 * - active: sensors read and commands written every tick;
 * - finalized: resources released, nothing more is possible.
 * A failed lifecycle call throws; there is no error state (see src/core/bridge.ts).
 */
export type LifecycleState = "unconfigured" | "inactive" | "active" | "finalized";
