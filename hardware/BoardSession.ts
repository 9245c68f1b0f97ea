/**
 * What the host knows about one muscle board: its identity, where it is in the connect sequence
 * (identify -> configure -> ready), its latest status, and the link counters that concern it.
 * Plain state plus small helpers; the port (`BoardPort`) drives the transitions.
 */
import { CommandBuffers, StatusBuffers, type IdentifyMessage } from "./protocol/messages.js";

/**
 * - identifying: waiting for IDENTIFY (after open, reconnect, or a lost board);
 * - configuring: parameters sent, waiting for every CONFIG_ACK;
 * - ready: configured and streaming status; commands are sent;
 * - lost: the host watchdog tripped (no frame for too long) or the port went away;
 * - rejected: the board refused its configuration or does not match the spec; never commanded.
 */
export type BoardState = "identifying" | "configuring" | "ready" | "lost" | "rejected";

export interface BoardCounters {
  /** Frames received from this board (any type). */
  frames: number;
  statusFrames: number;
  /** Frames the board sent that never arrived (gaps in its sequence numbers). */
  drops: number;
  /** Frames with a bad payload for their type. */
  malformed: number;
  /** Resets detected (unsolicited IDENTIFY, or a status without the configured flag). */
  resets: number;
  /** Host watchdog trips (no frame for the watchdog time). */
  watchdogTrips: number;
  /** Fault reports received. */
  faults: number;
  /** Times the board was configured (first connect, resets, reconnects). */
  configurations: number;
  commandsSent: number;
}

export class BoardSession {
  readonly id: number;
  state: BoardState = "identifying";
  identify: IdentifyMessage | undefined;
  /** Index of this board's first muscle (joint) in the bridge's spec; set when the spec is built. */
  muscleOffset = 0;
  jointOffset = 0;
  readonly status = new StatusBuffers();
  readonly command = new CommandBuffers();
  hasStatus = false;
  /** Host time (ms) of the latest status and the latest frame of any type. */
  lastStatusMs = -Infinity;
  lastFrameMs = -Infinity;
  /** The board's sequence number of its last frame; -1 before the first. */
  lastBoardSeq = -1;
  /** Our sequence counter for frames to this board. */
  hostSeq = 0;
  /** Sequence numbers of configuration frames not yet acknowledged. */
  readonly pendingAcks = new Set<number>();
  configSentMs = -Infinity;
  identifySentMs = -Infinity;
  heartbeatSentMs = -Infinity;
  /** The board was ready before it was lost: its return is reported as restored. */
  wasReady = false;
  /** Host time (ms) the board was lost at, and why; undefined while it answers. */
  lostAtMs: number | undefined;
  lostWhy = "";
  readonly counters: BoardCounters = {
    frames: 0,
    statusFrames: 0,
    drops: 0,
    malformed: 0,
    resets: 0,
    watchdogTrips: 0,
    faults: 0,
    configurations: 0,
    commandsSent: 0,
  };
  // Send times of recent commands, by sequence number modulo 256, for round-trip times.
  readonly sentMs = new Float64Array(256);
  readonly sentSeq = new Int32Array(256).fill(-1);

  constructor(id: number) {
    this.id = id;
  }

  nextSeq(): number {
    const s = this.hostSeq;
    this.hostSeq = (s + 1) & 0xffff;
    return s;
  }

  /** Counts frames lost between this one and the previous (a jump back or far ahead is a restart, not a loss). */
  noteFrame(seq: number, nowMs: number): void {
    this.counters.frames++;
    this.lastFrameMs = nowMs;
    if (this.lastBoardSeq >= 0) {
      const gap = (seq - this.lastBoardSeq - 1) & 0xffff;
      if (gap > 0 && gap < 1024) this.counters.drops += gap;
    }
    this.lastBoardSeq = seq;
  }

  get muscleCount(): number {
    return this.identify?.muscleCount ?? 0;
  }

  get jointCount(): number {
    return this.identify?.jointCount ?? 0;
  }
}
