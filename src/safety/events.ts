/**
 * What the arbiter reports: every owner switch, e-stop and reset, the end of a hand-over ramp,
 * and problems with what a source sent. A tagged union, emitted beside the control loop; never
 * thrown across it.
 */
import type { ProblemEvent } from "../core/events.js";

/** Who drives a muscle group: a source's name, or one of these. */
export const OWNER_SAFE = "safe";
export const OWNER_ESTOP = "estop";
export const OWNER_WATCHDOG = "watchdog";

/**
 * Why a group changed owner:
 * - "preempted": a higher-priority source became available;
 * - "expired": the owner's last message is older than its timeout (or it never sent one);
 * - "released": the owner let go (teleop deadman released, its connection closed);
 * - "locked": a lock masked the owner's priority;
 * - "available": a source became available while the group had the safe command;
 * - "estop", "reset": an e-stop latched, or was reset;
 * - "stale_sensors", "sensors_back": the sensor watchdog took over, or handed back.
 */
export type OwnerChangeReason = "preempted" | "expired" | "released" | "locked" | "available" | "estop" | "reset" | "stale_sensors" | "sensors_back";

export interface OwnerEvent {
  readonly type: "owner";
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly reason: OwnerChangeReason;
  /** The tick at which the new owner's command is first written (s, the loop's clock). */
  readonly stampSec: number;
}

/** A switch to a source ramps from the last written command; this marks the ramp's end. */
export interface HandoverCompleteEvent {
  readonly type: "handover_complete";
  readonly group: string;
  readonly owner: string;
  readonly stampSec: number;
}

export interface EstopEvent {
  readonly type: "estop";
  /** Who asked ("api", "ros", "keyboard", ...). */
  readonly by: string;
  readonly reason: string;
  /** When it was requested (s, the arbiter's clock); it is applied at the next tick. */
  readonly stampSec: number;
}

export interface EstopResetEvent {
  readonly type: "estop_reset";
  readonly by: string;
  readonly stampSec: number;
}

export type ArbiterEvent = OwnerEvent | HandoverCompleteEvent | EstopEvent | EstopResetEvent | ProblemEvent;
