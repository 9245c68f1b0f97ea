/**
 * One serial port with one or more muscle boards on it (boards share the link and are told apart
 * by their ids). The port owns the link, the frame decoder and encoder, and the boards' connect
 * sequence: open -> IDENTIFY -> configure -> ready; on loss (device gone, I/O error, every board
 * silent) it reopens the link every `reconnectMs` until the device is back, and configures every
 * board again (boards forget their parameters).
 *
 * Everything here runs on the event loop's callbacks (serial data, the bridge's housekeeping
 * timer); nothing blocks. Problems become events through the `PortHost`, never exceptions.
 */
import { SerialLink } from "./SerialLink.js";
import { BoardSession } from "./BoardSession.js";
import { FrameDecoder, type FrameView } from "./protocol/FrameDecoder.js";
import { FrameEncoder } from "./protocol/FrameEncoder.js";
import {
  AckResult,
  BoardConfigFlag,
  BoardFlag,
  BROADCAST_ID,
  ControlMode,
  IdentifyReason,
  MsgType,
} from "./protocol/constants.js";
import {
  decodeMessage,
  encodeMessage,
  readStatusInto,
  writeCommand,
  type ConfigMuscleMessage,
  type IdentifyMessage,
  type Message,
} from "./protocol/messages.js";
import type { ResolvedTiming } from "./options.js";
import type { HardwareEvent } from "./events.js";

/** What a port needs from the bridge that owns it. */
export interface PortHost {
  readonly timing: ResolvedTiming;
  nowMs(): number;
  emit(event: HardwareEvent): void;
  /** CONFIG_MUSCLE for a board's muscle (by index on the board). */
  muscleConfig(board: BoardSession, muscle: number): ConfigMuscleMessage;
  /** The muscle and joint counts a board must report (once the spec is fixed), else undefined. */
  expectedShape(board: BoardSession): { muscles: number; joints: number } | undefined;
  /** A command round trip (s). */
  recordRoundTrip(sec: number): void;
}

export type PortState = "closed" | "opening" | "open" | "waiting";

export interface PortCounters {
  bytesIn: number;
  bytesOut: number;
  framesOut: number;
  /** Successful reopenings after a loss. */
  reconnects: number;
  /** Frames from ids that are not ours, or types a board must not send. */
  unexpected: number;
}

export class BoardPort {
  readonly path: string;
  readonly boards = new Map<number, BoardSession>();
  /** Board ids in spec order. */
  readonly order: number[] = [];
  state: PortState = "closed";
  readonly counters: PortCounters = { bytesIn: 0, bytesOut: 0, framesOut: 0, reconnects: 0, unexpected: 0 };
  readonly decoder: FrameDecoder;
  readonly #encoder = new FrameEncoder();
  readonly #host: PortHost;
  readonly #baudRate: number | undefined;
  #link: SerialLink | undefined;
  #discovering = false;
  #broadcastSeq = 0;
  #nextOpenMs = 0;
  #everOpened = false;
  #shutdown = false;
  #lastError = "";

  constructor(path: string, boardIds: readonly number[] | undefined, host: PortHost, baudRate?: number) {
    this.path = path;
    this.#host = host;
    this.#baudRate = baudRate;
    for (const id of boardIds ?? []) this.#addBoard(id);
    this.decoder = new FrameDecoder((f) => this.#onFrame(f));
  }

  get lastError(): string {
    return this.#lastError;
  }

  /** Opens the link once; false (and `lastError` set) when the device cannot be opened. */
  async open(): Promise<boolean> {
    if (this.#shutdown || this.state === "open" || this.state === "opening") return this.state === "open";
    this.state = "opening";
    try {
      const link = await SerialLink.open(
        { path: this.path, baudRate: this.#baudRate },
        {
          onData: (chunk) => {
            this.counters.bytesIn += chunk.length;
            this.decoder.push(chunk);
          },
          onEnd: (err) => this.#onLinkEnd(link, err),
        },
      );
      if (this.#shutdown) {
        await link.close();
        return false;
      }
      this.#link = link;
      this.decoder.reset();
      this.state = "open";
      if (this.#everOpened) this.counters.reconnects++;
      this.#everOpened = true;
      const now = this.#host.nowMs();
      for (const b of this.boards.values()) {
        if (b.state !== "rejected") this.#toIdentifying(b, now);
      }
      return true;
    } catch (err) {
      this.#lastError = errorText(err);
      this.state = "waiting";
      this.#nextOpenMs = this.#host.nowMs() + this.#host.timing.reconnectMs;
      return false;
    }
  }

  /**
   * Broadcasts IDENTIFY requests and adopts every board that answers: until `ms` after the first
   * answer (others may follow), or `timeoutMs` without any.
   */
  async discover(ms: number, timeoutMs: number): Promise<void> {
    this.#discovering = true;
    const start = this.#host.nowMs();
    let first: number | undefined;
    try {
      for (;;) {
        const now = this.#host.nowMs();
        if (first === undefined && this.boards.size > 0) first = now;
        const end = first !== undefined ? first + ms : start + timeoutMs;
        if (now >= end || this.#shutdown) break;
        this.#sendBroadcast({ type: "identify_request" });
        await sleep(Math.min(this.#host.timing.retryMs, Math.max(1, end - now)));
      }
    } finally {
      this.#discovering = false;
      // Spec order is by id, whatever order the answers came in.
      this.order.sort((a, b) => a - b);
    }
  }

  /** Closes the link for good. */
  async shutdown(): Promise<void> {
    this.#shutdown = true;
    const link = this.#link;
    this.#link = undefined;
    this.state = "closed";
    if (link) {
      // Leave the muscles off before letting go.
      for (const b of this.boards.values()) if (b.state === "ready") this.sendOff(b, link);
      await link.close();
    }
  }

  /** Sends every muscle of `board` to mode OFF (best effort). */
  sendOff(board: BoardSession, link = this.#link): void {
    const c = board.command;
    c.muscleCount = board.muscleCount;
    if (c.muscleCount === 0) return;
    for (let i = 0; i < c.muscleCount; i++) {
      c.mode[i] = ControlMode.Off;
      c.setpoint[i] = 0;
    }
    this.#sendCommandFrame(board, link);
  }

  /** Sends `board.command` (filled by the caller) as a COMMAND frame and notes its send time. */
  sendCommand(board: BoardSession): boolean {
    return this.#sendCommandFrame(board, this.#link);
  }

  sendEStop(engage: boolean): void {
    this.#sendBroadcast({ type: "estop", engage });
  }

  /** Asks every board on the port to reboot (they forget their parameters; the port then configures them again). */
  sendReset(boardId = BROADCAST_ID): void {
    if (boardId === BROADCAST_ID) this.#sendBroadcast({ type: "reset" });
    else {
      const b = this.boards.get(boardId);
      if (b) this.#send(b, { type: "reset" });
    }
  }

  /** Watchdog, retries, heartbeats, reconnects; called by the bridge's timer. */
  housekeeping(now: number, active: boolean): void {
    if (this.#shutdown) return;
    const t = this.#host.timing;
    if (this.state === "waiting") {
      if (now >= this.#nextOpenMs) void this.open();
      return;
    }
    if (this.state !== "open") return;
    let live = 0;
    for (const b of this.boards.values()) {
      switch (b.state) {
        case "ready":
        case "configuring":
          if (now - b.lastFrameMs > t.hostWatchdogMs) {
            this.#lose(b, `no frame for ${Math.round(now - b.lastFrameMs)} ms (host watchdog ${t.hostWatchdogMs} ms)`, now);
          } else if (b.state === "configuring" && now - b.configSentMs > Math.max(t.retryMs, 50)) {
            this.#sendConfiguration(b, now);
          } else if (b.state === "ready" && !active && now - b.heartbeatSentMs >= t.heartbeatMs) {
            b.heartbeatSentMs = now;
            this.#send(b, { type: "heartbeat", hostTimeUs: Math.floor(now * 1000) >>> 0 });
          }
          break;
        case "identifying":
        case "lost":
          if (now - b.identifySentMs >= t.retryMs) {
            b.identifySentMs = now;
            this.#send(b, { type: "identify_request" });
          }
          break;
        case "rejected":
          break;
      }
      if (b.state !== "lost" && b.state !== "rejected") live++;
    }
    // Every board silent: the device may be hung or gone without an error; reopen it.
    if (live === 0 && this.boards.size > 0 && [...this.boards.values()].some((b) => b.state === "lost") && this.#allSilentFor(now, t.hostWatchdogMs)) {
      this.#reopen("every board on the port is silent");
    }
  }

  #allSilentFor(now: number, ms: number): boolean {
    for (const b of this.boards.values()) if (now - b.lastFrameMs <= ms) return false;
    return true;
  }

  #reopen(reason: string): void {
    const link = this.#link;
    this.#link = undefined;
    this.state = "waiting";
    this.#lastError = reason;
    this.#nextOpenMs = this.#host.nowMs() + this.#host.timing.reconnectMs;
    if (link) void link.close();
  }

  #onLinkEnd(link: SerialLink, err: Error | undefined): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    if (this.#shutdown) return;
    const now = this.#host.nowMs();
    const why = err ? errorText(err) : "closed";
    this.#lastError = why;
    for (const b of this.boards.values()) {
      if (b.state === "ready" || b.state === "configuring" || b.state === "identifying") this.#lose(b, `port ${this.path} lost (${why})`, now);
    }
    this.state = "waiting";
    this.#nextOpenMs = now + this.#host.timing.reconnectMs;
  }

  #lose(b: BoardSession, why: string, now: number): void {
    const wasLive = b.state === "ready" || b.state === "configuring";
    if (b.state === "ready") b.wasReady = true;
    if (b.state === "ready" || b.state === "configuring") b.counters.watchdogTrips += why.startsWith("no frame") ? 1 : 0;
    // The safe command first: if the board can still hear us, its muscles go off now.
    if (wasLive) this.sendOff(b);
    if (wasLive || b.lostAtMs === undefined) {
      b.lostAtMs ??= now;
      b.lostWhy = why;
    }
    b.state = "lost";
    b.identifySentMs = now;
    if (wasLive) {
      this.#host.emit({
        type: "problem",
        code: "link_lost",
        message: `board ${b.id} on ${this.path}: ${why}; its muscles get the safe command while the link is re-established`,
        stampSec: now / 1000,
      });
    }
  }

  #toIdentifying(b: BoardSession, now: number): void {
    b.state = "identifying";
    b.pendingAcks.clear();
    b.identifySentMs = now;
    b.lastFrameMs = now;
    this.#send(b, { type: "identify_request" });
  }

  #addBoard(id: number): BoardSession {
    const b = new BoardSession(id);
    this.boards.set(id, b);
    this.order.push(id);
    return b;
  }

  #onFrame(f: FrameView): void {
    const now = this.#host.nowMs();
    let b = this.boards.get(f.boardId);
    if (!b) {
      if (this.#discovering && f.type === MsgType.Identify) b = this.#addBoard(f.boardId);
      else {
        // Before discovery adopts a board, its stream is not ours yet; after, a stranger is unexpected.
        if (!this.#discovering) this.counters.unexpected++;
        return;
      }
    }
    b.noteFrame(f.seq, now);
    switch (f.type) {
      case MsgType.Status:
        this.#onStatus(b, f, now);
        return;
      case MsgType.Identify: {
        const msg = decodeMessage(f);
        if (msg?.type !== "identify") return this.#malformed(b);
        this.#onIdentify(b, msg, now);
        return;
      }
      case MsgType.ConfigAck: {
        const msg = decodeMessage(f);
        if (msg?.type !== "config_ack") return this.#malformed(b);
        if (b.state !== "configuring" || !b.pendingAcks.has(msg.ackedSeq)) return;
        if (msg.result !== AckResult.Ok) {
          b.state = "rejected";
          this.#host.emit({
            type: "board",
            kind: "rejected",
            boardId: b.id,
            port: this.path,
            message: `board ${b.id} on ${this.path} rejected its configuration (${msg.muscle === 0xff ? "board settings" : `muscle ${msg.muscle}`}: ${ackResultText(msg.result)}); it will not be commanded`,
            stampSec: now / 1000,
          });
          return;
        }
        b.pendingAcks.delete(msg.ackedSeq);
        if (b.pendingAcks.size === 0) this.#onConfigured(b, now);
        return;
      }
      case MsgType.HeartbeatEcho:
        return;
      case MsgType.Fault: {
        const msg = decodeMessage(f);
        if (msg?.type !== "fault") return this.#malformed(b);
        b.counters.faults++;
        this.#host.emit({
          type: "board",
          kind: "fault",
          boardId: b.id,
          port: this.path,
          message: `board ${b.id} on ${this.path}: fault ${faultCodeText(msg.code)}${msg.muscle === 0xff ? "" : ` on muscle ${msg.muscle}`} (detail ${msg.detail})`,
          stampSec: now / 1000,
          fault: { muscle: msg.muscle, code: msg.code, flags: msg.faults, detail: msg.detail },
        });
        return;
      }
      default:
        // Host-to-board types echoed back, or unknown types.
        this.counters.unexpected++;
    }
  }

  #malformed(b: BoardSession): void {
    b.counters.malformed++;
  }

  #onStatus(b: BoardSession, f: FrameView, now: number): void {
    if (!readStatusInto(f, b.status)) return this.#malformed(b);
    b.counters.statusFrames++;
    b.hasStatus = true;
    b.lastStatusMs = now;
    const s = b.status;
    if (s.flags & BoardFlag.Reply) {
      const k = s.lastCommandSeq & 0xff;
      if (b.sentSeq[k] === s.lastCommandSeq) {
        this.#host.recordRoundTrip((now - b.sentMs[k]) / 1000);
        b.sentSeq[k] = -1;
      }
    }
    if (b.state === "ready" && !(s.flags & BoardFlag.Configured)) {
      this.#resetDetected(b, "a status without the configured flag", now);
    } else if (b.state === "lost" && this.state === "open" && b.identify) {
      // The board speaks again without having rebooted (else it would say so in IDENTIFY): check
      // its parameters by configuring it again.
      this.#sendConfiguration(b, now);
    }
  }

  #onIdentify(b: BoardSession, msg: IdentifyMessage, now: number): void {
    const unsolicited = msg.reason !== IdentifyReason.Request;
    const live = b.state === "ready" || b.state === "configuring";
    if (b.state === "rejected" || (live && !unsolicited)) return;
    const expected = this.#host.expectedShape(b);
    if (expected && (expected.muscles !== msg.muscleCount || expected.joints !== msg.jointCount)) {
      b.state = "rejected";
      this.#host.emit({
        type: "board",
        kind: "rejected",
        boardId: b.id,
        port: this.path,
        message: `board ${b.id} on ${this.path} now reports ${msg.muscleCount} muscles and ${msg.jointCount} joints, not ${expected.muscles} and ${expected.joints}; it will not be commanded`,
        stampSec: now / 1000,
      });
      return;
    }
    b.identify = msg;
    if (live) this.#resetDetected(b, `IDENTIFY (${identifyReasonText(msg.reason)})`, now);
    else this.#sendConfiguration(b, now);
  }

  #resetDetected(b: BoardSession, how: string, now: number): void {
    b.counters.resets++;
    b.wasReady = b.wasReady || b.state === "ready";
    this.#host.emit({
      type: "board",
      kind: "reset",
      boardId: b.id,
      port: this.path,
      message: `board ${b.id} on ${this.path} reset (seen from ${how}); configuring it again`,
      stampSec: now / 1000,
    });
    this.#sendConfiguration(b, now);
  }

  #sendConfiguration(b: BoardSession, now: number): void {
    const t = this.#host.timing;
    b.state = "configuring";
    b.pendingAcks.clear();
    b.configSentMs = now;
    b.pendingAcks.add(
      this.#send(b, {
        type: "config_board",
        statusPeriodUs: Math.round(1e6 / t.statusRateHz),
        watchdogMs: Math.round(t.boardWatchdogMs),
        flags: BoardConfigFlag.StatusOnCommand,
      }),
    );
    for (let i = 0; i < b.muscleCount; i++) b.pendingAcks.add(this.#send(b, this.#host.muscleConfig(b, i)));
  }

  #onConfigured(b: BoardSession, now: number): void {
    b.state = "ready";
    b.lostAtMs = undefined;
    b.lostWhy = "";
    b.counters.configurations++;
    b.heartbeatSentMs = now;
    if (b.wasReady) {
      this.#host.emit({
        type: "problem",
        code: "link_restored",
        message: `board ${b.id} on ${this.path} is back and configured`,
        stampSec: now / 1000,
      });
    } else {
      this.#host.emit({ type: "board", kind: "configured", boardId: b.id, port: this.path, message: `board ${b.id} on ${this.path} configured`, stampSec: now / 1000 });
    }
    b.wasReady = true;
  }

  /** Sends a message to a board; returns the sequence number used. */
  #send(b: BoardSession, msg: Message): number {
    const seq = b.nextSeq();
    const link = this.#link;
    if (!link) return seq;
    const bytes = encodeMessage(this.#encoder, b.id, seq, msg);
    if (link.write(bytes)) {
      this.counters.bytesOut += bytes.length;
      this.counters.framesOut++;
    }
    return seq;
  }

  #sendBroadcast(msg: Message): void {
    const link = this.#link;
    const seq = this.#broadcastSeq;
    this.#broadcastSeq = (seq + 1) & 0xffff;
    if (!link) return;
    const bytes = encodeMessage(this.#encoder, BROADCAST_ID, seq, msg);
    if (link.write(bytes)) {
      this.counters.bytesOut += bytes.length;
      this.counters.framesOut++;
    }
  }

  #sendCommandFrame(b: BoardSession, link: SerialLink | undefined): boolean {
    if (!link) return false;
    const seq = b.nextSeq();
    const e = this.#encoder;
    e.begin(b.id, MsgType.Command, seq);
    writeCommand(e, b.command);
    const bytes = e.finish();
    if (!link.write(bytes)) return false;
    const k = seq & 0xff;
    b.sentMs[k] = this.#host.nowMs();
    b.sentSeq[k] = seq;
    b.counters.commandsSent++;
    this.counters.bytesOut += bytes.length;
    this.counters.framesOut++;
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function ackResultText(r: number): string {
  return r === AckResult.BadIndex ? "no such muscle" : r === AckResult.BadValue ? "a value out of range" : r === AckResult.BadLength ? "bad length" : `result ${r}`;
}

const FAULT_NAMES: Record<number, string> = {
  1: "over-current",
  2: "over-force",
  3: "position limit",
  4: "encoder",
  5: "spring sensor",
  6: "over-temperature",
  7: "board watchdog (no command; muscles off)",
  8: "e-stop",
  9: "bad command",
  10: "setpoint clamped",
};

export function faultCodeText(code: number): string {
  return FAULT_NAMES[code] ?? `code ${code}`;
}

function identifyReasonText(r: number): string {
  return r === IdentifyReason.PowerOn ? "power-on" : r === IdentifyReason.HostReset ? "reset on request" : r === IdentifyReason.BoardReset ? "board reset" : "answer";
}
