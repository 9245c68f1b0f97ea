/**
 * Events of the muscle-board bridge: link problems as the core's problem events (`link_lost`,
 * `link_restored`), and board events (configured, reset, fault, rejected) as their own tagged type.
 */
import type { ProblemEvent } from "../src/core/events.js";

export interface BoardEvent {
  readonly type: "board";
  readonly kind: "configured" | "reset" | "fault" | "rejected";
  readonly boardId: number;
  readonly port: string;
  /** What happened and what the bridge did about it, for a person to read. */
  readonly message: string;
  readonly stampSec: number;
  /** With kind "fault": the board's report. */
  readonly fault?: { readonly muscle: number; readonly code: number; readonly flags: number; readonly detail: number };
}

export type HardwareEvent = ProblemEvent | BoardEvent;
