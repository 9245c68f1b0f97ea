/**
 * Gaussian noise sequences with power spectral density ∝ 1/f^β along time (β = 0 white, 1 pink,
 * 2 brown/red, larger smoother), unit variance, after Timmer & König (1995) as the `colorednoise`
 * package builds them for iCEM: random Fourier amplitudes scaled by f^(−β/2) (frequencies below
 * 1/n clamped to 1/n), real DC (and Nyquist for even n) components scaled by √2, inverse real FFT,
 * divided by the theoretical standard deviation σ = 2·√(Σ w²)/n.
 *
 * The inverse real FFT of a fixed length n is a fixed linear map of the 2·(n/2+1) Gaussian
 * amplitudes; it is precomputed once as an n × n matrix (the zero imaginary parts dropped), with
 * the spectral scale and 1/σ folded in, so a sequence costs n² multiply-adds and no allocation.
 * For planning horizons (n ≤ 64) this is faster in JavaScript than a general FFT and gives the
 * same numbers up to rounding.
 */
import type { Rng } from "../core/rng.js";

export class ColoredNoise {
  readonly beta: number;
  readonly length: number;
  /** [length x length] row-major: sample t = Σ_j map[t][j]·g_j for iid standard normal g. */
  readonly #map: Float64Array;
  readonly #g: Float64Array;

  constructor(beta: number, length: number) {
    if (!(Number.isFinite(beta) && beta >= 0)) throw new RangeError(`noise exponent beta must be a finite number >= 0, got ${beta}`);
    if (!(Number.isInteger(length) && length >= 1)) throw new RangeError(`noise length must be an integer >= 1, got ${length}`);
    this.beta = beta;
    this.length = length;
    this.#map = buildMap(beta, length);
    this.#g = new Float64Array(length);
  }

  /**
   * Writes one sequence into `out[offset + t·stride]` for t = 0..length−1 (a strided write so a
   * [horizon x actionDim] action block can be filled one dimension at a time).
   */
  sample(rng: Rng, out: Float32Array | Float64Array, offset = 0, stride = 1): void {
    const n = this.length;
    const g = this.#g;
    if (this.beta === 0 || n === 1) {
      for (let t = 0; t < n; t++) out[offset + t * stride] = rng.normal();
      return;
    }
    for (let j = 0; j < n; j++) g[j] = rng.normal();
    const m = this.#map;
    for (let t = 0; t < n; t++) {
      let s = 0;
      const row = t * n;
      for (let j = 0; j < n; j++) s += m[row + j] * g[j];
      out[offset + t * stride] = s;
    }
  }
}

/**
 * Columns: the real part of each frequency k = 0..⌊n/2⌋, then the imaginary part of k = 1..⌈n/2⌉−1
 * (the imaginary parts of DC and, for even n, Nyquist are zero): n columns in all.
 */
function buildMap(beta: number, n: number): Float64Array {
  const nf = Math.floor(n / 2) + 1; // rfftfreq(n) has n//2 + 1 entries: k/n
  const scale = new Float64Array(nf);
  const fmin = 1 / n;
  for (let k = 0; k < nf; k++) scale[k] = Math.pow(Math.max(k / n, fmin), -beta / 2);
  // σ from the weights of the non-DC components; the last one halved for even n.
  let w2 = 0;
  for (let k = 1; k < nf; k++) {
    const w = k === nf - 1 ? (scale[k] * (1 + (n % 2))) / 2 : scale[k];
    w2 += w * w;
  }
  const sigma = n > 1 ? (2 * Math.sqrt(w2)) / n : 1;
  const even = n % 2 === 0;
  const map = new Float64Array(n * n);
  for (let t = 0; t < n; t++) {
    let col = 0;
    // irfft: x_t = (1/n)·[X_0 + Σ_{0<k<n/2} 2·Re(X_k e^{2πikt/n}) + X_{n/2}(−1)^t (even n)]
    for (let k = 0; k < nf; k++, col++) {
      const edge = k === 0 || (even && k === nf - 1);
      const amp = edge ? Math.SQRT2 * scale[k] : 2 * scale[k];
      map[t * n + col] = (amp * Math.cos((2 * Math.PI * k * t) / n)) / (n * sigma);
    }
    for (let k = 1; k < nf; k++) {
      if (even && k === nf - 1) continue;
      map[t * n + col] = (-2 * scale[k] * Math.sin((2 * Math.PI * k * t) / n)) / (n * sigma);
      col++;
    }
  }
  return map;
}
