/**
 * The DEP input the reference calls "muscle_states": per muscle, a length term scaled by the
 * running range of lengths seen so far, plus an optional force term scaled likewise:
 *
 *   x_i = 2·((l_i − lmin_i) / (lmax_i − lmin_i + 0.1) − 0.5) + force_scale·(f_i − fmin_i) / (fmax_i − fmin_i + 0.1)
 *
 * Reproduced from the reference, quirks included:
 * - the running min/max are updated with the current reading BEFORE it is normalized, so the
 *   first reading gives −1 for every muscle (plus 0 from the force term);
 * - they are never reset (not by `DepController.reset()` either: the reference keeps them in the
 *   environment wrapper, which outlives DEP resets); build a new normalizer for a new body;
 * - initial values: length min 100, length max 0; force min 100, force max −100. A length above
 *   100 or below 0 (units!) therefore never becomes the running min or max, and forces beyond
 *   ±100 stretch the force range to include ±100;
 * - a NaN anywhere in the lengths (or forces) skips the min/max update of ALL lengths (forces)
 *   for that reading; the NaN itself still reaches the output;
 * - the force term is computed even when force_scale is 0, so a NaN force makes the input NaN
 *   (`ignoreUnscaledForce: true` drops the term when force_scale is 0, for bodies without force
 *   sensors that report NaN).
 *
 * Force sign: the reference feeds MuJoCo's `actuator_force`, which is NEGATIVE for a pulling
 * muscle, whereas `SensorFrame.muscleForceN` is the tendon tension, POSITIVE when pulling.
 * `forceSign: "mujoco"` (default) uses f = −tension and reproduces the reference; `"tension"`
 * uses the tension as is. With force_scale > 0 the choice matters: under "mujoco" a harder pull
 * lowers the input, under "tension" it raises it.
 */
export type ForceSign = "mujoco" | "tension";

export interface MuscleInputNormalizerOptions {
  /** Muscles. */
  readonly n: number;
  /** Weight of the force term (the reference's `force_scale`, >= 0); default 0. */
  readonly forceScale?: number;
  /** See the class comment; default "mujoco". */
  readonly forceSign?: ForceSign;
  /** Drop the force term when forceScale is 0 (default false: reference behaviour). */
  readonly ignoreUnscaledForce?: boolean;
}

const LENGTH_MIN_INIT = 100;
const LENGTH_MAX_INIT = 0;
const FORCE_MIN_INIT = 100;
const FORCE_MAX_INIT = -100;
const RANGE_PAD = 0.1;

export class MuscleInputNormalizer {
  readonly n: number;
  readonly forceScale: number;
  readonly forceSign: ForceSign;
  readonly #useForce: boolean;
  readonly #lMin: Float64Array;
  readonly #lMax: Float64Array;
  readonly #fMin: Float64Array;
  readonly #fMax: Float64Array;

  constructor(options: MuscleInputNormalizerOptions) {
    const { n, forceScale = 0, forceSign = "mujoco", ignoreUnscaledForce = false } = options;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`MuscleInputNormalizer: n must be an integer >= 1, got ${n}`);
    if (!(forceScale >= 0) || !Number.isFinite(forceScale)) {
      throw new RangeError(`MuscleInputNormalizer: forceScale (${forceScale}) must be a finite number >= 0`);
    }
    if (forceSign !== "mujoco" && forceSign !== "tension") {
      throw new RangeError(`MuscleInputNormalizer: forceSign (${String(forceSign)}) must be "mujoco" or "tension"`);
    }
    this.n = n;
    this.forceScale = forceScale;
    this.forceSign = forceSign;
    this.#useForce = !(ignoreUnscaledForce && forceScale === 0);
    this.#lMin = new Float64Array(n).fill(LENGTH_MIN_INIT);
    this.#lMax = new Float64Array(n).fill(LENGTH_MAX_INIT);
    this.#fMin = new Float64Array(n).fill(FORCE_MIN_INIT);
    this.#fMax = new Float64Array(n).fill(FORCE_MAX_INIT);
  }

  /**
   * Updates the running ranges with this reading, then writes the DEP input for each muscle to
   * `out` and returns it. `forceN` is tendon tension (positive when pulling). Does not allocate.
   */
  normalize(lengthM: ArrayLike<number>, forceN: ArrayLike<number>, out: Float64Array): Float64Array {
    const n = this.n;
    if (lengthM.length !== n || forceN.length !== n || out.length !== n) {
      throw new RangeError(
        `MuscleInputNormalizer.normalize: expected ${n} values each, got lengths ${lengthM.length}, forces ${forceN.length}, out ${out.length}`,
      );
    }
    const sign = this.forceSign === "mujoco" ? -1 : 1;
    const lMin = this.#lMin;
    const lMax = this.#lMax;
    const fMin = this.#fMin;
    const fMax = this.#fMax;

    let lengthsFinite = true;
    let forcesFinite = true;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(lengthM[i])) lengthsFinite = false;
      if (Number.isNaN(forceN[i])) forcesFinite = false;
    }
    if (lengthsFinite) {
      for (let i = 0; i < n; i++) {
        const l = lengthM[i];
        if (l > lMax[i]) lMax[i] = l;
        if (l < lMin[i]) lMin[i] = l;
      }
    }
    if (forcesFinite && this.#useForce) {
      for (let i = 0; i < n; i++) {
        const f = sign * forceN[i];
        if (f > fMax[i]) fMax[i] = f;
        if (f < fMin[i]) fMin[i] = f;
      }
    }
    const fs = this.forceScale;
    for (let i = 0; i < n; i++) {
      let v = 2 * ((lengthM[i] - lMin[i]) / (lMax[i] - lMin[i] + RANGE_PAD) - 0.5);
      if (this.#useForce) v += fs * ((sign * forceN[i] - fMin[i]) / (fMax[i] - fMin[i] + RANGE_PAD));
      out[i] = v;
    }
    return out;
  }

  /** Sets the running ranges (from `ranges()`, for checkpoints); throws RangeError on a length mismatch. */
  setRanges(r: { lengthMin: ArrayLike<number>; lengthMax: ArrayLike<number>; forceMin: ArrayLike<number>; forceMax: ArrayLike<number> }): void {
    for (const a of [r.lengthMin, r.lengthMax, r.forceMin, r.forceMax]) {
      if (a.length !== this.n) throw new RangeError(`MuscleInputNormalizer.setRanges: expected ${this.n} values per range, got ${a.length}`);
    }
    this.#lMin.set(r.lengthMin);
    this.#lMax.set(r.lengthMax);
    this.#fMin.set(r.forceMin);
    this.#fMax.set(r.forceMax);
  }

  /** Copies of the running ranges, for inspection. */
  ranges(): { lengthMin: Float64Array; lengthMax: Float64Array; forceMin: Float64Array; forceMax: Float64Array } {
    return { lengthMin: this.#lMin.slice(), lengthMax: this.#lMax.slice(), forceMin: this.#fMin.slice(), forceMax: this.#fMax.slice() };
  }
}
