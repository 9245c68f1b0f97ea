/**
 * Timing statistics of a control loop, after ros2_control's diagnostics: period error (how late
 * each tick started against its absolute deadline), compute time (read to write), overruns and
 * missed cycles. Recording allocates nothing.
 */
import { Histogram } from "../core/Histogram.js";

export interface LoopStatsSummary {
  readonly ticks: number;
  readonly p50PeriodErrorMs: number;
  readonly p99PeriodErrorMs: number;
  readonly maxPeriodErrorMs: number;
  readonly meanComputeMs: number;
  readonly p99ComputeMs: number;
  readonly maxComputeMs: number;
  /** Ticks whose work ran past the next deadline. */
  readonly overruns: number;
  /** Cycles skipped because of overruns. */
  readonly missedCycles: number;
}

export class LoopStats {
  // 1 µs bins up to 1 s: a period error or compute time beyond that is an overflow with an exact max.
  readonly #periodError = new Histogram(1e-6, 1);
  readonly #compute = new Histogram(1e-6, 1);
  #overruns = 0;
  #missed = 0;

  /** One tick: its lateness (s), its compute time (s) and the cycles skipped before it. */
  record(periodErrorSec: number, computeSec: number, missedBefore: number): void {
    this.#periodError.record(periodErrorSec);
    this.#compute.record(computeSec);
    if (missedBefore > 0) {
      this.#overruns++;
      this.#missed += missedBefore;
    }
  }

  get ticks(): number {
    return this.#compute.count;
  }

  get overruns(): number {
    return this.#overruns;
  }

  summary(): LoopStatsSummary {
    const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
    return {
      ticks: this.#compute.count,
      p50PeriodErrorMs: ms(this.#periodError.quantile(0.5)),
      p99PeriodErrorMs: ms(this.#periodError.quantile(0.99)),
      maxPeriodErrorMs: ms(this.#periodError.max),
      meanComputeMs: ms(this.#compute.mean),
      p99ComputeMs: ms(this.#compute.quantile(0.99)),
      maxComputeMs: ms(this.#compute.max),
      overruns: this.#overruns,
      missedCycles: this.#missed,
    };
  }

  reset(): void {
    this.#periodError.reset();
    this.#compute.reset();
    this.#overruns = 0;
    this.#missed = 0;
  }
}
