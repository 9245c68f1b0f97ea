/**
 * Regularity (RaIR, Sancaktar, Piater, Martius 2023; rair-mbrl's relational RaIR): for a set of
 * positions in the state (segment endpoints, objects), the absolute pairwise differences per axis
 * (each unordered pair once) are discretised to bins of `binM` metres; per axis the entropy of the
 * histogram of the bins over the pairs; the signal is −(sum over axes), so regular arrangements
 * (equal spacings, alignments) score high. Computed on the next state when the batch has one, else
 * on the state; no model needed (a planner applies it to predicted states).
 *
 * Deviations: the reference's bin is granularity/precision (1/100 m by default): here `binM`,
 * default 0.01 m; only its per-axis histogram mode is built, not the compression variants.
 */
import { checkBatch, type IntrinsicSignal, type TransitionBatch } from "./types.js";

export interface RegularityOptions {
  readonly stateDim: number;
  /** Offsets of the first coordinate of each position in the state vector; positions are `axes` consecutive entries. */
  readonly positions: readonly number[];
  /** Coordinates per position used (2: x, y as the reference; 3 with z). Default 2. */
  readonly axes?: number;
  readonly binM?: number;
}

export class Regularity implements IntrinsicSignal {
  readonly name = "rair" as const;
  readonly needsNext = false;
  readonly #d: number;
  readonly #pos: Int32Array;
  readonly #axes: number;
  readonly #bin: number;
  readonly #bins: Float64Array;

  constructor(options: RegularityOptions) {
    this.#d = options.stateDim;
    this.#axes = options.axes ?? 2;
    this.#bin = options.binM ?? 0.01;
    this.#pos = Int32Array.from(options.positions);
    if (this.#pos.length < 2) throw new RangeError("regularity needs at least two positions");
    for (const o of this.#pos) if (o < 0 || o + this.#axes > this.#d) throw new RangeError(`position at ${o} does not fit a ${this.#d}-entry state`);
    if (!(this.#bin > 0)) throw new RangeError(`regularity bin must be > 0 m, got ${this.#bin}`);
    const n = this.#pos.length;
    this.#bins = new Float64Array((n * (n - 1)) / 2);
  }

  compute(batch: TransitionBatch, out: Float64Array): void {
    checkBatch(this, batch, this.#d, 0, out);
    const x = batch.next ?? batch.states;
    const d = this.#d;
    const P = this.#pos;
    const bins = this.#bins;
    const pairs = bins.length;
    for (let r = 0; r < batch.rows; r++) {
      let h = 0;
      for (let ax = 0; ax < this.#axes; ax++) {
        let c = 0;
        for (let i = 0; i < P.length; i++) {
          for (let j = i + 1; j < P.length; j++) bins[c++] = Math.floor(Math.abs(x[r * d + P[i] + ax] - x[r * d + P[j] + ax]) / this.#bin);
        }
        bins.sort();
        // Entropy of the run lengths of the sorted bins.
        let run = 1;
        for (let k = 1; k <= pairs; k++) {
          if (k < pairs && bins[k] === bins[k - 1]) run++;
          else {
            const q = run / pairs;
            h -= q * Math.log(q);
            run = 1;
          }
        }
      }
      out[r] = -h;
    }
  }
}
