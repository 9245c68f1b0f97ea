/**
 * Per-dimension z-scoring (x − mean) / std, fitted once on a data set. A dimension whose std is
 * below `minStd` is treated as std 1 (mbrl-lib #110: a constant dimension must not divide by zero).
 */
export interface ZScoreState {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export class ZScore {
  readonly size: number;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly invStd: Float64Array;

  constructor(size: number) {
    this.size = size;
    this.mean = new Float64Array(size);
    this.std = new Float64Array(size).fill(1);
    this.invStd = new Float64Array(size).fill(1);
  }

  /** Fits mean and std to `rows` rows of `data` (row-major, `size` columns), optionally only the rows in `index`. */
  fit(data: Float32Array | Float64Array, rows: number, index?: Int32Array, minStd = 1e-5): void {
    const n = index ? index.length : rows;
    const d = this.size;
    this.mean.fill(0);
    const m2 = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const r = index ? index[i] : i;
      for (let k = 0; k < d; k++) this.mean[k] += data[r * d + k];
    }
    for (let k = 0; k < d; k++) this.mean[k] /= Math.max(1, n);
    for (let i = 0; i < n; i++) {
      const r = index ? index[i] : i;
      for (let k = 0; k < d; k++) {
        const v = data[r * d + k] - this.mean[k];
        m2[k] += v * v;
      }
    }
    for (let k = 0; k < d; k++) {
      const s = Math.sqrt(m2[k] / Math.max(1, n));
      this.std[k] = s < minStd ? 1 : s;
      this.invStd[k] = 1 / this.std[k];
    }
  }

  state(): ZScoreState {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  load(s: ZScoreState): void {
    if (s.mean.length !== this.size || s.std.length !== this.size) {
      throw new RangeError(`normalizer state has ${s.mean.length} dimensions, the model needs ${this.size}`);
    }
    this.mean.set(s.mean);
    this.std.set(s.std);
    for (let k = 0; k < this.size; k++) this.invStd[k] = 1 / this.std[k];
  }
}
