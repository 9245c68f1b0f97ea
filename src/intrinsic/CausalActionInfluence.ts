/**
 * Causal action influence (Seitzer, Schölkopf, Martius 2021; martius-lab/cid-in-rl): how much the
 * action decides the next value of one part of the state (the fingertip, an object). For a state
 * s and K actions a_k drawn uniformly in the action range, p_k = N(μ(s, a_k), σ²(s, a_k)) over the
 * chosen entries, and
 *
 *   C(s) = mean_k KL(p_k ‖ (1/K) Σ_m p_m),
 *
 * the KL to the mixture approximated as in the reference (Durrieu et al. 2012) by the mean of
 *   KL_var  = log K − logsumexp_m(−KL(p_k ‖ p_m)),
 *   KL_prod = max(0, log K − H(p_k) − logsumexp_m log N(μ_k; μ_m, σ_k² + σ_m²)).
 * Zero when the model ignores the action. Uses (reference): a bonus r + 0.2·clip(C, 0, 2),
 * prioritised replay, picking the most influential of 32 candidate actions.
 *
 * Deviation: the reference scores with one Gaussian model; with an ensemble, each p_k is the
 * members' mixture moment-matched to one Gaussian (mean of means; mean variance + variance of means).
 */
import type { DynamicsModel } from "../models/types.js";
import { Rng } from "../core/rng.js";
import { checkBatch, type IntrinsicSignal, type TransitionBatch } from "./types.js";

export interface CaiOptions {
  /** State entries [start, end) whose influence is measured (e.g. `entryRange(layout, "site_position", "fingertip")`). */
  readonly entries: readonly [number, number];
  readonly actionLow: ArrayLike<number>;
  readonly actionHigh: ArrayLike<number>;
  /** Sampled actions per state (reference: 64 default, 32 in its configs). Default 32. */
  readonly samples?: number;
  readonly seed?: number;
  /** Fixed candidate actions [K x actionDim] instead of sampling (tests, deterministic scoring). */
  readonly candidates?: Float32Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class CausalActionInfluence implements IntrinsicSignal {
  readonly name = "cai" as const;
  readonly needsNext = false;
  readonly model: DynamicsModel;
  readonly K: number;
  readonly #lo: number;
  readonly #hi: number;
  readonly #low: Float64Array;
  readonly #high: Float64Array;
  readonly #candidates: Float32Array | undefined;
  readonly #rng: Rng;
  #S = new Float32Array(0);
  #A = new Float32Array(0);

  constructor(model: DynamicsModel, options: CaiOptions) {
    this.model = model;
    const [lo, hi] = options.entries;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi > lo && hi <= model.layout.size)) {
      throw new RangeError(`CAI entries [${lo}, ${hi}) are not a range of the ${model.layout.size}-entry state`);
    }
    this.#lo = lo;
    this.#hi = hi;
    this.#low = Float64Array.from(options.actionLow);
    this.#high = Float64Array.from(options.actionHigh);
    this.#candidates = options.candidates;
    this.K = options.candidates ? options.candidates.length / model.actionDim : (options.samples ?? 32);
    if (!(Number.isInteger(this.K) && this.K >= 2)) throw new RangeError(`CAI needs at least 2 actions per state, got ${this.K}`);
    this.#rng = new Rng(options.seed ?? 0);
  }

  compute(batch: TransitionBatch, out: Float64Array): void {
    const m = this.model;
    const d = m.layout.size;
    const a = m.actionDim;
    checkBatch(this, batch, d, 0, out);
    const n = batch.rows;
    const K = this.K;
    const rows = n * K;
    if (this.#S.length < rows * d) {
      this.#S = new Float32Array(rows * d);
      this.#A = new Float32Array(rows * a);
    }
    const S = this.#S.subarray(0, rows * d);
    const A = this.#A.subarray(0, rows * a);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        const r = i * K + k;
        S.set(batch.states.subarray(i * d, (i + 1) * d), r * d);
        for (let j = 0; j < a; j++) {
          A[r * a + j] = this.#candidates ? this.#candidates[k * a + j] : this.#rng.uniform(this.#low[j], this.#high[j]);
        }
      }
    }
    const p = m.predict(S, A, rows);
    const E = m.members;
    const w = this.#hi - this.#lo;
    const mu = new Float64Array(K * w);
    const v = new Float64Array(K * w);
    const logv = new Float64Array(K * w);
    const t1 = new Float64Array(K);
    const t2 = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      // Moment-matched Gaussian of every candidate over the chosen entries.
      for (let k = 0; k < K; k++) {
        const r = i * K + k;
        for (let j = 0; j < w; j++) {
          const idx = this.#lo + j;
          let s = 0;
          for (let e = 0; e < E; e++) s += p.mean[(e * rows + r) * d + idx];
          const mean = s / E;
          let vv = 0;
          for (let e = 0; e < E; e++) {
            const dm = p.mean[(e * rows + r) * d + idx] - mean;
            vv += Math.exp(p.logVar[(e * rows + r) * d + idx]) + dm * dm;
          }
          mu[k * w + j] = mean;
          v[k * w + j] = vv / E;
          logv[k * w + j] = Math.log(vv / E);
        }
      }
      let total = 0;
      for (let k = 0; k < K; k++) {
        let entropy = 0;
        for (let j = 0; j < w; j++) entropy += 0.5 * (LOG_2PI + 1 + logv[k * w + j]);
        for (let mm = 0; mm < K; mm++) {
          let kl = 0;
          let logN = 0;
          for (let j = 0; j < w; j++) {
            const dk = k * w + j;
            const dm = mm * w + j;
            const diff = mu[dk] - mu[dm];
            kl += 0.5 * (logv[dm] - logv[dk] + (v[dk] + diff * diff) / v[dm] - 1);
            const s2 = v[dk] + v[dm];
            logN += -0.5 * (LOG_2PI + Math.log(s2) + (diff * diff) / s2);
          }
          t1[mm] = -kl;
          t2[mm] = logN;
        }
        const logK = Math.log(K);
        const klVar = logK - logSumExp(t1, K);
        const klProd = Math.max(0, logK - entropy - logSumExp(t2, K));
        total += 0.5 * (klVar + klProd);
      }
      out[i] = total / K;
    }
  }
}

function logSumExp(x: Float64Array, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[i] - max);
  return max + Math.log(s);
}
