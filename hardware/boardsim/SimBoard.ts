/**
 * The board side of the protocol for one simulated muscle board: it answers IDENTIFY, takes its
 * configuration (forgotten at every reset, as on the original boards), turns commands into
 * motor outputs for its muscles of a `Plant`, streams status made from the plant's physics in the
 * board's raw units, runs a board watchdog (no COMMAND for `watchdogMs`: every muscle off), and
 * honours e-stop and reset. No I/O: frames come in through `handleFrame`, go out through `send`.
 *
 * Sensors from physics, with the hardware's true constants (`truth`, the default calibration):
 * the spring displacement is where the true spring curve gives the tendon's tension; the motor
 * position is the tendon wound on the spool ((reference length - length + displacement) / spool
 * radius); the reported force is the configured curve at the measured displacement, so it is 0
 * until the host has sent the spring calibration.
 */
import { DEFAULT_JOINT_CALIBRATION, DEFAULT_MUSCLE_CALIBRATION, jointCounts, springDisplacementM, type MuscleCalibration } from "../calibration.js";
import {
  AckResult,
  BoardConfigFlag,
  BoardFlag,
  Capability,
  ControlMode,
  FaultCode,
  IdentifyReason,
  MAX_JOINTS,
  MAX_MUSCLES,
  MsgType,
  MuscleFault,
  PROTOCOL_VERSION,
  PWM_FULL_SCALE,
} from "../protocol/constants.js";
import type { FrameView } from "../protocol/FrameDecoder.js";
import { FrameEncoder } from "../protocol/FrameEncoder.js";
import {
  CommandBuffers,
  decodeMessage,
  encodeMessage,
  readCommandInto,
  StatusBuffers,
  writeStatus,
  type ConfigMuscleMessage,
  type Message,
} from "../protocol/messages.js";
import type { Plant } from "./plants.js";

export const SIM_FIRMWARE = [1, 0, 0] as const;

export interface SimBoardOptions {
  readonly id: number;
  /** The plant's muscles [muscleOffset, muscleOffset + muscleCount) belong to this board. */
  readonly muscleOffset: number;
  readonly muscleCount: number;
  readonly jointOffset?: number;
  readonly jointCount?: number;
  /** The hardware's real constants. Default: the default calibration. */
  readonly truth?: MuscleCalibration;
  readonly uid?: number;
}

/** Parameters a board has after boot: gains zero, limits wide, no spring curve. */
export function bootMuscleConfig(muscle: number): ConfigMuscleMessage {
  const zero = { kp: 0, ki: 0, kd: 0, integralLimit: 0, deadband: 0, outputLimit: PWM_FULL_SCALE };
  return {
    type: "config_muscle",
    muscle,
    position: zero,
    velocity: zero,
    displacement: zero,
    pwmLimit: PWM_FULL_SCALE,
    positionMin: -2147483648,
    positionMax: 2147483647,
    velocityMax: 2147483647,
    displacementMin: -2147483648,
    displacementMax: 2147483647,
    forceMaxMilliN: 2147483647,
    currentLimit: 0,
    metersPerCount: DEFAULT_MUSCLE_CALIBRATION.metersPerCount,
    spring: [0, 0, 0, 0],
  };
}

export class SimBoard {
  readonly id: number;
  readonly muscleCount: number;
  readonly jointCount: number;
  readonly #offset: number;
  readonly #jointOffset: number;
  readonly #truth: MuscleCalibration;
  readonly #uid: number;
  readonly #plant: Plant;
  readonly #send: (bytes: Uint8Array) => void;
  readonly #nowUs: () => number;
  readonly #encoder = new FrameEncoder();
  readonly #status = new StatusBuffers();
  readonly #command = new CommandBuffers();
  readonly #refLengthM: Float64Array;
  readonly #integral: Float64Array;
  readonly #prevError: Float64Array;
  readonly #output: Float64Array;
  #configs: ConfigMuscleMessage[] = [];
  #bootUs = 0;
  #seq = 0;
  #configured = false;
  #statusPeriodUs = 10_000;
  #watchdogMs = 100;
  #statusOnCommand = true;
  #estop = false;
  #watchdogTripped = false;
  #commanded = false;
  #lastCommandUs = 0;
  #lastCommandSeq = 0;
  #lastStatusUs = -Infinity;
  #overForce = 0;
  /** Frames this board found bad (set by the link that decodes for it). */
  rxErrors = 0;
  /** While true the board sends nothing (a broken transmit line, a hung firmware). */
  muted = false;
  readonly counters = { framesIn: 0, framesOut: 0, commands: 0, statusOut: 0, watchdogTrips: 0, resets: 0 };

  constructor(options: SimBoardOptions, plant: Plant, send: (bytes: Uint8Array) => void, nowUs: () => number) {
    if (options.muscleCount < 1 || options.muscleCount > MAX_MUSCLES) throw new RangeError(`a board has 1..${MAX_MUSCLES} muscles, got ${options.muscleCount}`);
    if ((options.jointCount ?? 0) > MAX_JOINTS) throw new RangeError(`a board has at most ${MAX_JOINTS} joint sensors`);
    this.id = options.id;
    this.muscleCount = options.muscleCount;
    this.jointCount = options.jointCount ?? 0;
    this.#offset = options.muscleOffset;
    this.#jointOffset = options.jointOffset ?? 0;
    this.#truth = options.truth ?? DEFAULT_MUSCLE_CALIBRATION;
    this.#uid = options.uid ?? 0x7e4d0000 + options.id;
    this.#plant = plant;
    this.#send = send;
    this.#nowUs = nowUs;
    const n = this.muscleCount;
    this.#refLengthM = Float64Array.from({ length: n }, (_, i) => plant.lengthM[this.#offset + i]);
    this.#integral = new Float64Array(n);
    this.#prevError = new Float64Array(n);
    this.#output = new Float64Array(n);
    this.#boot();
  }

  get configured(): boolean {
    return this.#configured;
  }
  get watchdogTripped(): boolean {
    return this.#watchdogTripped;
  }
  get estopEngaged(): boolean {
    return this.#estop;
  }
  /** Motor output per muscle (fraction of full PWM, -1..1) as last applied. */
  get output(): Float64Array {
    return this.#output;
  }

  /** Reboots: parameters forgotten, sequence numbers from 0, muscles off; announces itself with IDENTIFY. */
  reset(reason: number = IdentifyReason.BoardReset): void {
    this.counters.resets++;
    this.#boot();
    this.#announce(reason);
  }

  /** Sends the power-on IDENTIFY (once the link is up). */
  powerOn(): void {
    this.#announce(IdentifyReason.PowerOn);
  }

  /** A frame addressed to this board (or broadcast). */
  handleFrame(f: FrameView): void {
    this.counters.framesIn++;
    if (f.type === MsgType.Command) {
      if (!readCommandInto(f, this.#command) || this.#command.muscleCount !== this.muscleCount) {
        this.#sendMsg({ type: "fault", muscle: 0xff, code: FaultCode.BadCommand, faults: 0, boardTimeUs: this.#timeUs(), detail: f.bytes[f.payloadStart] ?? 0 });
        return;
      }
      this.counters.commands++;
      this.#commanded = true;
      this.#lastCommandUs = this.#nowUs();
      this.#lastCommandSeq = f.seq;
      this.#watchdogTripped = false;
      if (this.#statusOnCommand) this.sendStatus(true);
      return;
    }
    const msg = decodeMessage(f);
    if (!msg) {
      this.rxErrors++;
      return;
    }
    switch (msg.type) {
      case "identify_request":
        this.#announce(IdentifyReason.Request);
        return;
      case "config_board": {
        const ok = msg.statusPeriodUs <= 1_000_000 && (msg.statusPeriodUs === 0 || msg.statusPeriodUs >= 100);
        if (ok) {
          this.#statusPeriodUs = msg.statusPeriodUs;
          this.#watchdogMs = msg.watchdogMs;
          this.#statusOnCommand = (msg.flags & BoardConfigFlag.StatusOnCommand) !== 0;
          this.#configured = true;
        }
        this.#sendMsg({ type: "config_ack", ackedType: MsgType.ConfigBoard, muscle: 0xff, ackedSeq: f.seq, result: ok ? AckResult.Ok : AckResult.BadValue });
        return;
      }
      case "config_muscle": {
        let result: number = AckResult.Ok;
        if (msg.muscle >= this.muscleCount) result = AckResult.BadIndex;
        else if (!validConfig(msg)) result = AckResult.BadValue;
        else {
          this.#configs[msg.muscle] = msg;
          this.#integral[msg.muscle] = 0;
        }
        this.#sendMsg({ type: "config_ack", ackedType: MsgType.ConfigMuscle, muscle: msg.muscle, ackedSeq: f.seq, result });
        return;
      }
      case "heartbeat":
        this.#sendMsg({ type: "heartbeat_echo", hostTimeUs: msg.hostTimeUs, boardTimeUs: this.#timeUs() });
        return;
      case "estop":
        if (msg.engage && !this.#estop) {
          this.#estop = true;
          this.#sendMsg({ type: "fault", muscle: 0xff, code: FaultCode.EStop, faults: MuscleFault.EStop, boardTimeUs: this.#timeUs(), detail: 0 });
        } else if (!msg.engage && this.#estop) {
          // Released: the muscles stay off until the next command.
          this.#estop = false;
          this.#command.mode.fill(ControlMode.Off);
        }
        this.sendStatus(false);
        return;
      case "reset":
        this.reset(IdentifyReason.HostReset);
        return;
      default:
        // Board-to-host types have no business here.
        this.rxErrors++;
    }
  }

  /** Writes this board's motor outputs into the plant's activations (before a physics step). */
  applyToPlant(): void {
    const p = this.#plant;
    const s = this.#status;
    const off = this.#estop || this.#watchdogTripped || !this.#commanded;
    const dt = p.stepSec;
    for (let i = 0; i < this.muscleCount; i++) {
      const g = this.#offset + i;
      const cfg = this.#configs[i];
      const mode = off ? ControlMode.Off : this.#command.mode[i];
      const sp = this.#command.setpoint[i];
      let out = 0; // 0.01 % PWM
      switch (mode) {
        case ControlMode.Pwm:
          out = clamp(sp, -cfg.pwmLimit, cfg.pwmLimit);
          break;
        case ControlMode.Force:
        case ControlMode.Displacement: {
          // Feed-forward through the muscle's peak force, corrected by the displacement loop.
          const forceN =
            mode === ControlMode.Force
              ? Math.min(sp, cfg.forceMaxMilliN) / 1000
              : curve(cfg, clamp(sp, cfg.displacementMin, cfg.displacementMax) * cfg.metersPerCount);
          out = (forceN / p.maxForceN[g]) * PWM_FULL_SCALE;
          const loop = cfg.displacement;
          if (loop.kp !== 0 || loop.ki !== 0 || loop.kd !== 0) {
            const target = mode === ControlMode.Force ? springDisplacementM(calOf(cfg), forceN) / cfg.metersPerCount : clamp(sp, cfg.displacementMin, cfg.displacementMax);
            out += this.#pid(i, loop, target - s.displacementCounts[i], dt);
          }
          break;
        }
        case ControlMode.Position:
          out = this.#pid(i, cfg.position, clamp(sp, cfg.positionMin, cfg.positionMax) - s.positionCounts[i], dt);
          break;
        case ControlMode.Velocity:
          out = this.#pid(i, cfg.velocity, clamp(sp, -cfg.velocityMax, cfg.velocityMax) - s.velocityCountsPerSec[i], dt);
          break;
        default:
          out = 0;
      }
      if (this.#overForce & (1 << i)) out = Math.min(out, 0);
      out = clamp(out, -cfg.pwmLimit, cfg.pwmLimit);
      this.#output[i] = out / PWM_FULL_SCALE;
      // A motor unwinding (negative output) only slackens the tendon.
      p.activation[g] = out > 0 ? out / PWM_FULL_SCALE : 0;
      s.mode[i] = mode;
    }
  }

  /** After a physics step: sensors, faults, watchdog, the periodic status. */
  afterStep(): void {
    const now = this.#nowUs();
    this.#sample();
    if (this.#commanded && !this.#watchdogTripped && this.#watchdogMs > 0 && now - this.#lastCommandUs > this.#watchdogMs * 1000) {
      this.#watchdogTripped = true;
      this.counters.watchdogTrips++;
      this.#sendMsg({ type: "fault", muscle: 0xff, code: FaultCode.Watchdog, faults: MuscleFault.Watchdog, boardTimeUs: this.#timeUs(), detail: this.#watchdogMs });
    }
    // The periodic stream fills the gaps between commands: while commands flow (and each gets its
    // reply), a periodic status goes out only after 1.5 periods without one.
    const commandsFlow = this.#statusOnCommand && this.#commanded && now - this.#lastCommandUs < 2 * this.#statusPeriodUs;
    if (this.#statusPeriodUs > 0 && now - this.#lastStatusUs >= this.#statusPeriodUs * (commandsFlow ? 1.5 : 0.95)) this.sendStatus(false);
  }

  /** Sends a STATUS now (`reply`: it answers the last command). */
  sendStatus(reply: boolean): void {
    const s = this.#status;
    s.boardTimeUs = this.#timeUs();
    s.lastCommandSeq = this.#lastCommandSeq;
    s.flags =
      (this.#configured ? BoardFlag.Configured : 0) |
      (this.#watchdogTripped ? BoardFlag.Watchdog : 0) |
      (this.#estop ? BoardFlag.EStop : 0) |
      (this.#commanded ? BoardFlag.Commanded : 0) |
      (reply ? BoardFlag.Reply : 0);
    s.rxErrors = this.rxErrors & 0xffff;
    this.#lastStatusUs = this.#nowUs();
    if (this.muted) return;
    const e = this.#encoder;
    e.begin(this.id, MsgType.Status, this.#nextSeq());
    writeStatus(e, s);
    this.counters.statusOut++;
    this.counters.framesOut++;
    this.#send(e.finish());
  }

  #boot(): void {
    this.#bootUs = this.#nowUs();
    this.#seq = 0;
    this.#configured = false;
    this.#statusPeriodUs = 10_000;
    this.#watchdogMs = 100;
    this.#statusOnCommand = true;
    this.#estop = false;
    this.#watchdogTripped = false;
    this.#commanded = false;
    this.#lastCommandSeq = 0;
    this.#overForce = 0;
    this.#configs = Array.from({ length: this.muscleCount }, (_, i) => bootMuscleConfig(i));
    this.#command.muscleCount = this.muscleCount;
    this.#command.mode.fill(ControlMode.Off);
    this.#command.setpoint.fill(0);
    this.#integral.fill(0);
    this.#prevError.fill(0);
    const s = this.#status;
    s.muscleCount = this.muscleCount;
    s.jointCount = this.jointCount;
    this.#sample();
  }

  #announce(reason: number): void {
    this.#sendMsg({
      type: "identify",
      firmwareMajor: SIM_FIRMWARE[0],
      firmwareMinor: SIM_FIRMWARE[1],
      firmwarePatch: SIM_FIRMWARE[2],
      protocolVersion: PROTOCOL_VERSION,
      muscleCount: this.muscleCount,
      jointCount: this.jointCount,
      capabilities:
        Capability.Pwm |
        Capability.Position |
        Capability.Velocity |
        Capability.Displacement |
        Capability.Force |
        Capability.CurrentSensing |
        (this.jointCount > 0 ? Capability.JointSensors : 0) |
        Capability.StatusOnCommand |
        Capability.Simulated,
      reason,
      uid: this.#uid >>> 0,
    });
  }

  /** Reads the plant into the status buffers, in raw board units. */
  #sample(): void {
    const p = this.#plant;
    const t = this.#truth;
    const s = this.#status;
    for (let i = 0; i < this.muscleCount; i++) {
      const g = this.#offset + i;
      const cfg = this.#configs[i];
      const tension = Math.max(0, p.forceN[g]);
      const xM = springDisplacementM(t, tension);
      const disp = Math.round(xM / t.metersPerCount);
      const thetaRad = (this.#refLengthM[i] - p.lengthM[g] + xM) / t.spoolRadiusM;
      s.positionCounts[i] = clampI32(Math.round(thetaRad * t.countsPerRad));
      s.velocityCountsPerSec[i] = clampI32(Math.round((-p.velocityMps[g] / t.spoolRadiusM) * t.countsPerRad));
      s.displacementCounts[i] = disp;
      const forceN = curve(cfg, disp * cfg.metersPerCount);
      s.forceMilliN[i] = clampI32(Math.round(forceN * 1000));
      s.currentCounts[i] = clamp(Math.round((0.05 + 0.01 * tension) / t.ampsPerCount), -32768, 32767);
      s.outputCentiPercent[i] = Math.round(this.#output[i] * PWM_FULL_SCALE);
      let faults = 0;
      if (this.#watchdogTripped) faults |= MuscleFault.Watchdog;
      if (this.#estop) faults |= MuscleFault.EStop;
      const over = forceN * 1000 > cfg.forceMaxMilliN;
      const bit = 1 << i;
      if (over && !(this.#overForce & bit)) {
        this.#overForce |= bit;
        this.#sendMsg({ type: "fault", muscle: i, code: FaultCode.OverForce, faults: faults | MuscleFault.OverForce, boardTimeUs: this.#timeUs(), detail: Math.round(forceN * 1000) });
      } else if (!over) this.#overForce &= ~bit;
      if (this.#overForce & bit) faults |= MuscleFault.OverForce;
      s.faults[i] = faults;
    }
    for (let j = 0; j < this.jointCount; j++) s.joints[j] = jointCounts(DEFAULT_JOINT_CALIBRATION, p.jointAngleRad[this.#jointOffset + j]);
  }

  #pid(i: number, g: { kp: number; ki: number; kd: number; integralLimit: number; deadband: number; outputLimit: number }, error: number, dt: number): number {
    const e = Math.abs(error) <= g.deadband ? 0 : error;
    this.#integral[i] = clamp(this.#integral[i] + g.ki * e * dt, -g.integralLimit, g.integralLimit);
    const d = (e - this.#prevError[i]) / dt;
    this.#prevError[i] = e;
    return clamp(g.kp * e + this.#integral[i] + g.kd * d, -g.outputLimit, g.outputLimit);
  }

  #sendMsg(msg: Message): void {
    const seq = this.#nextSeq();
    if (this.muted) return;
    this.counters.framesOut++;
    this.#send(encodeMessage(this.#encoder, this.id, seq, msg));
  }

  #nextSeq(): number {
    const s = this.#seq;
    this.#seq = (s + 1) & 0xffff;
    return s;
  }

  #timeUs(): number {
    return Math.floor(this.#nowUs() - this.#bootUs) >>> 0;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function clampI32(v: number): number {
  return v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v;
}

function curve(cfg: ConfigMuscleMessage, xM: number): number {
  const c = cfg.spring;
  return c[0] + xM * (c[1] + xM * (c[2] + xM * c[3]));
}

function calOf(cfg: ConfigMuscleMessage): MuscleCalibration {
  return { ...DEFAULT_MUSCLE_CALIBRATION, metersPerCount: cfg.metersPerCount, spring: cfg.spring };
}

function validConfig(c: ConfigMuscleMessage): boolean {
  const finite = [c.metersPerCount, ...c.spring, ...[c.position, c.velocity, c.displacement].flatMap((g) => [g.kp, g.ki, g.kd, g.integralLimit])].every(Number.isFinite);
  return (
    finite &&
    c.metersPerCount > 0 &&
    c.pwmLimit <= PWM_FULL_SCALE &&
    c.positionMin <= c.positionMax &&
    c.displacementMin <= c.displacementMax &&
    c.velocityMax >= 0 &&
    [c.position, c.velocity, c.displacement].every((g) => g.outputLimit <= PWM_FULL_SCALE && g.integralLimit >= 0 && g.deadband >= 0)
  );
}
