/**
 * The physical side of the board simulator: what the motors pull on. A plant takes an activation
 * (0..1) per muscle and reports musculotendon length, velocity and tension per muscle and joint
 * angles, one step at a time.
 *
 * - `ArmPlant`: a MuJoCo arm (default the built-in `arm2j6m`) through `MujocoBridge`; activations
 *   are the muscles' controls.
 * - `MotorPlant`: independent motor-spring units against a compliant load, no MuJoCo; any number
 *   of muscles, cheap (for benchmarks and for tests that need no arm).
 */
import { createMuscleCommand, createSensorFrame, type MuscleCommand, type SensorFrame } from "../../src/core/frames.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

export interface Plant {
  readonly name: string;
  readonly muscleCount: number;
  readonly jointCount: number;
  /** Each joint's name and range (its limits; null: none known), for a host configuration. */
  readonly joints: readonly { readonly name: string; readonly rangeRad: readonly [number, number] | null }[];
  /** Simulated time of one `step()` (s). */
  readonly stepSec: number;
  /** Activations in 0..1, written before each step. */
  readonly activation: Float64Array;
  readonly lengthM: Float64Array;
  readonly velocityMps: Float64Array;
  /** Tension (N), positive when pulling. */
  readonly forceN: Float64Array;
  readonly jointAngleRad: Float64Array;
  /** Largest tension each muscle can produce (N). */
  readonly maxForceN: Float64Array;
  step(): void;
  close(): Promise<void>;
}

export interface ArmPlantOptions {
  /** Built-in model name or MJCF path. Default "arm2j6m". */
  readonly model?: string;
  readonly stepSec?: number;
  readonly seed?: number;
}

export class ArmPlant implements Plant {
  readonly name: string;
  readonly muscleCount: number;
  readonly jointCount: number;
  readonly joints: readonly { readonly name: string; readonly rangeRad: readonly [number, number] | null }[];
  readonly stepSec: number;
  readonly activation: Float64Array;
  readonly maxForceN: Float64Array;
  readonly #bridge: MujocoBridge;
  readonly #frame: SensorFrame;
  readonly #command: MuscleCommand;

  private constructor(bridge: MujocoBridge, stepSec: number) {
    this.#bridge = bridge;
    const spec = bridge.spec;
    this.name = spec.name;
    this.stepSec = stepSec;
    this.muscleCount = spec.muscles.length;
    this.jointCount = spec.joints.length;
    this.joints = spec.joints.map((j) => ({ name: j.name, rangeRad: j.rangeRad ? [j.rangeRad[0], j.rangeRad[1]] : null }));
    this.activation = new Float64Array(this.muscleCount);
    this.#frame = createSensorFrame(spec);
    this.#command = createMuscleCommand(spec);
    this.maxForceN = bridge.muscleMaxForceN;
    bridge.read(0, stepSec, this.#frame);
  }

  static async create(options: ArmPlantOptions = {}): Promise<ArmPlant> {
    const stepSec = options.stepSec ?? 0.002;
    const bridge = new MujocoBridge({ source: resolveModelSource(options.model ?? "arm2j6m"), timestepSec: Math.min(0.002, stepSec), controlRateHz: 1 / stepSec, seed: options.seed ?? 0 });
    await bridge.configure();
    await bridge.activate();
    return new ArmPlant(bridge, stepSec);
  }

  get lengthM(): Float64Array {
    return this.#frame.muscleLengthM;
  }
  get velocityMps(): Float64Array {
    return this.#frame.muscleVelocityMps;
  }
  get forceN(): Float64Array {
    return this.#frame.muscleForceN;
  }
  get jointAngleRad(): Float64Array {
    return this.#frame.jointAngleRad;
  }

  step(): void {
    const a = this.activation;
    const u = this.#command.values;
    for (let i = 0; i < a.length; i++) u[i] = a[i] < 0 ? 0 : a[i] > 1 ? 1 : a[i];
    this.#bridge.write(0, this.stepSec, this.#command);
    this.#bridge.advance(this.stepSec);
    this.#bridge.read(0, this.stepSec, this.#frame);
  }

  async close(): Promise<void> {
    await this.#bridge.shutdown();
  }
}

export interface MotorPlantOptions {
  readonly muscles: number;
  /** Joints reported (angles follow the difference of muscle pairs). Default 0. */
  readonly joints?: number;
  readonly stepSec?: number;
  /** Peak tension (N). Default 200. */
  readonly maxForceN?: number;
  /** Time constant of the force response (s). Default 0.03. */
  readonly tauSec?: number;
  /** Load compliance: length change per newton (m/N). Default 2e-4. */
  readonly complianceMPerN?: number;
}

export class MotorPlant implements Plant {
  readonly name = "motors";
  readonly muscleCount: number;
  readonly jointCount: number;
  readonly joints: readonly { readonly name: string; readonly rangeRad: readonly [number, number] | null }[];
  readonly stepSec: number;
  readonly activation: Float64Array;
  readonly lengthM: Float64Array;
  readonly velocityMps: Float64Array;
  readonly forceN: Float64Array;
  readonly jointAngleRad: Float64Array;
  readonly maxForceN: Float64Array;
  readonly #tau: number;
  readonly #compliance: number;
  readonly #restM = 0.2;

  constructor(options: MotorPlantOptions) {
    const n = options.muscles;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`MotorPlant: muscles must be a positive integer, got ${n}`);
    this.muscleCount = n;
    this.jointCount = options.joints ?? 0;
    this.joints = Array.from({ length: this.jointCount }, (_, j) => ({ name: `joint${j}`, rangeRad: null }));
    this.stepSec = options.stepSec ?? 0.002;
    this.#tau = options.tauSec ?? 0.03;
    this.#compliance = options.complianceMPerN ?? 2e-4;
    this.activation = new Float64Array(n);
    this.lengthM = new Float64Array(n).fill(this.#restM);
    this.velocityMps = new Float64Array(n);
    this.forceN = new Float64Array(n);
    this.jointAngleRad = new Float64Array(this.jointCount);
    this.maxForceN = new Float64Array(n).fill(options.maxForceN ?? 200);
  }

  step(): void {
    const k = Math.min(1, this.stepSec / this.#tau);
    for (let i = 0; i < this.muscleCount; i++) {
      const a = this.activation[i] < 0 ? 0 : this.activation[i] > 1 ? 1 : this.activation[i];
      const f = this.forceN[i] + k * (a * this.maxForceN[i] - this.forceN[i]);
      this.forceN[i] = f;
      const length = this.#restM - this.#compliance * f;
      this.velocityMps[i] = (length - this.lengthM[i]) / this.stepSec;
      this.lengthM[i] = length;
    }
    for (let j = 0; j < this.jointCount; j++) {
      const a = 2 * j < this.muscleCount ? this.forceN[2 * j] : 0;
      const b = 2 * j + 1 < this.muscleCount ? this.forceN[2 * j + 1] : 0;
      this.jointAngleRad[j] = 0.005 * (a - b);
    }
  }

  async close(): Promise<void> {}
}
