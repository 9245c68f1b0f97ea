/**
 * Clocks are injected, never patched: the loop reads time only through a `Clock`.
 */
export interface Clock {
  /** Monotonic time (s) since an arbitrary origin. */
  nowSec(): number;
}

/** Wall (monotonic) time from `performance.now()`. */
export class WallClock implements Clock {
  readonly #originMs: number;
  constructor() {
    this.#originMs = performance.now();
  }
  nowSec(): number {
    return (performance.now() - this.#originMs) / 1000;
  }
}

/** A clock that moves only when told to: for tests and for simulated time. */
export class ManualClock implements Clock {
  #timeSec: number;
  constructor(startSec = 0) {
    this.#timeSec = startSec;
  }
  nowSec(): number {
    return this.#timeSec;
  }
  advance(dtSec: number): void {
    if (!(dtSec >= 0)) throw new RangeError(`ManualClock.advance: dtSec must be >= 0, got ${dtSec}`);
    this.#timeSec += dtSec;
  }
  set(timeSec: number): void {
    this.#timeSec = timeSec;
  }
}

/** Time read from somewhere else, e.g. a simulator's `simTimeSec`: simulated time as a clock. */
export class SourceClock implements Clock {
  readonly #read: () => number;
  constructor(read: () => number) {
    this.#read = read;
  }
  nowSec(): number {
    return this.#read();
  }
}
