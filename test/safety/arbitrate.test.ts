import assert from "node:assert/strict";
import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { Controller } from "../../src/core/controller.js";
import { createMuscleCommand, createSensorFrame } from "../../src/core/frames.js";
import { computeCommand, createCycle, limitCommand, startCycle } from "../../src/loop/operators.js";
import type { Tick } from "../../src/loop/ticks.js";
import { SafetyLayer } from "../../src/safety/SafetyLayer.js";
import { pairSpec } from "./helpers.js";

const tick = (index: number): Tick => ({ index, cycle: index + 1, deadlineSec: (index + 1) * 0.1, startSec: (index + 1) * 0.1, periodSec: 0.1, missed: 0 });

describe("arbitrate (marble)", () => {
  it("one arbitrated, limited command per tick: DEP, teleop on one group, e-stop, reset with a ramp back", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ cold, expectObservable }) => {
      const spec = pairSpec();
      // Hand-over ramp: the whole range in 0.5 s, 0.2 per 100 ms tick.
      const layer = new SafetyLayer({
        spec,
        config: { groups: "auto", safeMode: "zero", transitionSec: 0.5, sources: [{ name: "teleop", priority: 100, timeoutSec: 0.45 }, { name: "dep", priority: 10, timeoutSec: 0, controller: true }], locks: [], limits: {} },
      });
      const dep: Controller = { name: "dep", configure: () => undefined, update: () => Float64Array.of(0.5, 0.5, 0.5, 0.5) };
      const cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
      // What happens between ticks, by the index of the tick that follows.
      const script: Record<number, () => void> = {
        2: () => layer.arbiter.submitGroup("teleop", "a", [1, 0]),
        5: () => layer.arbiter.estop("test"),
        7: () => layer.arbiter.reset("test"),
      };
      const out = cold("abcdefghijk|", Object.fromEntries("abcdefghijk".split("").map((k, i) => [k, tick(i)]))).pipe(
        map((t) => {
          script[t.index]?.();
          return t;
        }),
        startCycle(cycle),
        map((c) => {
          c.staleTicks = 0;
          return c;
        }),
        computeCommand(dep, () => undefined),
        layer.stage(),
        limitCommand(layer.limiter, () => undefined),
        map((c) => `${layer.arbiter.owners.join("/")}:${Array.from(c.command.values, (u) => u.toFixed(1)).join(",")}`),
      );
      expectObservable(out).toBe("abcdefghijk|", {
        // DEP takes over from the safe command at the start, ramping at 0.2 a tick.
        a: "dep/dep:0.2,0.2,0.2,0.2",
        b: "dep/dep:0.4,0.4,0.4,0.4",
        // Teleop takes group a, ramping from the last written command; DEP finishes its ramp on b.
        c: "teleop/dep:0.6,0.2,0.5,0.5",
        d: "teleop/dep:0.8,0.0,0.5,0.5",
        e: "teleop/dep:1.0,0.0,0.5,0.5",
        // E-stop: every muscle safe at the next tick, at once.
        f: "estop/estop:0.0,0.0,0.0,0.0",
        g: "estop/estop:0.0,0.0,0.0,0.0",
        // Reset: teleop has expired meanwhile; DEP ramps back up from the safe command.
        h: "dep/dep:0.2,0.2,0.2,0.2",
        i: "dep/dep:0.4,0.4,0.4,0.4",
        j: "dep/dep:0.5,0.5,0.5,0.5",
        k: "dep/dep:0.5,0.5,0.5,0.5",
      });
    });
  });
});
