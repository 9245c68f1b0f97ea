/**
 * DEP (differential extrinsic plasticity, Der & Martius 2015): the algorithm alone, for E
 * parallel environments of n muscles each, on flat `Float64Array`s of length E·n (env-major:
 * index e·n + i). It reproduces the reference implementation (martius-lab/depRL), update order
 * and quirks included; see the spec (specs/dep.md).
 *
 * One step, for input x_t:
 * 1. smoothing: x̄_0 = x_0; x̄_t = x̄_{t−1} + (x_t − x̄_{t−1}) / s4avg when s4avg > 1, else x̄_t = x_t;
 * 2. learning, when `with_learning` and the reference's buffer would hold more than
 *    time_dist + 2 entries (from t = time_dist + 2 on): with velocities d_u = x̄_u − x̄_{u−1} and
 *    M = −I, C = Σ_{u ∈ W_t} M·d_u·d_{u−θ}ᵀ over the window W_t = [max(θ+2, t−tau+2), t−1]
 *    (θ = time_dist). The newest velocity d_t is not in the window, and neither is d_1 (the
 *    reference's window starts two entries back). C_norm is computed from C (see below), then
 *    the bias: h ← h − clip(bias_rate·y_{t−1}, ±0.05) − 0.001·h (h = 0 when bias_rate < 0);
 * 3. action: q = C_norm·x̄_t, q̂ = q·qnorm(q), y = clip(tanh(κ·q̂ + h), −1, 1).
 * y stays exactly 0 until learning starts; the first non-zero action is at t = time_dist + 3.
 *
 * Normalization of C (R = C·Mᵀ = −C, so the norms of R are those of C; reg = 10^−regularization):
 * - "independent": f_k = κ / (‖R[k,:]‖₂ + reg), factors from the ROW norms. The reference then
 *   scales COLUMN k by f_k (C_norm[j,k] = C[j,k]·f_k); that is `normalization_axis: "column"`,
 *   the default. `"row"` scales row k by f_k instead (the textbook variant); the two can differ
 *   by up to 2 in the action.
 * - "global": C_norm = κ·C / (‖R‖ + reg), the norm running over all E environments together.
 * - "none": C_norm = C.
 * q-norm: "l2" q̂ = q / (‖q‖₂ + reg) per environment (the reference's only working choice);
 * "max" q̂ = q / (max|q| + reg); "none" q̂ = q. (The reference's code for "max" and "none" ends in
 * a TypeError; these are the evident intent.)
 *
 * Environments keep their own C, C_norm and h, but share t and the buffer (as in the reference).
 *
 * The bias uses DEP's OWN previous output y_{t−1}, even when another controller (a policy)
 * drove the body on the previous tick: the reference stores DEP's action in its buffer and never
 * sees the action actually applied. There is deliberately no way to inject another action.
 *
 * Cost: C is kept as a running sum (add the entering outer product, subtract the leaving one),
 * so a step costs O(E·n²) whatever tau is. Floating-point drift of the running sum is bounded
 * by a shadow sum: a second matrix accumulates only the entering products since its last restart;
 * after tau − 2 additions it holds exactly the window, computed without any subtraction, and it
 * replaces C (a swap of two arrays, no extra work). Rounding error in C therefore never spans more
 * than 2·(tau − 2) steps, and a transient that has left the window cannot linger as cancellation
 * residue (nor can a non-finite input, once it is out of both sums). The cost is one extra n²
 * addition per step and no latency spike.
 *
 * Memory: everything is allocated in the constructor; `step` does not allocate. The buffer is a
 * ring of the last tau + time_dist velocities (what the window and the leaving product need,
 * i.e. tau + time_dist + 1 smoothed inputs); `buffer_size` is validated against that minimum but
 * does not size anything, since the reference never reads further back.
 */
import type { DepParams } from "./params.js";

/** A Float64Array that the receiver must not write (a live view owned by someone else). */
export type ReadonlyFloat64Array = Omit<Float64Array, "set" | "fill" | "copyWithin" | "reverse" | "sort" | number> & {
  readonly [index: number]: number;
};

const NORM_INDEPENDENT = 0;
const NORM_GLOBAL = 1;
const NORM_NONE = 2;
const QNORM_L2 = 0;
const QNORM_MAX = 1;
const QNORM_NONE = 2;

/** What `Dep.state()` returns and `Dep.load()` takes. */
export interface DepState {
  readonly t: number;
  readonly shadowCount: number;
  readonly xs: Float64Array;
  readonly ring: Float64Array;
  readonly c: Float64Array;
  readonly shadow: Float64Array;
  readonly scale: Float64Array;
  readonly bias: Float64Array;
  readonly y: Float64Array;
}

export class Dep {
  /** Muscles (sensors = motors) per environment. */
  readonly n: number;
  /** Parallel environments. */
  readonly envs: number;
  readonly params: Readonly<DepParams>;

  readonly #kappa: number;
  readonly #tau: number;
  readonly #theta: number;
  readonly #s4avg: number;
  readonly #biasRate: number;
  readonly #reg: number;
  readonly #bufferSize: number;
  readonly #withLearning: boolean;
  readonly #normMode: number;
  readonly #byColumn: boolean;
  readonly #qNormMode: number;
  /** Window length in steady state: tau − 2 products. */
  readonly #windowLength: number;

  /** Smoothed input x̄_t (E·n). */
  readonly #xs: Float64Array;
  /** Ring of velocities d_u, slot u mod #ringSize, each E·n. */
  readonly #ring: Float64Array;
  readonly #ringSize: number;
  /** Running window sum C (E·n·n) and its shadow (see the class comment); swapped, hence not readonly. */
  #c: Float64Array;
  #shadow: Float64Array;
  /** Products added to the shadow since its restart. */
  #shadowCount = 0;
  /** Normalization factors from the last learning step: per column / row (E·n), or per env for global/none. */
  readonly #scale: Float64Array;
  /** Squared row norms of C (E·n), scratch. */
  readonly #rowNormSq: Float64Array;
  /** Scratch for the action: per-column scaled input (n). */
  readonly #w: Float64Array;
  /** Scratch: q (E·n). */
  readonly #q: Float64Array;
  /** Bias h (E·n). */
  readonly #bias: Float64Array;
  /** Last output y (E·n): y_{t−1} at the start of a step. */
  readonly #y: Float64Array;
  #t = 0;

  constructor(params: Readonly<DepParams>, n: number, envs = 1) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Dep: n (muscles) must be an integer >= 1, got ${n}`);
    if (!Number.isInteger(envs) || envs < 1) throw new RangeError(`Dep: envs must be an integer >= 1, got ${envs}`);
    if (params.buffer_size < params.tau + params.time_dist + 1) {
      throw new RangeError(
        `Dep: buffer_size (${params.buffer_size}) must be >= tau + time_dist + 1 = ${params.tau + params.time_dist + 1}; resolve parameters with resolveDepParams`,
      );
    }
    this.n = n;
    this.envs = envs;
    this.params = params;
    this.#kappa = params.kappa;
    this.#tau = params.tau;
    this.#theta = params.time_dist;
    this.#s4avg = params.s4avg;
    this.#biasRate = params.bias_rate;
    this.#reg = Math.pow(10, -params.regularization);
    this.#bufferSize = params.buffer_size;
    this.#withLearning = params.with_learning;
    this.#normMode = params.normalization === "independent" ? NORM_INDEPENDENT : params.normalization === "global" ? NORM_GLOBAL : NORM_NONE;
    this.#byColumn = params.normalization_axis !== "row";
    this.#qNormMode = params.q_norm_selector === "l2" ? QNORM_L2 : params.q_norm_selector === "max" ? QNORM_MAX : QNORM_NONE;
    this.#windowLength = params.tau - 2;

    const en = envs * n;
    // Oldest velocity needed at step t: d_{t−tau+1−θ} (the leaving product); newest: d_t.
    this.#ringSize = params.tau + params.time_dist;
    this.#xs = new Float64Array(en);
    this.#ring = new Float64Array(this.#ringSize * en);
    this.#c = new Float64Array(en * n);
    this.#shadow = new Float64Array(en * n);
    this.#scale = new Float64Array(en);
    this.#rowNormSq = new Float64Array(en);
    this.#w = new Float64Array(n);
    this.#q = new Float64Array(en);
    this.#bias = new Float64Array(en);
    this.#y = new Float64Array(en);
  }

  /** Steps taken since construction or the last reset (shared by all environments). */
  get t(): number {
    return this.#t;
  }

  /** The last output y (E·n), a live view overwritten by the next step: copy it to keep it. */
  get lastAction(): ReadonlyFloat64Array {
    return this.#y;
  }

  /** True once learning steps run (from t = time_dist + 2 with learning on). */
  get learning(): boolean {
    return this.#withLearning && Math.min(this.#t, this.#bufferSize) > 2 + this.#theta;
  }

  /** Forgets everything: C, C_norm, bias, buffer, smoothing and t. */
  reset(): void {
    this.#xs.fill(0);
    this.#ring.fill(0);
    this.#c.fill(0);
    this.#shadow.fill(0);
    this.#shadowCount = 0;
    this.#scale.fill(0);
    this.#rowNormSq.fill(0);
    this.#q.fill(0);
    this.#bias.fill(0);
    this.#y.fill(0);
    this.#t = 0;
  }

  /**
   * One DEP step. `x` holds E·n inputs (env-major); the E·n outputs are written to `out`
   * (which may be `x`) and returned. Throws RangeError on a length mismatch, before any state
   * changes. Does not allocate.
   */
  step(x: ArrayLike<number>, out: Float64Array): Float64Array {
    const n = this.n;
    const en = this.envs * n;
    if (x.length !== en) throw new RangeError(`Dep.step: input has ${x.length} values, expected envs·n = ${this.envs}·${n} = ${en}`);
    if (out.length !== en) throw new RangeError(`Dep.step: output has ${out.length} values, expected ${en}`);
    const t = this.#t;
    const xs = this.#xs;
    const ring = this.#ring;

    // 1. Smoothing, and the velocity d_t into the ring (d_0 = 0, never used).
    const slotT = (t % this.#ringSize) * en;
    if (t === 0 || !(this.#s4avg > 1)) {
      for (let i = 0; i < en; i++) {
        const v = x[i];
        ring[slotT + i] = t === 0 ? 0 : v - xs[i];
        xs[i] = v;
      }
    } else {
      const s = this.#s4avg;
      for (let i = 0; i < en; i++) {
        const prev = xs[i];
        const next = prev + (x[i] - prev) / s;
        ring[slotT + i] = next - prev;
        xs[i] = next;
      }
    }

    // 2. Learning. The reference's buffer holds min(t + 1, buffer_size) entries after the push.
    if (this.#withLearning && Math.min(t + 1, this.#bufferSize) > 2 + this.#theta) this.#learn(t);

    // 3. Action.
    this.#act(out);
    this.#t = t + 1;
    return out;
  }

  #learn(t: number): void {
    const n = this.n;
    const E = this.envs;
    const en = E * n;
    const theta = this.#theta;
    const ring = this.#ring;
    const size = this.#ringSize;
    const rowNormSq = this.#rowNormSq;

    const uIn = t - 1; // entering product P_u = d_u·d_{u−θ}ᵀ
    const uOut = t - this.#tau + 1; // leaving product
    const enters = uIn >= theta + 2;
    const leaves = uOut >= theta + 2;
    const swapNow = enters && this.#shadowCount + 1 === this.#windowLength;

    if (enters) {
      const inRow = (uIn % size) * en; // d_u
      const inCol = ((uIn - theta) % size) * en; // d_{u−θ}
      const outRow = leaves ? (uOut % size) * en : 0;
      const outCol = leaves ? ((uOut - theta) % size) * en : 0;
      const c = this.#c;
      const sh = this.#shadow;
      for (let e = 0; e < E; e++) {
        const en0 = e * n;
        for (let j = 0; j < n; j++) {
          // M = −I: the entering term is −d_u[j]·d_{u−θ}[k]; removing the leaving one adds it back.
          const a = -ring[inRow + en0 + j];
          const b = leaves ? ring[outRow + en0 + j] : 0;
          const r = (en0 + j) * n;
          let ss = 0;
          if (swapNow) {
            // The shadow now holds the whole window: it becomes C below, so only it is updated.
            for (let k = 0; k < n; k++) {
              const v = sh[r + k] + a * ring[inCol + en0 + k];
              sh[r + k] = v;
              ss += v * v;
            }
          } else if (leaves) {
            for (let k = 0; k < n; k++) {
              const p = a * ring[inCol + en0 + k];
              const v = c[r + k] + p + b * ring[outCol + en0 + k];
              c[r + k] = v;
              sh[r + k] += p;
              ss += v * v;
            }
          } else {
            for (let k = 0; k < n; k++) {
              const p = a * ring[inCol + en0 + k];
              const v = c[r + k] + p;
              c[r + k] = v;
              sh[r + k] += p;
              ss += v * v;
            }
          }
          rowNormSq[en0 + j] = ss;
        }
      }
      if (swapNow) {
        const old = this.#c;
        this.#c = this.#shadow;
        this.#shadow = old;
        old.fill(0);
        this.#shadowCount = 0;
      } else {
        this.#shadowCount++;
      }
    } else {
      // Window still empty (t = θ + 2): C = 0. (A product only leaves on a step where one enters.)
      rowNormSq.fill(0);
    }

    // Normalization factors (C_norm itself is never materialized: see #act and cNorm()).
    const kappa = this.#kappa;
    const reg = this.#reg;
    const scale = this.#scale;
    if (this.#normMode === NORM_INDEPENDENT) {
      for (let i = 0; i < en; i++) scale[i] = kappa / (Math.sqrt(rowNormSq[i]) + reg);
    } else if (this.#normMode === NORM_GLOBAL) {
      let total = 0;
      for (let i = 0; i < en; i++) total += rowNormSq[i];
      const g = kappa / (Math.sqrt(total) + reg);
      for (let e = 0; e < E; e++) scale[e] = g;
    } else {
      for (let e = 0; e < E; e++) scale[e] = 1;
    }

    // Bias, from DEP's own previous output.
    const h = this.#bias;
    if (this.#biasRate >= 0) {
      const y = this.#y;
      const br = this.#biasRate;
      for (let i = 0; i < en; i++) {
        let step = y[i] * br;
        if (step > 0.05) step = 0.05;
        else if (step < -0.05) step = -0.05;
        h[i] -= step + h[i] * 0.001;
      }
    } else {
      h.fill(0);
    }
  }

  #act(out: Float64Array): void {
    const n = this.n;
    const E = this.envs;
    const c = this.#c;
    const xs = this.#xs;
    const scale = this.#scale;
    const q = this.#q;
    const w = this.#w;
    const h = this.#bias;
    const y = this.#y;
    const kappa = this.#kappa;
    const reg = this.#reg;
    const independent = this.#normMode === NORM_INDEPENDENT;
    const byColumn = this.#byColumn;
    for (let e = 0; e < E; e++) {
      const en0 = e * n;
      // q = C_norm·x̄ without forming C_norm: column scaling folds into the input, row and
      // scalar scaling into the result.
      if (independent && byColumn) {
        for (let k = 0; k < n; k++) w[k] = scale[en0 + k] * xs[en0 + k];
      } else {
        for (let k = 0; k < n; k++) w[k] = xs[en0 + k];
      }
      for (let j = 0; j < n; j++) {
        const r = (en0 + j) * n;
        let acc = 0;
        for (let k = 0; k < n; k++) acc += c[r + k] * w[k];
        q[en0 + j] = independent ? (byColumn ? acc : acc * scale[en0 + j]) : acc * scale[e];
      }
      let qn = 1;
      if (this.#qNormMode === QNORM_L2) {
        let ss = 0;
        for (let j = 0; j < n; j++) ss += q[en0 + j] * q[en0 + j];
        qn = 1 / (Math.sqrt(ss) + reg);
      } else if (this.#qNormMode === QNORM_MAX) {
        let m = 0;
        for (let j = 0; j < n; j++) {
          const a = Math.abs(q[en0 + j]);
          if (a > m || a !== a) m = a;
        }
        qn = 1 / (m + reg);
      }
      for (let j = 0; j < n; j++) {
        let v = Math.tanh(q[en0 + j] * qn * kappa + h[en0 + j]);
        if (v > 1) v = 1;
        else if (v < -1) v = -1;
        y[en0 + j] = v;
        out[en0 + j] = v;
      }
    }
  }

  /** A copy of C_norm (E·n·n, env-major, row-major within an env), as of the last learning step. */
  cNorm(out: Float64Array = new Float64Array(this.envs * this.n * this.n)): Float64Array {
    const n = this.n;
    const c = this.#c;
    const scale = this.#scale;
    for (let e = 0; e < this.envs; e++) {
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < n; k++) {
          const idx = (e * n + j) * n + k;
          const f =
            this.#normMode === NORM_INDEPENDENT ? (this.#byColumn ? scale[e * n + k] : scale[e * n + j]) : scale[e];
          // Zero C entries stay zero even where a factor is huge (an all-zero row): as in the reference.
          out[idx] = c[idx] * f;
        }
      }
    }
    return out;
  }

  /** A copy of the raw window sum C (E·n·n), the matrix before normalization. */
  c(out: Float64Array = new Float64Array(this.envs * this.n * this.n)): Float64Array {
    out.set(this.#c);
    return out;
  }

  /** A copy of the bias h (E·n). */
  bias(out: Float64Array = new Float64Array(this.envs * this.n)): Float64Array {
    out.set(this.#bias);
    return out;
  }

  /** A copy of the smoothed input x̄_t of the last step (E·n). */
  smoothedInput(out: Float64Array = new Float64Array(this.envs * this.n)): Float64Array {
    out.set(this.#xs);
    return out;
  }

  /**
   * Everything a later step depends on, for checkpoints: t, the smoothed input, the velocity
   * ring, C and its shadow, the normalization factors, the bias and the last output. `load` of
   * this state into a Dep with the same parameters, n and envs continues the same trajectory.
   */
  state(): DepState {
    return {
      t: this.#t,
      shadowCount: this.#shadowCount,
      xs: this.#xs.slice(),
      ring: this.#ring.slice(),
      c: this.#c.slice(),
      shadow: this.#shadow.slice(),
      scale: this.#scale.slice(),
      bias: this.#bias.slice(),
      y: this.#y.slice(),
    };
  }

  /** Restores a `state()`; throws RangeError (changing nothing) when it does not fit this Dep. */
  load(state: DepState): void {
    const fits: [string, Float64Array, ArrayLike<number>][] = [
      ["xs", this.#xs, state.xs],
      ["ring", this.#ring, state.ring],
      ["c", this.#c, state.c],
      ["shadow", this.#shadow, state.shadow],
      ["scale", this.#scale, state.scale],
      ["bias", this.#bias, state.bias],
      ["y", this.#y, state.y],
    ];
    for (const [name, mine, theirs] of fits) {
      if (!theirs || theirs.length !== mine.length) {
        throw new RangeError(`Dep.load: saved '${name}' has ${theirs?.length ?? 0} values, this DEP (n ${this.n}, envs ${this.envs}, tau ${this.#tau}, time_dist ${this.#theta}) needs ${mine.length}`);
      }
    }
    if (!Number.isInteger(state.t) || state.t < 0) throw new RangeError(`Dep.load: saved t (${state.t}) must be an integer >= 0`);
    for (const [, mine, theirs] of fits) mine.set(theirs);
    this.#t = state.t;
    this.#shadowCount = state.shadowCount;
  }
}
