/**
 * A deadline timer for control loops that wait on I/O (serial links): `setTimeout` until
 * `pollSec` before the deadline, then `setImmediate` polling until it. Unlike a busy-wait, every
 * poll returns to the event loop, so serial data that arrives in the last stretch before a tick
 * is decoded at once instead of after the tick, and a board process on the same machine keeps
 * its CPU. The price: ticks start up to one event-loop turn late (tens of microseconds).
 */
import type { TimerPort } from "../src/loop/ticks.js";

export class IoPollingTimer implements TimerPort {
  readonly #originMs = performance.now();
  readonly #pollMs: number;

  constructor(options: { pollSec?: number } = {}) {
    const pollSec = options.pollSec ?? 0.0005;
    if (!(pollSec >= 0)) throw new RangeError(`pollSec must be >= 0, got ${pollSec}`);
    this.#pollMs = pollSec * 1000;
  }

  nowSec(): number {
    return (performance.now() - this.#originMs) / 1000;
  }

  at(atSec: number, fn: () => void): () => void {
    const targetMs = this.#originMs + atSec * 1000;
    let timeout: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const poll = (): void => {
      timeout = undefined;
      immediate = undefined;
      const remaining = targetMs - performance.now();
      if (remaining <= 0) fn();
      // Node's timers cannot sleep less than 1 ms and may fire early: sleep only when there is room.
      else if (remaining > this.#pollMs && remaining - this.#pollMs >= 1) timeout = setTimeout(poll, remaining - this.#pollMs);
      else immediate = setImmediate(poll);
    };
    // Never call `fn` from inside `at`: callers schedule from within the previous callback.
    immediate = setImmediate(poll);
    return () => {
      if (timeout) clearTimeout(timeout);
      if (immediate) clearImmediate(immediate);
    };
  }
}
