import assert from "node:assert/strict";
import fc from "fast-check";
import { OWNER_ESTOP, OWNER_SAFE } from "../../src/safety/events.js";
import { SafetyLayer } from "../../src/safety/SafetyLayer.js";
import { pairSpec } from "./helpers.js";

/**
 * Random sequences of what sources, locks and a person do, checked tick by tick against a small
 * reference model of twist_mux's rules and the safety invariants.
 */
const SOURCES = [
  { name: "teleop", priority: 100, timeoutSec: 0.05 },
  { name: "joy", priority: 100, timeoutSec: 0.03 },
  { name: "policy", priority: 50, timeoutSec: 0.02 },
  { name: "fixed", priority: 20, timeoutSec: 0 },
  { name: "dep", priority: 10, timeoutSec: 0, controller: true },
];
const LOCKS = [
  { name: "pause", priority: 50, timeoutSec: 0 },
  { name: "watch", priority: 30, timeoutSec: 0.04 },
];
const PERIOD = 0.01;
const RATE = 5; // limits: units per second
const value = fc.oneof({ weight: 8, arbitrary: fc.double({ min: -0.5, max: 1.5, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) });

type Op =
  | { op: "group"; source: number; group: number; values: number[] }
  | { op: "all"; source: number; values: number[] }
  | { op: "heartbeat"; source: number }
  | { op: "release"; source: number }
  | { op: "lock"; lock: number; locked: boolean }
  | { op: "estop" }
  | { op: "reset" }
  | { op: "tick"; dep: number[] | null; stale: boolean };

const sourceIdx = fc.integer({ min: 0, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("group" as const), source: sourceIdx, group: fc.integer({ min: 0, max: 1 }), values: fc.array(value, { minLength: 2, maxLength: 2 }) }),
  fc.record({ op: fc.constant("all" as const), source: sourceIdx, values: fc.array(value, { minLength: 4, maxLength: 4 }) }),
  fc.record({ op: fc.constant("heartbeat" as const), source: sourceIdx }),
  fc.record({ op: fc.constant("release" as const), source: sourceIdx }),
  fc.record({ op: fc.constant("lock" as const), lock: fc.integer({ min: 0, max: 1 }), locked: fc.boolean() }),
  fc.constant({ op: "estop" as const }),
  fc.constant({ op: "reset" as const }),
  { weight: 6, arbitrary: fc.record({ op: fc.constant("tick" as const), dep: fc.option(fc.array(value, { minLength: 4, maxLength: 4 }), { nil: null }), stale: fc.integer({ min: 0, max: 9 }).map((k) => k === 0) }) },
);

/** The reference: per source and group, when it last sent (or -Infinity / released), as twist_mux defines it. */
class Model {
  readonly last = SOURCES.map(() => [-Infinity, -Infinity]);
  readonly released = SOURCES.map(() => [false, false]);
  readonly lockLast = LOCKS.map(() => -Infinity);
  readonly lockData = LOCKS.map(() => false);
  expired(s: number, g: number, now: number, depFed: boolean): boolean {
    if (SOURCES[s].controller) return !depFed;
    if (this.released[s][g]) return true;
    const t = SOURCES[s].timeoutSec;
    return t > 0 && !(now - this.last[s][g] <= t);
  }
  lockPriority(now: number): number {
    let p = 0;
    LOCKS.forEach((l, i) => {
      const locked = this.lockData[i] || (l.timeoutSec > 0 && !(now - this.lockLast[i] <= l.timeoutSec));
      if (locked) p = Math.max(p, l.priority);
    });
    return p;
  }
  winner(g: number, now: number, depFed: boolean): number {
    const lp = this.lockPriority(now);
    let best = -1;
    let win = -1;
    SOURCES.forEach((s, i) => {
      if (this.expired(i, g, now, depFed) || s.priority < lp) return;
      if (s.priority > best) {
        best = s.priority;
        win = i;
      }
    });
    return win;
  }
}

describe("arbiter and limits (properties)", () => {
  it("e-stop wins until reset; no command leaves the limits; expired sources never win; locks mask strictly lower priorities; no winner gives the safe command", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.constantFrom("zero" as const, "hold" as const), fc.constantFrom(0, 0.2), (ops, safeMode, transitionSec) => {
        const spec = pairSpec();
        const layer = new SafetyLayer({ spec, config: { groups: "auto", safeMode, transitionSec, sources: SOURCES, locks: LOCKS, limits: { maxRatePerSec: RATE } } });
        const { arbiter, limiter } = layer;
        const model = new Model();
        const values = new Float64Array(4);
        let now = 0;
        let latched = false;
        let prev = Float64Array.from(limiter.lastCommand);
        let first = true; // the limiter does not rate limit its first command
        for (const o of ops) {
          switch (o.op) {
            case "group":
              arbiter.submitGroup(o.source, o.group, o.values);
              model.last[o.source][o.group] = now;
              model.released[o.source][o.group] = false;
              break;
            case "all":
              arbiter.submitMuscles(o.source, o.values);
              for (const g of [0, 1]) {
                model.last[o.source][g] = now;
                model.released[o.source][g] = false;
              }
              break;
            case "heartbeat":
              arbiter.heartbeat(o.source);
              for (const g of [0, 1]) {
                const t = SOURCES[o.source].timeoutSec;
                const live = model.last[o.source][g] > -Infinity && !model.released[o.source][g] && !(t > 0 && now - model.last[o.source][g] > t);
                if (live) model.last[o.source][g] = now;
              }
              break;
            case "release":
              arbiter.release(o.source);
              model.released[o.source] = [true, true];
              model.last[o.source] = [-Infinity, -Infinity];
              break;
            case "lock":
              arbiter.setLock(o.lock, o.locked);
              model.lockLast[o.lock] = now;
              model.lockData[o.lock] = o.locked;
              break;
            case "estop":
              arbiter.estop("test");
              latched = true;
              break;
            case "reset":
              arbiter.reset("test");
              // A reset before the e-stop reached a tick takes effect after one safe tick.
              if (!arbiter.estopLatched) latched = false;
              break;
            case "tick": {
              now = Math.round((now + PERIOD) * 1e9) / 1e9;
              const depFed = o.dep !== null && !o.stale;
              if (depFed) arbiter.feedController(o.dep!);
              values.fill(Number.NaN);
              arbiter.update(now, PERIOD, values, limiter.lastCommand, o.stale);
              const wasLatched = arbiter.estopLatched || latched;
              if (o.stale) limiter.safe(values);
              else limiter.apply(values, PERIOD, now, undefined, arbiter.safeMask);
              for (let g = 0; g < 2; g++) {
                const owner = arbiter.owners[g];
                if (latched) assert.equal(owner, OWNER_ESTOP, "an e-stop wins over every source until reset");
                if (latched || o.stale) continue;
                const w = model.winner(g, now, depFed);
                assert.equal(owner, w < 0 ? OWNER_SAFE : SOURCES[w].name, `group ${g} at ${now}`);
                if (w >= 0) {
                  assert.ok(!model.expired(w, g, now, depFed), "an expired source never wins");
                  assert.ok(SOURCES[w].priority >= model.lockPriority(now), "a lock masks strictly lower priorities");
                } else {
                  for (const i of arbiter.groups.muscles[g]) {
                    if (safeMode === "zero") assert.equal(values[i], 0, "no winner: the safe command");
                    else assert.equal(values[i], prev[i], "no winner: the last command held");
                  }
                }
              }
              for (let i = 0; i < 4; i++) {
                const u = values[i];
                assert.ok(Number.isFinite(u) && u >= 0 && u <= 1, `command ${u} left its range`);
                if (wasLatched || o.stale) assert.equal(u, 0, "latched or stale: the safe command");
                else if (arbiter.safeMask[i] === 0 && !first) assert.ok(Math.abs(u - prev[i]) <= RATE * PERIOD + 1e-9 || u === 0, `step ${u - prev[i]} over the rate limit`);
              }
              if (!arbiter.estopLatched) latched = false;
              prev = Float64Array.from(values);
              first = false;
              break;
            }
          }
        }
        layer.dispose();
      }),
      { numRuns: 300 },
    );
  });
});
