/**
 * The last stage before a command is written: per-muscle range, an optional rate limit, and the
 * safe command for any muscle whose command is NaN or infinite. Never throws; reports problems
 * through a callback. Works in place on the command it is given.
 */
import type { ProblemEvent } from "../core/events.js";
import type { RobotSpec } from "../core/spec.js";

export interface CommandLimitsOptions {
  /** Per-muscle lower bound; default the spec's commandMin. */
  readonly min?: ArrayLike<number>;
  /** Per-muscle upper bound; default the spec's commandMax. */
  readonly max?: ArrayLike<number>;
  /** Largest change per second (command units / s); Infinity (default) for none. */
  readonly maxRatePerSec?: number;
}

export class CommandLimits {
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #safe: Float64Array;
  readonly #previous: Float64Array;
  readonly #maxRatePerSec: number;
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
    if (!(rate > 0)) throw new RangeError(`CommandLimits: maxRatePerSec must be > 0, got ${rate}`);
    this.#maxRatePerSec = rate;
    this.#previous = new Float64Array(n);
    this.nonFiniteCounts = new Uint32Array(n);
  }

  /**
   * Limits `values` in place. A non-finite value becomes the muscle's safe command (and is not
   * rate limited: safety first) and calls `onProblem` on its first occurrence per muscle.
   */
  apply(values: Float64Array, dtSec: number, stampSec: number, onProblem?: (p: ProblemEvent) => void): Float64Array {
    const n = values.length;
    const maxStep = this.#hasPrevious && Number.isFinite(this.#maxRatePerSec) && dtSec > 0 ? this.#maxRatePerSec * dtSec : Infinity;
    for (let i = 0; i < n; i++) {
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

  /** Writes the safe command into `values` and makes it the rate limiter's reference. */
  safe(values: Float64Array): Float64Array {
    values.set(this.#safe);
    this.#previous.set(this.#safe);
    this.#hasPrevious = true;
    return values;
  }
}
