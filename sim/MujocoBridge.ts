/**
 * A simulated body for the control loop: a MuJoCo model behind the core `Bridge` interface.
 *
 * Time is the loop's: `advance(periodSec)` steps the physics by exactly one control period
 * (`frameSkip` physics steps), in lockstep or real-time mode alike.
 *
 * Memory: MuJoCo's arrays (`d.ctrl`, `d.actuator_length`, ...) are live views into wasm memory.
 * They change on the next step and are detached when the wasm heap grows (another model loaded,
 * say). The bridge caches the views it reads every tick and re-fetches them when a view reads
 * as detached (length 0); every value leaves the bridge copied into the caller's frame. The model
 * and data objects are deleted in `shutdown()`.
 */
import { UserError } from "../src/core/errors.js";
import { assertTransition, type SteppableBridge } from "../src/core/bridge.js";
import type { LifecycleState } from "../src/core/events.js";
import type { MuscleCommand, SensorFrame } from "../src/core/frames.js";
import { Rng } from "../src/core/rng.js";
import type { JointSpec, MuscleSpec, RobotSpec } from "../src/core/spec.js";
import { loadModel } from "./loadModel.js";
import { type ModelSource } from "./modelSource.js";
import { loadMujocoModule, type MjData, type MjModel, type Mujoco } from "./mujocoModule.js";

export interface MujocoBridgeOptions {
  readonly source: ModelSource;
  /** Physics steps per control period. Default: chosen from `controlRateHz`, else 10 (MyoSuite: 0.002 s x 10). */
  readonly frameSkip?: number;
  /** Control rate (Hz); sets `frameSkip` = round(1 / (rate x timestep)) when `frameSkip` is not given. */
  readonly controlRateHz?: number;
  /** Overrides the model's physics timestep (s). */
  readonly timestepSec?: number;
  /** Seed for the initial-state perturbation. */
  readonly seed?: number;
  /** Half-width (rad or m) of the uniform perturbation of limited joints at activation. Default 0.05. */
  readonly initialNoise?: number;
  /** Keyframe to start from; default the model's first keyframe, if any. */
  readonly keyframe?: number | string;
}

/** A bridge option that cannot work with the model (rate, frame skip, keyframe): the user's to fix. */
export class SimOptionError extends UserError {
  override name = "SimOptionError";
}

/** A model that loads but cannot be run (no actuators, nothing to explore): a bad model file, the user's to fix (exit 2). */
export class ModelContentError extends UserError {
  override name = "ModelContentError";
}

const HINGE = 3;
const SLIDE = 2;

interface Views {
  ctrl: Float64Array;
  act: Float64Array;
  qpos: Float64Array;
  qvel: Float64Array;
  length: Float64Array;
  velocity: Float64Array;
  force: Float64Array;
}

export class MujocoBridge implements SteppableBridge {
  readonly #options: MujocoBridgeOptions;
  #state: LifecycleState = "unconfigured";
  #spec: RobotSpec | undefined;
  #mj: Mujoco | undefined;
  #model: MjModel | undefined;
  #data: MjData | undefined;
  #views: Views | undefined;
  #frameSkip = 10;
  #timestepSec = 0.002;
  #seq = 0;
  // Index maps, copied once from the model.
  #jointQposAdr = new Int32Array(0);
  #jointDofAdr = new Int32Array(0);
  #actAdr = new Int32Array(0);
  #safe = new Float64Array(0);
  #lo = new Float64Array(0);
  #hi = new Float64Array(0);
  #keyframeIndex = -1;
  #rng: Rng;

  constructor(options: MujocoBridgeOptions) {
    this.#options = options;
    this.#rng = new Rng(options.seed ?? 0);
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get spec(): RobotSpec {
    if (!this.#spec) throw new Error("MujocoBridge: spec is available after configure()");
    return this.#spec;
  }

  /** Physics timestep (s). */
  get timestepSec(): number {
    return this.#timestepSec;
  }

  get frameSkip(): number {
    return this.#frameSkip;
  }

  /** One control period: frameSkip x timestep (s). */
  get controlPeriodSec(): number {
    return this.#frameSkip * this.#timestepSec;
  }

  get simTimeSec(): number {
    return this.#data ? this.#data.time : 0;
  }

  /** State of the generator of the reset pose noise, for checkpoints. */
  get rngState(): Uint32Array {
    return this.#rng.getState();
  }
  set rngState(state: ArrayLike<number>) {
    this.#rng.setState(state);
  }

  /**
   * Peak active force of each muscle (N), in the spec's order: MuJoCo's `gainprm[2]` of a muscle
   * actuator, or 100 N where the model leaves it to MuJoCo's scale (-1). A copy.
   */
  get muscleMaxForceN(): Float64Array {
    const { model } = this.raw;
    const n = this.spec.muscles.length;
    const gain = model.actuator_gainprm as Float64Array;
    const stride = model.nu > 0 ? gain.length / model.nu : 0;
    return Float64Array.from({ length: n }, (_, i) => (gain[i * stride + 2] > 0 ? gain[i * stride + 2] : 100));
  }

  /** The MuJoCo objects, for tools that need more than the bridge reads (benchmarks, viewers). */
  get raw(): { mj: Mujoco; model: MjModel; data: MjData } {
    if (!this.#mj || !this.#model || !this.#data) throw new Error("MujocoBridge: not configured");
    return { mj: this.#mj, model: this.#model, data: this.#data };
  }

  /** Length of a physics state vector (time, qpos, qvel, act): 1 + nq + nv + na. */
  get physicsStateSize(): number {
    const { model } = this.raw;
    return 1 + model.nq + model.nv + model.na;
  }

  /**
   * Copies the simulation's physics state [time, qpos, qvel, act] into `out` (at least
   * `physicsStateSize` long): what a planner's exact model restores before it rolls out.
   */
  readPhysicsState(out: Float64Array): Float64Array {
    const { data } = this.raw;
    const qpos = data.qpos as Float64Array;
    const qvel = data.qvel as Float64Array;
    const act = data.act as Float64Array;
    out[0] = data.time;
    out.set(qpos, 1);
    out.set(qvel, 1 + qpos.length);
    out.set(act, 1 + qpos.length + qvel.length);
    return out;
  }

  /** Names of the model's sites, in MuJoCo's order (unnamed sites as `site<i>`); empty before configure(). */
  get siteNames(): readonly string[] {
    if (!this.#mj || !this.#model) return [];
    const m = this.#model;
    const siteObj = this.#mj.mjtObj.mjOBJ_SITE.value;
    return Array.from({ length: m.nsite }, (_, i) => this.#mj!.mj_id2name(m, siteObj, i) || `site${i}`);
  }

  /**
   * Copies the world positions (m) of the sites with indices `ids` (as in `siteNames`) into `out`,
   * 3 entries (x, y, z) per site. With `refresh` the positions are recomputed from the current
   * joint positions first (mj_kinematics, a few microseconds); without it they are as MuJoCo left
   * them after the last step, which computes positions before integrating (one physics step old).
   */
  readSitePositions(ids: Int32Array, out: Float64Array, refresh = true): void {
    const { mj, model, data } = this.raw;
    if (refresh) mj.mj_kinematics(model, data);
    const xpos = data.site_xpos as Float64Array;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k];
      if (!(i >= 0 && i < model.nsite)) throw new RangeError(`readSitePositions: site index ${i} out of range (model has ${model.nsite} sites)`);
      out[3 * k] = xpos[3 * i];
      out[3 * k + 1] = xpos[3 * i + 1];
      out[3 * k + 2] = xpos[3 * i + 2];
    }
  }

  async configure(): Promise<void> {
    assertTransition(this.#state, ["unconfigured"], "configure");
    const mj = await loadMujocoModule();
    const { model, label } = loadModel(mj, this.#options.source);
    try {
      if (this.#options.timestepSec !== undefined) {
        if (!(this.#options.timestepSec > 0)) throw new SimOptionError(`timestepSec must be > 0, got ${this.#options.timestepSec}`);
        model.opt.timestep = this.#options.timestepSec;
      }
      this.#timestepSec = model.opt.timestep;
      this.#frameSkip = chooseFrameSkip(this.#options, this.#timestepSec);
      if (model.nu === 0) throw new ModelContentError(`model '${label}' has no actuators: there is nothing to control`);
      this.#data = new mj.MjData(model);
      this.#mj = mj;
      this.#model = model;
      this.#spec = this.#readSpec(label);
      this.#keyframeIndex = this.#findKeyframe(label);
      this.#refreshViews();
      this.#setState("inactive");
    } catch (err) {
      this.#data?.delete();
      this.#data = undefined;
      model.delete();
      this.#model = undefined;
      throw err;
    }
  }

  async activate(): Promise<void> {
    assertTransition(this.#state, ["inactive"], "activate");
    this.reset();
    this.#setState("active");
  }

  async deactivate(): Promise<void> {
    assertTransition(this.#state, ["active"], "deactivate");
    this.#views!.ctrl.set(this.#safe);
    this.#setState("inactive");
  }

  async shutdown(): Promise<void> {
    if (this.#state === "finalized") return;
    this.#data?.delete();
    this.#model?.delete();
    this.#data = undefined;
    this.#model = undefined;
    this.#views = undefined;
    this.#setState("finalized");
  }

  /** Back to the start state (keyframe, perturbed from the seed), controls at the safe command. */
  reset(): void {
    const { mj, model, data } = this.raw;
    if (this.#keyframeIndex >= 0) mj.mj_resetDataKeyframe(model, data, this.#keyframeIndex);
    else mj.mj_resetData(model, data);
    const v = this.#refreshViews();
    const noise = this.#options.initialNoise ?? 0.05;
    const joints = this.spec.joints;
    for (let j = 0; j < joints.length; j++) {
      const adr = this.#jointQposAdr[j];
      let q = v.qpos[adr] + (noise > 0 ? this.#rng.uniform(-noise, noise) : 0);
      const r = joints[j].rangeRad;
      if (r) q = Math.min(r[1], Math.max(r[0], q));
      v.qpos[adr] = q;
    }
    v.ctrl.set(this.#safe);
    mj.mj_forward(model, data);
    this.#seq = 0;
  }

  read(timeSec: number, _periodSec: number, frame: SensorFrame): boolean {
    if (this.#state !== "active" && this.#state !== "inactive") return false;
    const v = this.#liveViews();
    const n = this.#actAdr.length;
    for (let i = 0; i < n; i++) {
      frame.muscleLengthM[i] = v.length[i];
      frame.muscleVelocityMps[i] = v.velocity[i];
      // MuJoCo's actuator force is negative when a muscle pulls; frames carry tension.
      frame.muscleForceN[i] = -v.force[i];
      const a = this.#actAdr[i];
      frame.muscleActivation[i] = a >= 0 ? v.act[a] : v.ctrl[i];
      frame.muscleControl[i] = v.ctrl[i];
    }
    const nj = this.#jointQposAdr.length;
    for (let j = 0; j < nj; j++) {
      frame.jointAngleRad[j] = v.qpos[this.#jointQposAdr[j]];
      frame.jointVelocityRadps[j] = v.qvel[this.#jointDofAdr[j]];
    }
    frame.stampSec = timeSec;
    frame.seq = this.#seq++;
    return true;
  }

  write(_timeSec: number, _periodSec: number, command: MuscleCommand): void {
    if (this.#state !== "active") return;
    const ctrl = this.#liveViews().ctrl;
    const values = command.values;
    for (let i = 0; i < ctrl.length; i++) {
      const u = values[i];
      // The limits stage upstream already made commands finite; this guards direct callers.
      ctrl[i] = u >= this.#lo[i] ? (u <= this.#hi[i] ? u : this.#hi[i]) : u < this.#lo[i] ? this.#lo[i] : this.#safe[i];
    }
  }

  advance(periodSec: number): void {
    if (this.#state !== "active") return;
    const steps = periodSec === this.controlPeriodSec ? this.#frameSkip : Math.max(1, Math.round(periodSec / this.#timestepSec));
    const mj = this.#mj!;
    const model = this.#model!;
    const data = this.#data!;
    for (let k = 0; k < steps; k++) mj.mj_step(model, data);
  }

  #setState(to: LifecycleState): void {
    this.#state = to;
  }

  #liveViews(): Views {
    const v = this.#views!;
    // A detached view (heap growth) reads as length 0.
    return v.ctrl.length === 0 && this.#safe.length > 0 ? this.#refreshViews() : v;
  }

  #refreshViews(): Views {
    const d = this.#data!;
    this.#views = {
      ctrl: d.ctrl as Float64Array,
      act: d.act as Float64Array,
      qpos: d.qpos as Float64Array,
      qvel: d.qvel as Float64Array,
      length: d.actuator_length as Float64Array,
      velocity: d.actuator_velocity as Float64Array,
      force: d.actuator_force as Float64Array,
    };
    return this.#views;
  }

  #readSpec(label: string): RobotSpec {
    const mj = this.#mj!;
    const m = this.#model!;
    const nu = m.nu;
    const ctrlrange = (m.actuator_ctrlrange as Float64Array).slice();
    const actadr = (m.actuator_actadr as Int32Array).slice();
    const actnum = (m.actuator_actnum as Int32Array).slice();
    const gaintype = (m.actuator_gaintype as Int32Array).slice();
    const muscleGain = mj.mjtGain.mjGAIN_MUSCLE.value;
    const actuatorObj = mj.mjtObj.mjOBJ_ACTUATOR.value;
    const jointObj = mj.mjtObj.mjOBJ_JOINT.value;
    const muscles: MuscleSpec[] = [];
    this.#safe = new Float64Array(nu);
    this.#lo = new Float64Array(nu);
    this.#hi = new Float64Array(nu);
    this.#actAdr = new Int32Array(nu);
    for (let i = 0; i < nu; i++) {
      let lo = ctrlrange[2 * i];
      let hi = ctrlrange[2 * i + 1];
      // An unlimited control has lo >= hi (MuJoCo's convention); tendon still needs a range.
      if (!(lo < hi)) {
        lo = -1;
        hi = 1;
      }
      const safe = Math.min(hi, Math.max(lo, 0));
      this.#lo[i] = lo;
      this.#hi[i] = hi;
      this.#safe[i] = safe;
      this.#actAdr[i] = actnum[i] > 0 ? actadr[i] + actnum[i] - 1 : -1;
      const actuator = gaintype[i] === muscleGain ? "muscle" : "motor";
      muscles.push({ name: mj.mj_id2name(m, actuatorObj, i) || `actuator${i}`, commandMin: lo, commandMax: hi, safeCommand: safe, actuator });
    }
    const jntType = (m.jnt_type as Int32Array).slice();
    const jntRange = (m.jnt_range as Float64Array).slice();
    const qposAdr = (m.jnt_qposadr as Int32Array).slice();
    const dofAdr = (m.jnt_dofadr as Int32Array).slice();
    const joints: JointSpec[] = [];
    const q: number[] = [];
    const dq: number[] = [];
    for (let j = 0; j < m.njnt; j++) {
      // Free and ball joints have no single angle; the frame reports hinge and slide joints.
      if (jntType[j] !== HINGE && jntType[j] !== SLIDE) continue;
      const lo = jntRange[2 * j];
      const hi = jntRange[2 * j + 1];
      joints.push({ name: mj.mj_id2name(m, jointObj, j) || `joint${j}`, rangeRad: lo < hi ? [lo, hi] : null });
      q.push(qposAdr[j]);
      dq.push(dofAdr[j]);
    }
    this.#jointQposAdr = Int32Array.from(q);
    this.#jointDofAdr = Int32Array.from(dq);
    return { name: label, muscles, joints, commandUnit: "activation" };
  }

  #findKeyframe(label: string): number {
    const m = this.#model!;
    const k = this.#options.keyframe;
    if (k === undefined) return m.nkey > 0 ? 0 : -1;
    if (typeof k === "number") {
      if (!Number.isInteger(k) || k < 0 || k >= m.nkey) throw new SimOptionError(`keyframe ${k} does not exist in '${label}' (it has ${m.nkey})`);
      return k;
    }
    const id = this.#mj!.mj_name2id(m, this.#mj!.mjtObj.mjOBJ_KEY.value, k);
    if (id < 0) throw new SimOptionError(`keyframe '${k}' does not exist in '${label}'`);
    return id;
  }
}

function chooseFrameSkip(options: MujocoBridgeOptions, timestepSec: number): number {
  if (options.frameSkip !== undefined) {
    if (!Number.isInteger(options.frameSkip) || options.frameSkip < 1) {
      throw new SimOptionError(`frameSkip must be a positive integer, got ${options.frameSkip}`);
    }
    return options.frameSkip;
  }
  if (options.controlRateHz !== undefined) {
    const rate = options.controlRateHz;
    if (!(rate > 0)) throw new SimOptionError(`control rate must be > 0 Hz, got ${rate}`);
    const skip = Math.round(1 / (rate * timestepSec));
    if (rate * timestepSec > 1 + 1e-9) {
      throw new SimOptionError(`control rate ${rate} Hz is faster than the physics (timestep ${timestepSec} s): use at most ${Math.floor(1 / timestepSec)} Hz`);
    }
    return skip;
  }
  return 10;
}
