/**
 * Clock ticks for the control loop.
 *
 * `deadlineTicks` paces ticks on absolute deadlines (start + k x period; no drift from
 * setInterval) and handles overruns as ros2_control does: when a cycle's work runs past the next
 * deadline, the missed cycles are skipped (not run late in a burst) and counted.
 *
 * `lockstepTicks` emits as fast as possible on simulated time: tick k stands for time k x period,
 * and the simulation advances exactly one period per tick. It yields to the event loop every few
 * milliseconds so that I/O, signals and progress output get through.
 *
 * Both emit one reused `Tick` object per source (no allocation per tick): a consumer that keeps a
 * tick past its own `next` call must copy it.
 */
import { Observable } from "rxjs";
import type { Clock } from "../core/clock.js";

export interface Tick {
  /** Ticks emitted so far, 0 for the first. */
  index: number;
  /** Cycle number on the deadline grid: index plus every cycle skipped before it. */
  cycle: number;
  /** When this tick should have started (s, on the source's clock). */
  deadlineSec: number;
  /** When it started (s); equal to the deadline in lockstep. */
  startSec: number;
  periodSec: number;
  /** Cycles skipped right before this tick because the previous one overran. */
  missed: number;
}

/** How a deadline source waits: a clock and a one-shot timer at an absolute time. */
export interface TimerPort extends Clock {
  /** Calls `fn` once at (or as soon as possible after) `atSec` on this clock; returns a cancel function. */
  at(atSec: number, fn: () => void): () => void;
}

export interface DeadlineTickOptions {
  readonly periodSec: number;
  readonly timer: TimerPort;
  /** Stop after this many ticks (default: never). */
  readonly maxTicks?: number;
}

export function deadlineTicks(options: DeadlineTickOptions): Observable<Tick> {
  const { periodSec, timer } = options;
  if (!(periodSec > 0)) throw new RangeError(`periodSec must be > 0, got ${periodSec}`);
  const maxTicks = options.maxTicks ?? Infinity;
  return new Observable<Tick>((subscriber) => {
    const tick: Tick = { index: 0, cycle: 0, deadlineSec: 0, startSec: 0, periodSec, missed: 0 };
    const originSec = timer.nowSec();
    let cycle = 1;
    let missed = 0;
    let cancel: (() => void) | undefined;
    let closed = false;
    const fire = (): void => {
      if (closed) return;
      const deadline = originSec + cycle * periodSec;
      tick.cycle = cycle;
      tick.deadlineSec = deadline;
      tick.startSec = timer.nowSec();
      tick.missed = missed;
      subscriber.next(tick);
      tick.index++;
      if (closed || subscriber.closed) return;
      if (tick.index >= maxTicks) {
        subscriber.complete();
        return;
      }
      // Absolute deadlines: the next one is on the grid, whatever this one's lateness was.
      cycle++;
      missed = 0;
      const nowSec = timer.nowSec();
      const next = originSec + cycle * periodSec;
      if (nowSec > next) {
        // Overrun: skip every cycle whose deadline has already passed.
        const skip = Math.floor((nowSec - next) / periodSec) + 1;
        cycle += skip;
        missed = skip;
      }
      cancel = timer.at(originSec + cycle * periodSec, fire);
    };
    cancel = timer.at(originSec + periodSec, fire);
    return () => {
      closed = true;
      cancel?.();
    };
  });
}

export interface LockstepTickOptions {
  readonly periodSec: number;
  readonly maxTicks?: number;
  /** Wall time (ms) to run ticks back to back before yielding to the event loop. Default 8. */
  readonly sliceMs?: number;
}

export function lockstepTicks(options: LockstepTickOptions): Observable<Tick> {
  const { periodSec } = options;
  if (!(periodSec > 0)) throw new RangeError(`periodSec must be > 0, got ${periodSec}`);
  const maxTicks = options.maxTicks ?? Infinity;
  const sliceMs = options.sliceMs ?? 8;
  return new Observable<Tick>((subscriber) => {
    const tick: Tick = { index: 0, cycle: 0, deadlineSec: 0, startSec: 0, periodSec, missed: 0 };
    let handle: NodeJS.Immediate | undefined;
    const slice = (): void => {
      const until = performance.now() + sliceMs;
      // Check the wall clock every 16 ticks only: reading it costs as much as a small tick.
      while (!subscriber.closed) {
        for (let k = 0; k < 16; k++) {
          if (tick.index >= maxTicks) {
            subscriber.complete();
            return;
          }
          tick.cycle = tick.index + 1;
          tick.deadlineSec = tick.cycle * periodSec;
          tick.startSec = tick.deadlineSec;
          subscriber.next(tick);
          if (subscriber.closed) return;
          tick.index++;
        }
        if (performance.now() >= until) break;
      }
      if (!subscriber.closed) handle = setImmediate(slice);
    };
    handle = setImmediate(slice);
    return () => {
      if (handle) clearImmediate(handle);
    };
  });
}

/**
 * The process's timer, in three stages before each deadline:
 * 1. `setTimeout` until `pollSec` before it (Node's timers fire 0.5-1 ms late and cannot sleep
 *    less than 1 ms, so they only bring us close);
 * 2. polling until `spinSec` before it: 50 µs busy-wait slices, each followed by a return to the
 *    event loop (`setImmediate`), so serial data, HTTP requests and WebSocket messages that arrive
 *    just before a tick are handled before it rather than after;
 * 3. a busy-wait on `process.hrtime.bigint()` for the last `spinSec`, for microsecond lateness.
 *    It blocks the event loop for that long; `hrtime.bigint()` is used because, unlike
 *    `performance.now()`, it does not allocate per call (the garbage of a tight loop shows up as
 *    collection pauses, i.e. jitter).
 * Defaults: poll the last 1 ms, spin the last 0.2 ms. `spinSec: 0` never blocks (ticks then
 * start up to one event-loop turn late); `pollSec: 0` spins the whole window.
 * A timer sleeps only when it can sleep at least 1 ms before the polling window: at 500 Hz (a
 * 2 ms period) a 1 ms window leaves less than that, so the default polls the whole period (a busy
 * core). `NodeTimer.lowCpu()` polls the last 0.7 ms only, so that it sleeps about half of each
 * 2 ms period; `tendon hw --timing low-cpu` uses it.
 * The benchmark (`npm run bench -- --only realtime`) measures both, side by side.
 * One pending wait at a time (a new `at` replaces the previous one), which is all a tick source
 * needs. No closure is made per wait; each poll slice allocates one `Immediate`.
 */
/** The polling window of `NodeTimer.lowCpu()` (s). */
export const LOW_CPU_POLL_SEC = 0.0007;

/** The timer of a real-time run by name: "precise" (the default `NodeTimer`) or "low-cpu". */
export const TIMING_MODES = ["precise", "low-cpu"] as const;
export type TimingMode = (typeof TIMING_MODES)[number];

/** Longest busy-wait between two returns to the event loop while polling (ms). */
const POLL_SLICE_MS = 0.05;

/** Busy-waits `ms` on `hrtime.bigint()`, which does not allocate per call (`performance.now()` does). */
function spinFor(ms: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < until);
}

export class NodeTimer implements TimerPort {
  readonly #originMs = performance.now();
  readonly #pollMs: number;
  readonly #spinMs: number;
  #targetMs = 0;
  #fn: (() => void) | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  readonly #wake = (): void => {
    this.#timeout = undefined;
    this.#immediate = undefined;
    const fn = this.#fn;
    if (!fn) return;
    const target = this.#targetMs;
    const now = performance.now();
    const remaining = target - now;
    // Timers may fire early: sleep again if the deadline is still beyond the polling window.
    if (this.#sleep(remaining)) return;
    if (remaining > this.#spinMs) {
      // Spin a short slice before going back to the event loop: every setImmediate allocates,
      // and polling back to back would make garbage (and collection pauses) by the megabyte.
      spinFor(Math.min(POLL_SLICE_MS, remaining - this.#spinMs));
      this.#immediate = setImmediate(this.#wake);
      return;
    }
    if (remaining > 0) spinFor(remaining);
    this.#fn = undefined;
    fn();
  };
  readonly #cancel = (): void => {
    this.#fn = undefined;
    this.#clear();
  };

  constructor(options: { pollSec?: number; spinSec?: number } = {}) {
    const pollSec = options.pollSec ?? 0.001;
    const spinSec = options.spinSec ?? 0.0002;
    if (!(pollSec >= 0)) throw new RangeError(`pollSec must be >= 0, got ${pollSec}`);
    if (!(spinSec >= 0)) throw new RangeError(`spinSec must be >= 0, got ${spinSec}`);
    this.#spinMs = spinSec * 1000;
    this.#pollMs = Math.max(pollSec, spinSec) * 1000;
  }

  /** Sleeps up to 0.7 ms before each deadline, polls from there: less CPU, a wider lateness tail. */
  static lowCpu(): NodeTimer {
    return new NodeTimer({ pollSec: LOW_CPU_POLL_SEC, spinSec: 0.0001 });
  }

  /** The timer of a `--timing` mode: `precise` (the default) or `low-cpu`. */
  static forMode(mode: TimingMode = "precise"): NodeTimer {
    return mode === "low-cpu" ? NodeTimer.lowCpu() : new NodeTimer();
  }

  nowSec(): number {
    return (performance.now() - this.#originMs) / 1000;
  }

  at(atSec: number, fn: () => void): () => void {
    this.#clear();
    this.#fn = fn;
    this.#targetMs = this.#originMs + atSec * 1000;
    // Never call `fn` from inside `at`: callers schedule from within the previous callback.
    if (!this.#sleep(this.#targetMs - performance.now())) this.#immediate = setImmediate(this.#wake);
    return this.#cancel;
  }

  /** Sleeps on a timer until the polling window, if a timer can (>= 1 ms); false otherwise. */
  #sleep(remainingMs: number): boolean {
    const sleepMs = remainingMs - this.#pollMs;
    if (sleepMs < 1) return false;
    this.#timeout = setTimeout(this.#wake, sleepMs);
    return true;
  }

  #clear(): void {
    if (this.#timeout) clearTimeout(this.#timeout);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timeout = undefined;
    this.#immediate = undefined;
  }
}
