/**
 * Real muscle boards behind the core `Bridge` interface: one or more serial ports, one or more
 * boards per port, spoken to in the protocol of docs/protocol.md.
 *
 * Lifecycle:
 * - `configure()` opens every port, finds or identifies the boards, sends each its parameters and
 *   waits for every acknowledgement; the spec (muscles, joints) comes from the boards' IDENTIFY
 *   answers and the options. Fails (ports closed again, state still unconfigured) when a port
 *   cannot be opened or a board does not become ready within `configureTimeoutMs`.
 * - inactive: statuses are read, heartbeats keep the link checked, no commands are sent.
 * - active: `write()` sends one COMMAND per board per call.
 * - `deactivate()` and `shutdown()` send every muscle to mode OFF.
 *
 * `read()` and `write()` are synchronous: serial data arrives on the event loop into each port's
 * decoder, and `read()` copies the latest status of every board into the frame (converted with the
 * calibration). It returns false when any board is not ready or its latest status is older than
 * `staleAfterMs`; the loop then sends the safe command after its stale-tick limit.
 *
 * In the background (a housekeeping timer): the host watchdog (a board silent for
 * `hostWatchdogMs` is lost: OFF is sent to it, a `link_lost` problem is emitted, and it is
 * re-identified and reconfigured when it answers; a port whose boards are all silent, or whose
 * device vanished, is reopened every `reconnectMs` until it is back), resets (a board that reboots
 * is configured again), heartbeats while inactive. Commands are limited to each muscle's range
 * here too, whatever the caller sent; a non-finite value becomes the safe command.
 */
import { Subject, type Observable } from "rxjs";
import { assertTransition, type Bridge } from "../src/core/bridge.js";
import { WallClock, type Clock } from "../src/core/clock.js";
import type { BridgeHealth } from "../src/core/bridge.js";
import type { LifecycleState } from "../src/core/events.js";
import type { MuscleCommand, SensorFrame } from "../src/core/frames.js";
import type { JointSpec, MuscleSpec, RobotSpec } from "../src/core/spec.js";
import { Histogram } from "../src/core/Histogram.js";
import { BoardPort, type PortHost } from "./BoardPort.js";
import type { BoardSession } from "./BoardSession.js";
import {
  jointAngleRad,
  springForceN,
  validateMuscleCalibration,
  type JointCalibration,
  type MuscleCalibration,
} from "./calibration.js";
import type { HardwareEvent } from "./events.js";
import { portProblem } from "./portAdvice.js";
import {
  MODE_INFO,
  ZERO_GAINS,
  resolveJointCalibration,
  resolveMuscleCalibration,
  resolveTiming,
  toSetpoint,
  commandRangeProblem,
  type CommandModeName,
  type MuscleBoardBridgeOptions,
  type ResolvedTiming,
} from "./options.js";
import { JOINT_INVALID, MAX_BOARD_ID, MIN_BOARD_ID, PWM_FULL_SCALE } from "./protocol/constants.js";
import type { ConfigMuscleMessage, PidGains } from "./protocol/messages.js";

/** Link counters over every port and board. */
export interface LinkCounters {
  readonly ports: number;
  readonly boards: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly statusFrames: number;
  readonly commandsSent: number;
  readonly crcErrors: number;
  /** Runs of bytes dropped to resynchronize at the next delimiter (bad CRC, COBS, length, version). */
  readonly resyncs: number;
  /** Frames the boards sent that never arrived (sequence gaps). */
  readonly drops: number;
  readonly malformed: number;
  readonly unexpected: number;
  readonly reconnects: number;
  readonly boardResets: number;
  readonly watchdogTrips: number;
  readonly faults: number;
  readonly configurations: number;
  /** Command to the status that answers it (ms). */
  readonly roundTrip: { readonly samples: number; readonly meanMs: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
}

interface MuscleSlot {
  readonly board: BoardSession;
  /** Index on the board. */
  readonly local: number;
  readonly cal: MuscleCalibration;
  readonly min: number;
  readonly max: number;
  readonly safe: number;
}

interface JointSlot {
  readonly board: BoardSession;
  readonly local: number;
  readonly cal: JointCalibration;
}

export class MuscleBoardBridge implements Bridge {
  readonly #options: MuscleBoardBridgeOptions;
  readonly #timing: ResolvedTiming;
  readonly #mode: CommandModeName;
  readonly #clock: Clock;
  readonly #ports: BoardPort[];
  readonly #events = new Subject<HardwareEvent>();
  readonly #roundTrip = new Histogram(1e-5, 1);
  #state: LifecycleState = "unconfigured";
  #spec: RobotSpec | undefined;
  #muscles: MuscleSlot[] = [];
  #joints: JointSlot[] = [];
  #boards: BoardSession[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reads = 0;
  /** The last value written per muscle (spec unit), reported as `muscleControl`. */
  #control = new Float64Array(0);

  constructor(options: MuscleBoardBridgeOptions) {
    if (options.ports.length === 0) throw new RangeError("muscle boards: give at least one port");
    this.#options = options;
    this.#timing = resolveTiming(options);
    this.#mode = options.commandMode ?? "pwm";
    if (!MODE_INFO[this.#mode]) throw new RangeError(`muscle boards: unknown command mode '${this.#mode}'`);
    this.#clock = options.clock ?? new WallClock();
    const host: PortHost = {
      timing: this.#timing,
      nowMs: () => this.#clock.nowSec() * 1000,
      emit: (e) => this.#events.next(e),
      muscleConfig: (b, i) => this.#muscleConfig(b, i),
      expectedShape: (b) => (this.#spec ? { muscles: b.muscleCount, joints: b.jointCount } : undefined),
      recordRoundTrip: (sec) => this.#roundTrip.record(sec),
    };
    const seen = new Set<string>();
    this.#ports = options.ports.map((p) => {
      if (seen.has(p.path)) throw new RangeError(`muscle boards: port ${p.path} is listed twice`);
      seen.add(p.path);
      for (const id of p.boards ?? []) {
        if (!Number.isInteger(id) || id < MIN_BOARD_ID || id > MAX_BOARD_ID) {
          throw new RangeError(`muscle boards: board id ${id} on ${p.path} is not in ${MIN_BOARD_ID}..${MAX_BOARD_ID}`);
        }
      }
      if (new Set(p.boards ?? []).size !== (p.boards ?? []).length) throw new RangeError(`muscle boards: a board id is listed twice on ${p.path}`);
      return new BoardPort(p.path, p.boards, host, p.baudRate);
    });
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get spec(): RobotSpec {
    if (!this.#spec) throw new Error("MuscleBoardBridge: spec is available after configure()");
    return this.#spec;
  }

  /** Link problems and board events (configured, reset, fault, rejected). */
  get events$(): Observable<HardwareEvent> {
    return this.#events.asObservable();
  }

  get commandMode(): CommandModeName {
    return this.#mode;
  }

  /** Per-board state, for tools and tests. */
  boards(): ReadonlyArray<{ readonly id: number; readonly port: string; readonly state: string; readonly muscles: number; readonly joints: number; readonly counters: Readonly<BoardSession["counters"]> }> {
    const out = [];
    for (const p of this.#ports) {
      for (const id of p.order) {
        const b = p.boards.get(id)!;
        out.push({ id, port: p.path, state: b.state, muscles: b.muscleCount, joints: b.jointCount, counters: { ...b.counters } });
      }
    }
    return out;
  }

  async configure(): Promise<void> {
    assertTransition(this.#state, ["unconfigured"], "configure");
    const t = this.#timing;
    try {
      for (const p of this.#ports) {
        if (!(await p.open())) throw new Error(`cannot open ${p.path}: ${portProblem(p.path) ?? p.lastError}`);
      }
      this.#timer = setInterval(() => this.#housekeeping(), t.housekeepingMs);
      await Promise.all(this.#ports.filter((p) => p.boards.size === 0).map((p) => p.discover(t.discoverMs, t.configureTimeoutMs)));
      for (const p of this.#ports) {
        if (p.boards.size === 0) throw new Error(`no muscle board answered on ${p.path} within ${t.configureTimeoutMs} ms`);
      }
      const deadline = this.#clock.nowSec() * 1000 + t.configureTimeoutMs;
      for (;;) {
        const all = this.#allBoards();
        const rejected = all.find((b) => b.state === "rejected");
        if (rejected) throw new Error(`board ${rejected.id} rejected its configuration`);
        if (all.every((b) => b.state === "ready")) break;
        if (this.#clock.nowSec() * 1000 > deadline) {
          const waiting = all.filter((b) => b.state !== "ready");
          const where = waiting.map((b) => `board ${b.id} (${b.state === "identifying" || b.state === "lost" ? "no answer to IDENTIFY" : "configuration not acknowledged"})`);
          throw new Error(`muscle boards not ready after ${t.configureTimeoutMs} ms: ${where.join(", ")}`);
        }
        await sleep(Math.min(10, t.retryMs));
      }
      this.#boards = this.#allBoards();
      this.#spec = this.#buildSpec();
      this.#control = new Float64Array(this.#spec.muscles.length);
      for (let i = 0; i < this.#muscles.length; i++) this.#control[i] = this.#muscles[i].safe;
      this.#state = "inactive";
    } catch (err) {
      await this.#closeAll();
      throw err;
    }
  }

  async activate(): Promise<void> {
    assertTransition(this.#state, ["inactive"], "activate");
    this.#reads = 0;
    this.#state = "active";
  }

  async deactivate(): Promise<void> {
    assertTransition(this.#state, ["active"], "deactivate");
    this.#allOff();
    this.#state = "inactive";
  }

  async shutdown(): Promise<void> {
    if (this.#state === "finalized") return;
    await this.#closeAll();
    this.#state = "finalized";
    this.#events.complete();
  }

  /** Engages (or releases) the e-stop on every board of every port: all muscles to zero output. */
  estop(engage: boolean): void {
    for (const p of this.#ports) p.sendEStop(engage);
  }

  /**
   * "error" while a board configured at the start does not answer (lost, reconnecting, or being
   * configured again): which ones, since when (s on the bridge's clock) and why.
   */
  health(): BridgeHealth {
    const down: { name: string; sinceSec: number; why: string }[] = [];
    const nowMs = this.#clock.nowSec() * 1000;
    const parts: string[] = [];
    for (const b of this.#boards) {
      if (b.state === "ready") continue;
      const port = this.#ports.find((p) => p.boards.get(b.id) === b);
      const since = b.lostAtMs ?? nowMs;
      const name = `board ${b.id} on ${port?.path ?? "?"}`;
      const why = b.lostWhy || `state ${b.state}`;
      down.push({ name, sinceSec: since / 1000, why });
      parts.push(`${name} down for ${((nowMs - since) / 1000).toFixed(1)} s (${why})`);
    }
    if (down.length === 0) return { level: "ok", message: `every board answers (${this.#boards.length})`, down };
    const message = parts.join("; ");
    return { level: "error", message, down };
  }

  /** Asks boards to reboot (all, or one id on every port); they are configured again when they come back. */
  resetBoards(boardId?: number): void {
    for (const p of this.#ports) p.sendReset(boardId);
  }

  read(timeSec: number, _periodSec: number, frame: SensorFrame): boolean {
    if (this.#state !== "active" && this.#state !== "inactive") return false;
    const now = this.#clock.nowSec() * 1000;
    const stale = this.#timing.staleAfterMs;
    let fresh = true;
    for (let k = 0; k < this.#boards.length; k++) {
      const b = this.#boards[k];
      if (b.state !== "ready" || now - b.lastStatusMs > stale) fresh = false;
    }
    const muscles = this.#muscles;
    for (let i = 0; i < muscles.length; i++) {
      const m = muscles[i];
      const s = m.board.status;
      if (!m.board.hasStatus || m.local >= s.muscleCount) continue;
      const c = m.cal;
      const positionRad = s.positionCounts[m.local] / c.countsPerRad;
      const displacementM = s.displacementCounts[m.local] * c.metersPerCount;
      frame.muscleLengthM[i] = c.lengthOffsetM - c.spoolRadiusM * positionRad + displacementM;
      frame.muscleVelocityMps[i] = (-c.spoolRadiusM * s.velocityCountsPerSec[m.local]) / c.countsPerRad;
      frame.muscleForceN[i] = springForceN(c, displacementM);
      frame.muscleActivation[i] = s.outputCentiPercent[m.local] / PWM_FULL_SCALE;
      frame.muscleControl[i] = this.#control[i];
    }
    const joints = this.#joints;
    for (let j = 0; j < joints.length; j++) {
      const js = joints[j];
      const s = js.board.status;
      if (!js.board.hasStatus || js.local >= s.jointCount) continue;
      const raw = s.joints[js.local];
      if (raw !== JOINT_INVALID) frame.jointAngleRad[j] = jointAngleRad(js.cal, raw);
      // Joint velocity: boards report angles only; left at 0.
      frame.jointVelocityRadps[j] = 0;
    }
    frame.stampSec = timeSec;
    frame.seq = this.#reads++;
    return fresh;
  }

  write(_timeSec: number, _periodSec: number, command: MuscleCommand): void {
    if (this.#state !== "active") return;
    const values = command.values;
    const code = MODE_INFO[this.#mode].code;
    const muscles = this.#muscles;
    for (let i = 0; i < muscles.length; i++) {
      const m = muscles[i];
      let u = values[i];
      // Limits on the host too: the range, and the safe command for NaN or infinity.
      if (!Number.isFinite(u)) u = m.safe;
      else if (u < m.min) u = m.min;
      else if (u > m.max) u = m.max;
      this.#control[i] = u;
      const c = m.board.command;
      c.mode[m.local] = code;
      c.setpoint[m.local] = toSetpoint(this.#mode, u, m.cal);
    }
    for (const p of this.#ports) {
      for (const id of p.order) {
        const b = p.boards.get(id)!;
        if (b.state !== "ready") continue;
        b.command.muscleCount = b.muscleCount;
        p.sendCommand(b);
      }
    }
  }

  /** Counters over every port and board. */
  linkCounters(): LinkCounters {
    let bytesIn = 0, bytesOut = 0, framesIn = 0, framesOut = 0, crc = 0, resyncs = 0, unexpected = 0, reconnects = 0;
    let statusFrames = 0, commandsSent = 0, drops = 0, malformed = 0, resets = 0, trips = 0, faults = 0, configurations = 0, boards = 0;
    for (const p of this.#ports) {
      const d = p.decoder.counters;
      bytesIn += p.counters.bytesIn;
      bytesOut += p.counters.bytesOut;
      framesOut += p.counters.framesOut;
      framesIn += d.framesOk;
      crc += d.crcErrors;
      resyncs += d.resyncs;
      unexpected += p.counters.unexpected;
      reconnects += p.counters.reconnects;
      for (const b of p.boards.values()) {
        boards++;
        statusFrames += b.counters.statusFrames;
        commandsSent += b.counters.commandsSent;
        drops += b.counters.drops;
        malformed += b.counters.malformed;
        resets += b.counters.resets;
        trips += b.counters.watchdogTrips;
        faults += b.counters.faults;
        configurations += b.counters.configurations;
      }
    }
    const h = this.#roundTrip;
    const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
    return {
      ports: this.#ports.length,
      boards,
      bytesIn,
      bytesOut,
      framesIn,
      framesOut,
      statusFrames,
      commandsSent,
      crcErrors: crc,
      resyncs,
      drops,
      malformed,
      unexpected,
      reconnects,
      boardResets: resets,
      watchdogTrips: trips,
      faults,
      configurations,
      roundTrip: { samples: h.count, meanMs: ms(h.mean), p50Ms: ms(h.quantile(0.5)), p99Ms: ms(h.quantile(0.99)), maxMs: ms(h.max) },
    };
  }

  /** Forgets the round-trip samples so far (e.g. after a warm-up). */
  resetRoundTrip(): void {
    this.#roundTrip.reset();
  }

  #housekeeping(): void {
    const now = this.#clock.nowSec() * 1000;
    const active = this.#state === "active";
    for (const p of this.#ports) p.housekeeping(now, active);
  }

  #allBoards(): BoardSession[] {
    const out: BoardSession[] = [];
    for (const p of this.#ports) for (const id of p.order) out.push(p.boards.get(id)!);
    return out;
  }

  #allOff(): void {
    for (const p of this.#ports) {
      for (const b of p.boards.values()) if (b.state === "ready") p.sendOff(b);
    }
    for (let i = 0; i < this.#muscles.length; i++) this.#control[i] = this.#muscles[i].safe;
  }

  async #closeAll(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#ports.map((p) => p.shutdown()));
  }

  #buildSpec(): RobotSpec {
    const o = this.#options;
    const info = MODE_INFO[this.#mode];
    const muscles: MuscleSpec[] = [];
    const joints: JointSpec[] = [];
    this.#muscles = [];
    this.#joints = [];
    for (const b of this.#boards) {
      b.muscleOffset = muscles.length;
      b.jointOffset = joints.length;
      for (let i = 0; i < b.muscleCount; i++) {
        const index = muscles.length;
        const mo = o.muscles?.[index];
        const min = mo?.commandMin ?? o.commandMin ?? info.min;
        const max = mo?.commandMax ?? o.commandMax ?? info.max;
        const cal = resolveMuscleCalibration(o, index);
        validateMuscleCalibration(cal, `muscle ${index}`);
        const bad = commandRangeProblem(this.#mode, min, max, `muscle ${index}`, cal);
        if (bad) throw new RangeError(bad);
        const safe = Math.min(max, Math.max(min, info.safe));
        const name = mo?.name ?? `b${b.id}.m${i}`;
        muscles.push({ name, commandMin: min, commandMax: max, safeCommand: safe });
        this.#muscles.push({ board: b, local: i, cal, min, max, safe });
      }
      for (let k = 0; k < b.jointCount; k++) {
        const index = joints.length;
        const jo = o.joints?.[index];
        joints.push({ name: jo?.name ?? `b${b.id}.j${k}`, rangeRad: jo?.rangeRad ? [jo.rangeRad[0], jo.rangeRad[1]] : null });
        this.#joints.push({ board: b, local: k, cal: resolveJointCalibration(o, index) });
      }
    }
    return { name: o.name ?? "boards", muscles, joints, commandUnit: info.unit };
  }

  /** The parameters of one muscle: gains, the command range as board setpoint limits, the spring curve. */
  #muscleConfig(b: BoardSession, local: number): ConfigMuscleMessage {
    const o = this.#options;
    // Before the spec exists (first configuration), muscles are indexed as they will be in it.
    let index = 0;
    for (const x of this.#spec ? this.#boards : this.#allBoards()) {
      if (x === b) break;
      index += x.muscleCount;
    }
    index += local;
    const info = MODE_INFO[this.#mode];
    const mo = o.muscles?.[index];
    const min = mo?.commandMin ?? o.commandMin ?? info.min;
    const max = mo?.commandMax ?? o.commandMax ?? info.max;
    const cal = resolveMuscleCalibration(o, index);
    const gains = (g: Partial<PidGains> | undefined): PidGains => ({ ...ZERO_GAINS, ...g });
    const big = 2147483647;
    const sp = (mode: CommandModeName, v: number): number => toSetpoint(mode, v, cal);
    return {
      type: "config_muscle",
      muscle: local,
      position: gains(mo?.gains?.position),
      velocity: gains(mo?.gains?.velocity),
      displacement: gains(mo?.gains?.displacement),
      pwmLimit: this.#mode === "pwm" ? Math.min(PWM_FULL_SCALE, Math.max(Math.abs(sp("pwm", min)), Math.abs(sp("pwm", max)))) : PWM_FULL_SCALE,
      positionMin: this.#mode === "position" ? sp("position", min) : -big - 1,
      positionMax: this.#mode === "position" ? sp("position", max) : big,
      velocityMax: this.#mode === "velocity" ? Math.max(Math.abs(sp("velocity", min)), Math.abs(sp("velocity", max))) : big,
      displacementMin: this.#mode === "displacement" ? sp("displacement", min) : -big - 1,
      displacementMax: this.#mode === "displacement" ? sp("displacement", max) : big,
      forceMaxMilliN: this.#mode === "force" ? sp("force", max) : big,
      currentLimit: 0,
      metersPerCount: cal.metersPerCount,
      spring: [cal.spring[0], cal.spring[1], cal.spring[2], cal.spring[3]],
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
