/**
 * MuJoCo itself as the planner's model: an exact (or, with a coarser timestep, nearly exact)
 * `RolloutModel`. The physics state of the running simulation (time, qpos, qvel, act) is copied
 * into a snapshot with `syncFrom` (typed-array copies, well under a microsecond for the arms, where
 * mj_getState costs 8-13 us); each rollout restores the snapshot into a scratch MjData and steps it.
 *
 * The model is loaded from the same source as the simulation, but owns its own MjModel and MjData
 * (the simulation's are never touched), so it can live in a planning worker as well as on the
 * loop's thread. Call `delete()` when done.
 *
 * Memory: MuJoCo's arrays are views into wasm memory; they are fetched once per `rollout` call
 * (nothing allocates inside the rollout, so the heap does not grow under them).
 */
import type { RolloutModel, RolloutOutput, StateLayout } from "../src/models/types.js";
import { parseStateSpec, type StateNames } from "../src/models/StateLayout.js";
import type { Rng } from "../src/core/rng.js";
import { loadModel } from "./loadModel.js";
import type { ModelSource } from "./modelSource.js";
import { loadMujocoModule, type MjData, type MjModel, type Mujoco } from "./mujocoModule.js";
import { SimOptionError, type MujocoBridge } from "./MujocoBridge.js";

export interface MujocoRolloutModelOptions {
  readonly source: ModelSource;
  /** State spec (models/StateLayout.ts); default every joint angle and velocity and muscle activation. */
  readonly stateSpec?: string;
  /** Model time per rollout step (s): one planner action lasts this long. */
  readonly stepSec: number;
  /** Physics timestep for the rollouts (s); default the model's. Coarser is faster and less exact. */
  readonly timestepSec?: number;
}

export const DEFAULT_ROLLOUT_STATE_SPEC = "joint_angle:*,joint_velocity:*,muscle_activation:*";

const HINGE = 3;
const SLIDE = 2;

export class MujocoRolloutModel implements RolloutModel {
  readonly layout: StateLayout;
  readonly actionDim: number;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  readonly stepSec: number;
  readonly names: StateNames;
  /** Physics steps per rollout step. */
  readonly substeps: number;
  readonly #mj: Mujoco;
  readonly #model: MjModel;
  readonly #data: MjData;
  readonly #nq: number;
  readonly #nv: number;
  readonly #na: number;
  /** [time, qpos, qvel, act]. */
  readonly #snapshot: Float64Array;
  #hasSnapshot = false;
  // Where each layout entry comes from: a source code and an index into that MjData array.
  readonly #src: Int8Array;
  readonly #at: Int32Array;
  readonly #hasSites: boolean;
  readonly #jointQpos: Int32Array;
  readonly #jointDof: Int32Array;
  readonly #jointRange: Float64Array;
  readonly #actAdr: Int32Array;
  #v!: Views;

  private constructor(mj: Mujoco, model: MjModel, options: MujocoRolloutModelOptions) {
    this.#mj = mj;
    this.#model = model;
    if (options.timestepSec !== undefined) {
      if (!(options.timestepSec > 0)) throw new SimOptionError(`rollout timestep must be > 0 s, got ${options.timestepSec}`);
      model.opt.timestep = options.timestepSec;
    }
    if (!(options.stepSec > 0)) throw new SimOptionError(`rollout step must be > 0 s, got ${options.stepSec}`);
    if (model.nu === 0) throw new SimOptionError("the model has no actuators: there is nothing to plan");
    this.substeps = Math.max(1, Math.round(options.stepSec / model.opt.timestep));
    this.stepSec = this.substeps * model.opt.timestep;
    this.#data = new mj.MjData(model);
    this.#nq = model.nq;
    this.#nv = model.nv;
    this.#na = model.na;
    this.#snapshot = new Float64Array(1 + this.#nq + this.#nv + this.#na);
    const nu = model.nu;
    const range = (model.actuator_ctrlrange as Float64Array).slice();
    this.actionDim = nu;
    this.actionLow = new Float64Array(nu);
    this.actionHigh = new Float64Array(nu);
    for (let i = 0; i < nu; i++) {
      const lo = range[2 * i];
      const hi = range[2 * i + 1];
      // Unlimited controls get [-1, 1], as the bridge gives them.
      this.actionLow[i] = lo < hi ? lo : -1;
      this.actionHigh[i] = lo < hi ? hi : 1;
    }
    const name = (obj: number, i: number, dflt: string): string => mj.mj_id2name(model, obj, i) || `${dflt}${i}`;
    const jt = (model.jnt_type as Int32Array).slice();
    const qadr = (model.jnt_qposadr as Int32Array).slice();
    const dadr = (model.jnt_dofadr as Int32Array).slice();
    const jr = (model.jnt_range as Float64Array).slice();
    const joints: string[] = [];
    const jq: number[] = [];
    const jd: number[] = [];
    const jrange: number[] = [];
    for (let j = 0; j < model.njnt; j++) {
      if (jt[j] !== HINGE && jt[j] !== SLIDE) continue;
      joints.push(name(mj.mjtObj.mjOBJ_JOINT.value, j, "joint"));
      jq.push(qadr[j]);
      jd.push(dadr[j]);
      jrange.push(jr[2 * j], jr[2 * j + 1]);
    }
    this.#jointQpos = Int32Array.from(jq);
    this.#jointDof = Int32Array.from(jd);
    this.#jointRange = Float64Array.from(jrange);
    const muscles = Array.from({ length: nu }, (_, i) => name(mj.mjtObj.mjOBJ_ACTUATOR.value, i, "actuator"));
    const sites = Array.from({ length: model.nsite }, (_, i) => name(mj.mjtObj.mjOBJ_SITE.value, i, "site"));
    this.names = { joints, muscles, sites };
    const actadr = (model.actuator_actadr as Int32Array).slice();
    const actnum = (model.actuator_actnum as Int32Array).slice();
    this.#actAdr = Int32Array.from({ length: nu }, (_, i) => (actnum[i] > 0 ? actadr[i] + actnum[i] - 1 : -1));
    this.layout = parseStateSpec(options.stateSpec ?? DEFAULT_ROLLOUT_STATE_SPEC, this.names);
    const src: number[] = [];
    const at: number[] = [];
    for (const g of this.layout.groups) {
      for (const n of g.names) {
        switch (g.kind) {
          case "joint_angle":
            src.push(SRC.qpos);
            at.push(jq[joints.indexOf(n)]);
            break;
          case "joint_velocity":
            src.push(SRC.qvel);
            at.push(jd[joints.indexOf(n)]);
            break;
          case "muscle_length":
            src.push(SRC.length);
            at.push(muscles.indexOf(n));
            break;
          case "muscle_velocity":
            src.push(SRC.velocity);
            at.push(muscles.indexOf(n));
            break;
          case "muscle_force":
            src.push(SRC.force);
            at.push(muscles.indexOf(n));
            break;
          case "muscle_activation": {
            const i = muscles.indexOf(n);
            src.push(this.#actAdr[i] >= 0 ? SRC.act : SRC.ctrl);
            at.push(this.#actAdr[i] >= 0 ? this.#actAdr[i] : i);
            break;
          }
          case "site_position": {
            const i = sites.indexOf(n);
            for (let c = 0; c < 3; c++) {
              src.push(SRC.site);
              at.push(3 * i + c);
            }
            break;
          }
        }
      }
    }
    this.#src = Int8Array.from(src);
    this.#at = Int32Array.from(at);
    this.#hasSites = src.includes(SRC.site);
    this.#refreshViews();
    this.#resetScratch();
  }

  /** Loads the model (the MuJoCo module once per process). Throws ModelLoadError / SimOptionError / StateSpecError. */
  static async create(options: MujocoRolloutModelOptions): Promise<MujocoRolloutModel> {
    const mj = await loadMujocoModule();
    const { model } = loadModel(mj, options.source);
    try {
      return new MujocoRolloutModel(mj, model, options);
    } catch (err) {
      model.delete();
      throw err;
    }
  }

  /** Length of a physics state vector: 1 + nq + nv + na. */
  get physicsStateSize(): number {
    return this.#snapshot.length;
  }

  /** Rollouts start from the state of `body` (a running simulation of the same model) from now on. */
  syncFrom(body: MujocoBridge): void {
    if (body.physicsStateSize !== this.#snapshot.length) {
      throw new SimOptionError(`the simulation's physics state has ${body.physicsStateSize} entries, the model needs ${this.#snapshot.length} (1 + nq + nv + na): is it the same model?`);
    }
    body.readPhysicsState(this.#snapshot);
    this.#hasSnapshot = true;
  }

  /** Rollouts start from a physics state vector (from `readPhysicsState`, say in another thread). */
  setPhysicsState(state: ArrayLike<number>): void {
    if (state.length !== this.#snapshot.length) {
      throw new SimOptionError(`physics state has ${state.length} entries, the model needs ${this.#snapshot.length} (1 + nq + nv + na): is it the same model?`);
    }
    this.#snapshot.set(state);
    this.#hasSnapshot = true;
  }

  /** The state (in `layout`) of the snapshot, or of the model's initial state if there is none yet. */
  readState(out: Float64Array): void {
    this.#refreshViews();
    this.#restore();
    this.#mj.mj_forward(this.#model, this.#data);
    this.#write(out, 0);
  }

  /**
   * With a snapshot (syncFrom / setPhysicsState) every sequence starts from it and `start` is not
   * read; without one, from `start`: joint angles, velocities and activations the layout holds,
   * everything else at the model's initial state.
   */
  rollout(start: Float64Array, actions: Float32Array, n: number, h: number, out: RolloutOutput): void {
    const mj = this.#mj;
    const model = this.#model;
    const data = this.#data;
    const d = this.actionDim;
    const sdim = this.layout.size;
    const states = out.states;
    const ctrl = this.#refreshViews().ctrl;
    const lo = this.actionLow;
    const hi = this.actionHigh;
    for (let i = 0; i < n; i++) {
      if (this.#hasSnapshot) this.#restore();
      else this.#fromLayout(start);
      for (let t = 0; t < h; t++) {
        const a = (i * h + t) * d;
        for (let j = 0; j < d; j++) {
          const u = actions[a + j];
          ctrl[j] = u >= lo[j] ? (u <= hi[j] ? u : hi[j]) : lo[j];
        }
        for (let k = 0; k < this.substeps; k++) mj.mj_step(model, data);
        if (this.#hasSites) mj.mj_kinematics(model, data);
        this.#write(states, (i * h + t) * sdim);
      }
    }
  }

  /**
   * A reachable position of `site`: the joints drawn uniformly inside their ranges (shrunk by
   * `margin` of each range at both ends), positions from forward kinematics.
   */
  randomSitePosition(site: string, rng: Rng, margin = 0.1): [number, number, number] {
    const id = this.names.sites!.indexOf(site);
    if (id < 0) throw new SimOptionError(`unknown site '${site}': the model's sites are ${this.names.sites!.join(", ")}`);
    this.#resetScratch();
    const qpos = this.#data.qpos as Float64Array;
    for (let j = 0; j < this.#jointQpos.length; j++) {
      const lo = this.#jointRange[2 * j];
      const hi = this.#jointRange[2 * j + 1];
      if (lo < hi) qpos[this.#jointQpos[j]] = rng.uniform(lo + margin * (hi - lo), hi - margin * (hi - lo));
    }
    this.#mj.mj_kinematics(this.#model, this.#data);
    const x = this.#data.site_xpos as Float64Array;
    const p: [number, number, number] = [x[3 * id], x[3 * id + 1], x[3 * id + 2]];
    this.#resetScratch();
    return p;
  }

  /** Joint ranges (rad or m) of the layout's joints by name, [lo, hi] (lo ≥ hi: unlimited). */
  jointRange(joint: string): [number, number] {
    const j = this.names.joints.indexOf(joint);
    if (j < 0) throw new SimOptionError(`unknown joint '${joint}': the model's joints are ${this.names.joints.join(", ")}`);
    return [this.#jointRange[2 * j], this.#jointRange[2 * j + 1]];
  }

  delete(): void {
    this.#data.delete();
    this.#model.delete();
  }

  #resetScratch(): void {
    if (this.#model.nkey > 0) this.#mj.mj_resetDataKeyframe(this.#model, this.#data, 0);
    else this.#mj.mj_resetData(this.#model, this.#data);
  }

  #restore(): void {
    const s = this.#snapshot;
    const data = this.#data;
    if (!this.#hasSnapshot) {
      this.#resetScratch();
      return;
    }
    const v = this.#v;
    data.time = s[0];
    v.qpos.set(s.subarray(1, 1 + this.#nq));
    v.qvel.set(s.subarray(1 + this.#nq, 1 + this.#nq + this.#nv));
    if (this.#na > 0) v.act.set(s.subarray(1 + this.#nq + this.#nv));
  }

  #fromLayout(start: Float64Array): void {
    this.#resetScratch();
    const { qpos, qvel, act } = this.#v;
    for (let k = 0; k < this.#src.length; k++) {
      const v = start[k];
      switch (this.#src[k]) {
        case SRC.qpos:
          qpos[this.#at[k]] = v;
          break;
        case SRC.qvel:
          qvel[this.#at[k]] = v;
          break;
        case SRC.act:
          act[this.#at[k]] = v;
          break;
      }
    }
  }

  /** Fresh views of the scratch data's arrays; valid until the wasm heap grows (nothing in a rollout allocates). */
  #refreshViews(): Views {
    const d = this.#data;
    this.#v = {
      qpos: d.qpos as Float64Array,
      qvel: d.qvel as Float64Array,
      act: d.act as Float64Array,
      ctrl: d.ctrl as Float64Array,
      length: d.actuator_length as Float64Array,
      velocity: d.actuator_velocity as Float64Array,
      force: d.actuator_force as Float64Array,
      site: d.site_xpos as Float64Array,
    };
    return this.#v;
  }

  #write(out: Float32Array | Float64Array, off: number): void {
    const v = this.#v;
    const src = this.#src;
    const at = this.#at;
    for (let k = 0; k < src.length; k++) {
      const i = at[k];
      switch (src[k]) {
        case SRC.qpos:
          out[off + k] = v.qpos[i];
          break;
        case SRC.qvel:
          out[off + k] = v.qvel[i];
          break;
        case SRC.act:
          out[off + k] = v.act[i];
          break;
        case SRC.ctrl:
          out[off + k] = v.ctrl[i];
          break;
        case SRC.length:
          out[off + k] = v.length[i];
          break;
        case SRC.velocity:
          out[off + k] = v.velocity[i];
          break;
        case SRC.force:
          // Frames carry tension; MuJoCo's muscle force is negative when pulling.
          out[off + k] = -v.force[i];
          break;
        default:
          out[off + k] = v.site[i];
      }
    }
  }
}

interface Views {
  qpos: Float64Array;
  qvel: Float64Array;
  act: Float64Array;
  ctrl: Float64Array;
  length: Float64Array;
  velocity: Float64Array;
  force: Float64Array;
  site: Float64Array;
}

const SRC = { qpos: 0, qvel: 1, act: 2, ctrl: 3, length: 4, velocity: 5, force: 6, site: 7 } as const;
