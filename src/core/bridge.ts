/**
 * A bridge connects the control loop to a body: a MuJoCo model or real muscle boards.
 *
 * Lifecycle (after ros2_control's hardware interface):
 *   unconfigured --configure()--> inactive --activate()--> active
 *   active --deactivate()--> inactive --shutdown()--> finalized
 * A lifecycle call that fails throws (a model that does not load, a port that does not open);
 * its owner then shuts the bridge down. There is no error state to recover from: a body that is
 * lost while active is not a state: `read` reports stale sensors (the loop then writes the safe
 * command) and `health()` says what is down, until the bridge reconnects by itself.
 * `configure`, `activate`, `deactivate` and `shutdown` may be asynchronous (opening a port,
 * loading a model); `read`, `write` and `advance` are synchronous and called at control rate:
 * they must not await and should not allocate.
 */
import type { MuscleCommand, SensorFrame } from "./frames.js";
import type { LifecycleState } from "./events.js";
import type { RobotSpec } from "./spec.js";

export interface Bridge {
  readonly state: LifecycleState;
  /** Valid once configured. */
  readonly spec: RobotSpec;
  configure(): Promise<void>;
  activate(): Promise<void>;
  deactivate(): Promise<void>;
  /** Releases every resource; the bridge cannot be used again. Safe to call in any state. */
  shutdown(): Promise<void>;
  /**
   * Fills `frame` with the latest sensor values. Returns false when no fresh reading is
   * available (a stale link); the frame then holds the previous values.
   */
  read(timeSec: number, periodSec: number, frame: SensorFrame): boolean;
  /** Applies `command` (already limited). Ignored unless the bridge is active. */
  write(timeSec: number, periodSec: number, command: MuscleCommand): void;
  /**
   * The link to the body now (optional; a simulator's is always up): "error" while part of the
   * body cannot be reached, with what is down, since when, and why. Not for control rate.
   */
  health?(): BridgeHealth;
}

export interface BridgeHealth {
  readonly level: "ok" | "error";
  /** For a person: "every board answers", or what is down and why. */
  readonly message: string;
  /** The parts that cannot be reached (boards), empty when the level is "ok". */
  readonly down: readonly { readonly name: string; readonly sinceSec: number; readonly why: string }[];
}

/**
 * A bridge whose time the loop drives (a simulator): `advance` moves it forward by exactly one
 * control period after each write. Hardware bridges do not implement it: their time is the world's.
 */
export interface SteppableBridge extends Bridge {
  advance(periodSec: number): void;
  /** Simulated time (s). */
  readonly simTimeSec: number;
}

export function isSteppable(bridge: Bridge): bridge is SteppableBridge {
  return typeof (bridge as Partial<SteppableBridge>).advance === "function";
}

/** The transitions a lifecycle allows; anything else is a programming error. */
export function assertTransition(from: LifecycleState, allowed: readonly LifecycleState[], action: string): void {
  if (!allowed.includes(from)) {
    throw new Error(`cannot ${action} in state '${from}' (allowed from: ${allowed.join(", ")})`);
  }
}
