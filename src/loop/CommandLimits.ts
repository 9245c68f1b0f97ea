/**
 * The last stage before a command is written: per-muscle range, an optional per-muscle rate
 * limit, and the safe command for any muscle whose command is NaN or infinite (or that an
 * arbitration stage marked safe). Never throws; reports problems through a callback. Works in
 * place on the command it is given.
 */
import type { ProblemEvent } from "../core/events.js";
import type { RobotSpec } from "../core/spec.js";

export interface CommandLimitsOptions {
  /** Per-muscle lower bound; default the spec's commandMin. */
  readonly min?: ArrayLike<number>;
  /** Per-muscle upper bound; default the spec's commandMax. */
  readonly max?: ArrayLike<number>;
  /** Largest change per second (command units / s), one for all or one per muscle; Infinity (default) for none. */
  readonly maxRatePerSec?: number | ArrayLike<number>;
}

export class CommandLimits {
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #safe: Float64Array;
  readonly #previous: Float64Array;
  readonly #maxRatePerSec: Float64Array;
  #rateLimited: boolean;
  #hasPrevious = false;
  /** Count of non-finite values replaced, per muscle. */
  readonly nonFiniteCounts: Uint32Array;

  constructor(spec: RobotSpec, options: CommandLimitsOptions = {}) {
    const n = spec.muscles.length;
    this.#min = Float64Array.from(options.min ?? spec.muscles.map((m) => m.commandMin));
    this.#max = Float64Array.from(options.max ?? spec.muscles.map((m) => m.commandMax));
    this.#safe = Float64Array.from(spec.muscles.map((m) => m.safeCommand));
    if (this.#min.length !== n || this.#max.length !== n) {
      throw new RangeError(`CommandLimits: min/max need ${n} values (one per muscle)`);
    }
    for (let i = 0; i < n; i++) {
      if (!(this.#min[i] <= this.#max[i])) {
        throw new RangeError(`CommandLimits: muscle ${spec.muscles[i].name}: min ${this.#min[i]} > max ${this.#max[i]}`);
      }
    }
    const rate = options.maxRatePerSec ?? Infinity;
    this.#maxRatePerSec = typeof rate === "number" ? new Float64Array(n).fill(rate) : Float64Array.from(rate);
    if (this.#maxRatePerSec.length !== n) throw new RangeError(`CommandLimits: maxRatePerSec needs ${n} values (one per muscle) or one number`);
    for (const r of this.#maxRatePerSec) {
      if (!(r > 0)) throw new RangeError(`CommandLimits: maxRatePerSec must be > 0, got ${r}`);
    }
    this.#rateLimited = this.#maxRatePerSec.some((r) => Number.isFinite(r));
    // Until the first command, the reference is the safe command (what a body at rest was sent).
    this.#previous = Float64Array.from(this.#safe);
    this.nonFiniteCounts = new Uint32Array(n);
  }

  /** Changes the rate limit between ticks (one for all muscles; Infinity for none); the reference command is kept. */
  setMaxRatePerSec(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`CommandLimits: maxRatePerSec must be > 0, got ${rate}`);
    this.#maxRatePerSec.fill(rate);
    this.#rateLimited = Number.isFinite(rate);
  }

  /**
   * Limits `values` in place. A non-finite value becomes the muscle's safe command (and is not
   * rate limited: safety first) and calls `onProblem` on its first occurrence per muscle. Muscles
   * set in `safeMask` (e-stop, no arbitration source) get their safe command at once, unlimited.
   */
  apply(values: Float64Array, dtSec: number, stampSec: number, onProblem?: (p: ProblemEvent) => void, safeMask?: Uint8Array): Float64Array {
    const n = values.length;
    const limitRate = this.#hasPrevious && this.#rateLimited && dtSec > 0;
    for (let i = 0; i < n; i++) {
      if (safeMask !== undefined && safeMask[i] !== 0) {
        values[i] = this.#safe[i];
        this.#previous[i] = values[i];
        continue;
      }
      let u = values[i];
      if (!Number.isFinite(u)) {
        if (this.nonFiniteCounts[i]++ === 0 && onProblem) {
          onProblem({
            type: "problem",
            code: "non_finite_command",
            message: `muscle ${i}: command was ${u}; sent the safe command ${this.#safe[i]} instead`,
            stampSec,
            muscle: i,
          });
        }
        values[i] = this.#safe[i];
        this.#previous[i] = values[i];
        continue;
      }
      const maxStep = limitRate ? this.#maxRatePerSec[i] * dtSec : Infinity;
      if (maxStep !== Infinity) {
        const prev = this.#previous[i];
        if (u > prev + maxStep) u = prev + maxStep;
        else if (u < prev - maxStep) u = prev - maxStep;
      }
      if (u < this.#min[i]) u = this.#min[i];
      else if (u > this.#max[i]) u = this.#max[i];
      values[i] = u;
      this.#previous[i] = u;
    }
    this.#hasPrevious = true;
    return values;
  }

  /**
   * The last command this limiter let through (the rate limiter's reference; the safe command
   * before the first): a live view, overwritten by the next `apply` or `safe`. Read, never write.
   */
  get lastCommand(): Float64Array {
    return this.#previous;
  }

  /** The safe command of every muscle (a live view: read, never write). */
  get safeCommand(): Float64Array {
    return this.#safe;
  }

  /** Writes the safe command into `values` and makes it the rate limiter's reference. */
  safe(values: Float64Array): Float64Array {
    values.set(this.#safe);
    this.#previous.set(this.#safe);
    this.#hasPrevious = true;
    return values;
  }
}
