import type { RobotSpec } from "../../src/core/spec.js";
import { Arbiter, type ArbiterOptions, type SourceConfig } from "../../src/safety/Arbiter.js";
import type { ArbiterEvent } from "../../src/safety/events.js";

/** Two antagonist pairs ("a", "b"), activation 0..1, safe 0. */
export function pairSpec(): RobotSpec {
  return {
    name: "pairs",
    commandUnit: "activation",
    muscles: ["a_flexor", "a_extensor", "b_flexor", "b_extensor"].map((name) => ({ name, commandMin: 0, commandMax: 1, safeCommand: 0 })),
    joints: [{ name: "a", rangeRad: [-1, 1] }],
  };
}

export const SOURCES: SourceConfig[] = [
  { name: "teleop", priority: 100, timeoutSec: 0.5 },
  { name: "policy", priority: 50, timeoutSec: 0.3 },
  { name: "dep", priority: 10, timeoutSec: 0, controller: true },
];

/** An arbiter stamping submissions with the latest tick (the default), its events collected. */
export function makeArbiter(overrides: Partial<ArbiterOptions> = {}): { arbiter: Arbiter; events: ArbiterEvent[] } {
  const arbiter = new Arbiter({ spec: pairSpec(), sources: SOURCES, transitionSec: 0, ...overrides });
  const events: ArbiterEvent[] = [];
  arbiter.events$.subscribe((e) => events.push(e));
  return { arbiter, events };
}

/** Runs ticks the way the loop stage does: feeds the controller, arbitrates; returns each tick's output. */
export class Ticker {
  readonly out: Float64Array;
  readonly last: Float64Array;
  timeSec = 0;
  constructor(
    readonly arbiter: Arbiter,
    readonly periodSec = 0.01,
  ) {
    this.out = new Float64Array(arbiter.spec.muscles.length);
    this.last = new Float64Array(arbiter.spec.muscles.length);
  }
  /** One tick with the controller commanding `dep` (null: it produced nothing). */
  tick(dep: number[] | null = [0.2, 0.2, 0.2, 0.2], sensorsStale = false): number[] {
    this.timeSec += this.periodSec;
    if (dep) this.arbiter.feedController(dep);
    this.arbiter.update(this.timeSec, this.periodSec, this.out, this.last, sensorsStale);
    // What the limits write: the safe command where masked.
    for (let i = 0; i < this.out.length; i++) this.last[i] = this.arbiter.safeMask[i] ? this.arbiter.spec.muscles[i].safeCommand : this.out[i];
    return Array.from(this.last);
  }
  ticks(k: number, dep?: number[]): number[] {
    let r: number[] = [];
    for (let i = 0; i < k; i++) r = this.tick(dep);
    return r;
  }
}
