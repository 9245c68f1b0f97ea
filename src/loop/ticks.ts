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
 * The process's timer: `setTimeout` until `spinSec` before the deadline, then `setImmediate`
 * polling (which still lets I/O run) until it. Node's timers fire about 0.5-1 ms late on their own;
 * the polling window buys sub-0.1 ms lateness for that much CPU per tick.
 */
export class NodeTimer implements TimerPort {
  readonly #originMs = performance.now();
  readonly #spinSec: number;

  constructor(options: { spinSec?: number } = {}) {
    this.#spinSec = options.spinSec ?? 0.001;
  }

  nowSec(): number {
    return (performance.now() - this.#originMs) / 1000;
  }

  at(atSec: number, fn: () => void): () => void {
    let timeout: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const poll = (): void => {
      timeout = undefined;
      const remaining = atSec - this.nowSec();
      if (remaining <= 0) {
        immediate = undefined;
        fn();
      } else if (remaining > this.#spinSec) {
        timeout = setTimeout(poll, (remaining - this.#spinSec) * 1000);
      } else {
        immediate = setImmediate(poll);
      }
    };
    // Never call `fn` from inside `at`: callers schedule from within the previous callback.
    const first = atSec - this.nowSec();
    if (first > this.#spinSec) timeout = setTimeout(poll, (first - this.#spinSec) * 1000);
    else immediate = setImmediate(poll);
    return () => {
      if (timeout) clearTimeout(timeout);
      if (immediate) clearImmediate(immediate);
    };
  }
}
