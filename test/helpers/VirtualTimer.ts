import type { TimerPort } from "../../src/loop/ticks.js";

/**
 * A timer on virtual time that fires on the next turn of the event loop: deadline-paced loops
 * run at full speed and deterministically in tests. `workSec` adds virtual time per reading of
 * the clock inside a tick, to simulate slow cycles.
 */
export class VirtualTimer implements TimerPort {
  #nowSec = 0;
  nowSec(): number {
    return this.#nowSec;
  }
  advance(dtSec: number): void {
    this.#nowSec += dtSec;
  }
  at(atSec: number, fn: () => void): () => void {
    const h = setImmediate(() => {
      if (atSec > this.#nowSec) this.#nowSec = atSec;
      fn();
    });
    return () => clearImmediate(h);
  }
}
