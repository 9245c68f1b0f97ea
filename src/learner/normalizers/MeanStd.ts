/**
 * Observation normalizer: running mean and standard deviation per feature, as TonicRL's
 * `MeanStd`. Values are recorded as they are stored (`record`) and folded into the statistics
 * only at `update()`, which the agent calls after each round of updates, so the normalization
 * stays fixed within a round. The standard deviation has a floor (`eps`, 1e-2) so a feature
 * that barely varies is not blown up. Before the first `update()` the mean is 0 and the std 1.
 */
export interface MeanStdOptions {
  /** Floor of the standard deviation; default 1e-2. */
  readonly eps?: number;
  /** Clip normalized values to ±clip; default none. */
  readonly clip?: number;
}

export interface MeanStdState {
  readonly mean: Float64Array;
  readonly meanSq: Float64Array;
  readonly std: Float64Array;
  readonly count: number;
  /** Recorded but not yet folded in (absent: nothing pending). */
  readonly pending?: { readonly sum: Float64Array; readonly sumSq: Float64Array; readonly count: number };
}

export class MeanStd {
  readonly size: number;
  readonly eps: number;
  readonly clip: number | undefined;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly #meanSq: Float64Array;
  #count = 0;
  readonly #newSum: Float64Array;
  readonly #newSumSq: Float64Array;
  #newCount = 0;

  constructor(size: number, options: MeanStdOptions = {}) {
    this.size = size;
    this.eps = options.eps ?? 1e-2;
    this.clip = options.clip;
    this.mean = new Float64Array(size);
    this.std = new Float64Array(size).fill(1);
    this.#meanSq = new Float64Array(size).fill(1);
    this.#newSum = new Float64Array(size);
    this.#newSumSq = new Float64Array(size);
  }

  get count(): number {
    return this.#count;
  }

  /** Records `rows` feature vectors laid out one after another in `values`. */
  record(values: ArrayLike<number>, rows = values.length / this.size): void {
    const n = this.size;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const v = values[r * n + i];
        this.#newSum[i] += v;
        this.#newSumSq[i] += v * v;
      }
    }
    this.#newCount += rows;
  }

  /** Folds what was recorded since the last update into the statistics. */
  update(): void {
    if (this.#newCount === 0) return;
    const total = this.#count + this.#newCount;
    const wOld = this.#count / total;
    const wNew = this.#newCount / total;
    for (let i = 0; i < this.size; i++) {
      const m = wOld * this.mean[i] + (wNew * this.#newSum[i]) / this.#newCount;
      const m2 = wOld * this.#meanSq[i] + (wNew * this.#newSumSq[i]) / this.#newCount;
      this.mean[i] = m;
      this.#meanSq[i] = m2;
      this.std[i] = Math.max(Math.sqrt(Math.max(m2 - m * m, 0)), this.eps);
    }
    this.#count = total;
    this.#newCount = 0;
    this.#newSum.fill(0);
    this.#newSumSq.fill(0);
  }

  /** Normalizes `rows` vectors from `values` into `out` (which may be `values`). */
  normalize(values: ArrayLike<number>, out: Float32Array | Float64Array, rows = values.length / this.size): void {
    const n = this.size;
    const clip = this.clip;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        let v = (values[r * n + i] - this.mean[i]) / this.std[i];
        if (clip !== undefined) v = v > clip ? clip : v < -clip ? -clip : v;
        out[r * n + i] = v;
      }
    }
  }

  /** The statistics and what is recorded but not yet folded in (copies). */
  state(): MeanStdState {
    return {
      mean: this.mean.slice(),
      meanSq: this.#meanSq.slice(),
      std: this.std.slice(),
      count: this.#count,
      pending: { sum: this.#newSum.slice(), sumSq: this.#newSumSq.slice(), count: this.#newCount },
    };
  }

  load(state: MeanStdState): void {
    if (state.mean.length !== this.size) throw new RangeError(`MeanStd.load: ${state.mean.length} features, expected ${this.size}`);
    this.mean.set(state.mean);
    this.#meanSq.set(state.meanSq);
    this.std.set(state.std);
    this.#count = state.count;
    this.#newCount = state.pending?.count ?? 0;
    if (state.pending) {
      this.#newSum.set(state.pending.sum);
      this.#newSumSq.set(state.pending.sumSq);
    } else {
      this.#newSum.fill(0);
      this.#newSumSq.fill(0);
    }
  }
}
