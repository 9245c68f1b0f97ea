/**
 * Rolling action sequences through a probabilistic ensemble: the `RolloutModel` a planner uses.
 *
 * Propagation modes (Chua et al. 2018; mbrl-lib's `random_model` / `fixed_model` / `expectation`):
 * - "ts1": P particles per sequence, each step every particle is carried by a member drawn anew
 *   (a random permutation of all particles into E equal blocks, so P·n must be a multiple of E);
 *   the next state is sampled from that member's Gaussian;
 * - "tsinf": as ts1, but particle p stays with member p mod E for the whole rollout;
 * - "mean": one deterministic trajectory per sequence, the mean of the members' means;
 * - "members": one deterministic trajectory per member (CEE-US: "every member carries its own
 *   trajectory"), P = E.
 *
 * `out.states` gets the mean over particles. `out.disagreement`, when given, gets per step the sum
 * over state entries of the (unbiased) std over members: of the members' own trajectories'
 * predictions in "members" mode (CEE-US), of each member's particle mean in the TS modes, and of
 * the members' one-step means in "mean" mode. Deviation from CEE-US: the std is taken in z-scored
 * units (each entry divided by the model's target std) rather than raw observation units, because
 * the parts of a muscle arm's state differ by orders of magnitude.
 */
import { Rng } from "../core/rng.js";
import type { ProbabilisticEnsemble } from "./ProbabilisticEnsemble.js";
import type { RolloutModel, RolloutOutput, StateLayout } from "./types.js";

export type Propagation = "ts1" | "tsinf" | "mean" | "members";
export const PROPAGATIONS: readonly Propagation[] = ["ts1", "tsinf", "mean", "members"];

export interface EnsembleRolloutOptions {
  readonly propagation?: Propagation;
  /** Particles per sequence in the TS modes (mbrl-lib: 20); a multiple of the members. Default 2·E. */
  readonly particles?: number;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  /** Model time per step (s). */
  readonly stepSec: number;
  readonly seed?: number;
}

export class EnsembleRollout implements RolloutModel {
  readonly model: ProbabilisticEnsemble;
  readonly propagation: Propagation;
  readonly particles: number;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  readonly stepSec: number;
  readonly #rng: Rng;
  #buf: { rows: number; cur: Float32Array; inS: Float32Array; inA: Float32Array; slot: Int32Array } | undefined;

  constructor(model: ProbabilisticEnsemble, options: EnsembleRolloutOptions) {
    this.model = model;
    this.propagation = options.propagation ?? "ts1";
    const E = model.members;
    this.particles = this.propagation === "members" ? E : this.propagation === "mean" ? 1 : (options.particles ?? 2 * E);
    if ((this.propagation === "ts1" || this.propagation === "tsinf") && this.particles % E !== 0) {
      throw new RangeError(`particles (${this.particles}) must be a multiple of the ensemble's ${E} members for ${this.propagation}`);
    }
    if (options.actionLow.length !== model.actionDim || options.actionHigh.length !== model.actionDim) {
      throw new RangeError(`action bounds have ${options.actionLow.length} entries, the model takes ${model.actionDim} actions`);
    }
    this.actionLow = options.actionLow;
    this.actionHigh = options.actionHigh;
    this.stepSec = options.stepSec;
    this.#rng = new Rng(options.seed ?? 0);
  }

  get layout(): StateLayout {
    return this.model.layout;
  }

  get actionDim(): number {
    return this.model.actionDim;
  }

  #buffers(rows: number) {
    if (!this.#buf || this.#buf.rows !== rows) {
      const d = this.model.stateDim;
      const a = this.model.actionDim;
      this.#buf = { rows, cur: new Float32Array(rows * d), inS: new Float32Array(rows * d), inA: new Float32Array(rows * a), slot: new Int32Array(rows) };
    }
    return this.#buf;
  }

  rollout(start: Float64Array, actions: Float32Array, n: number, h: number, out: RolloutOutput): void {
    const m = this.model;
    const d = m.stateDim;
    const a = m.actionDim;
    const E = m.members;
    const P = this.particles;
    if (start.length !== d) throw new RangeError(`start state has ${start.length} entries, the layout has ${d}`);
    if (actions.length < n * h * a) throw new RangeError(`actions hold ${actions.length} values, ${n} x ${h} x ${a} needed`);
    const rows = n * P;
    const b = this.#buffers(rows);
    for (let r = 0; r < rows; r++) for (let k = 0; k < d; k++) b.cur[r * d + k] = start[k];
    const tStd = m.targetNorm.std;
    const mode = this.propagation;
    const block = rows / E;
    // Row r = sequence i, particle p (r = i·P + p). slot[r]: where row r goes in the member-block layout.
    if (mode === "tsinf" || mode === "members") {
      // Particle p stays with member p mod E.
      const perMember = P / E;
      for (let i = 0; i < n; i++) for (let p = 0; p < P; p++) b.slot[i * P + p] = (p % E) * block + i * perMember + Math.floor(p / E);
    }
    const std = new Float64Array(E);
    const count = new Int32Array(E);
    for (let t = 0; t < h; t++) {
      if (mode === "ts1") shuffledSlots(b.slot, this.#rng);
      for (let r = 0; r < rows; r++) {
        const i = Math.floor(r / P);
        const dst = mode === "mean" ? r : b.slot[r];
        b.inS.set(b.cur.subarray(r * d, (r + 1) * d), dst * d);
        const ao = (i * h + t) * a;
        for (let k = 0; k < a; k++) {
          const u = actions[ao + k];
          b.inA[dst * a + k] = u < this.actionLow[k] ? this.actionLow[k] : u > this.actionHigh[k] ? this.actionHigh[k] : u;
        }
      }
      if (mode === "mean") {
        const pred = m.predictRows(b.inS, b.inA, rows, undefined);
        for (let i = 0; i < n; i++) {
          let u = 0;
          for (let k = 0; k < d; k++) {
            let s = 0;
            for (let e = 0; e < E; e++) s += pred.mean[(e * rows + i) * d + k];
            const mu = s / E;
            b.cur[i * d + k] = mu;
            out.states[(i * h + t) * d + k] = mu;
            if (out.disagreement && E > 1) {
              let v = 0;
              for (let e = 0; e < E; e++) v += (pred.mean[(e * rows + i) * d + k] - mu) ** 2;
              u += Math.sqrt(v / (E - 1)) / tStd[k];
            }
          }
          if (out.disagreement) out.disagreement[i * h + t] = u;
        }
        continue;
      }
      const pred = m.predictRows(b.inS, b.inA, rows, block);
      const sample = mode === "ts1" || mode === "tsinf";
      for (let r = 0; r < rows; r++) {
        const src = b.slot[r];
        for (let k = 0; k < d; k++) {
          const mu = pred.mean[src * d + k];
          b.cur[r * d + k] = sample ? mu + Math.exp(0.5 * pred.logVar[src * d + k]) * this.#rng.normal() : mu;
        }
      }
      for (let i = 0; i < n; i++) {
        let u = 0;
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += b.cur[(i * P + p) * d + k];
          out.states[(i * h + t) * d + k] = s / P;
          if (out.disagreement && E > 1) {
            // Per member, the mean of its particles' predicted means; then the std over members.
            // (Under ts1 a sequence's particles need not spread over every member: members
            // without one are left out.)
            std.fill(0);
            count.fill(0);
            for (let p = 0; p < P; p++) {
              const src = b.slot[i * P + p];
              const e = Math.floor(src / block);
              std[e] += pred.mean[src * d + k];
              count[e]++;
            }
            let mean = 0;
            let used = 0;
            for (let e = 0; e < E; e++) {
              if (count[e] === 0) continue;
              std[e] /= count[e];
              mean += std[e];
              used++;
            }
            mean /= used;
            let v = 0;
            for (let e = 0; e < E; e++) if (count[e] > 0) v += (std[e] - mean) ** 2;
            if (used > 1) u += Math.sqrt(v / (used - 1)) / tStd[k];
          }
        }
        if (out.disagreement) out.disagreement[i * h + t] = u;
      }
    }
  }
}

/** A uniformly random assignment of rows to slots (a permutation), in place. */
function shuffledSlots(slot: Int32Array, rng: Rng): void {
  for (let i = 0; i < slot.length; i++) slot[i] = i;
  for (let i = slot.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = slot[i];
    slot[i] = slot[j];
    slot[j] = t;
  }
}
