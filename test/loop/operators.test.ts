import assert from "node:assert/strict";
import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { Controller } from "../../src/core/controller.js";
import type { ProblemEvent } from "../../src/core/events.js";
import { createMuscleCommand, createSensorFrame } from "../../src/core/frames.js";
import { CommandLimits } from "../../src/loop/CommandLimits.js";
import { computeCommand, createCycle, limitCommand, readSensors, startCycle, writeCommand } from "../../src/loop/operators.js";
import type { Tick } from "../../src/loop/ticks.js";
import { MirrorBridge, mirrorSpec } from "../helpers/MirrorBridge.js";

const tick = (index: number): Tick => ({ index, cycle: index + 1, deadlineSec: (index + 1) * 0.01, startSec: (index + 1) * 0.01, periodSec: 0.01, missed: 0 });

describe("cycle operators (marble)", () => {
  it("read -> compute -> limit -> write, one output per tick, at the tick's time", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ cold, expectObservable }) => {
      const spec = mirrorSpec(2);
      const bridge = new MirrorBridge(spec);
      bridge.state = "active";
      const controller: Controller = {
        name: "ramp",
        configure: () => undefined,
        update: (frame) => Float64Array.from([frame.muscleControl[0] + 0.4, Number.NaN]),
      };
      const problems: ProblemEvent[] = [];
      const onProblem = (p: ProblemEvent) => problems.push(p);
      const cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
      const ticks = cold("a-b-c|", { a: tick(0), b: tick(1), c: tick(2) });
      const out = ticks.pipe(
        startCycle(cycle),
        readSensors(bridge, onProblem),
        computeCommand(controller, onProblem),
        limitCommand(new CommandLimits(spec), onProblem),
        writeCommand(bridge, onProblem),
        map((c) => ({ t: c.tick.index, source: c.source, values: Array.from(c.command.values) })),
      );
      // The mirror reads back the last command, so the ramp climbs 0.4 a tick until the limit 1.
      expectObservable(out).toBe("a-b-c|", {
        a: { t: 0, source: "ramp", values: [0.4, 0] },
        b: { t: 1, source: "ramp", values: [0.8, 0] },
        c: { t: 2, source: "ramp", values: [1, 0] },
      });
      scheduler.flush();
      assert.equal(problems.length, 1, "the NaN on muscle 1 is reported once");
    });
  });

  it("computeCommand marks the cycle safe when sensors are stale past the limit", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ cold, expectObservable }) => {
      const spec = mirrorSpec(1);
      const cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
      const controller: Controller = { name: "c", configure: () => undefined, update: () => Float64Array.of(0.5) };
      const staleness = [0, 1, 2, 0];
      const out = cold("abcd|", { a: tick(0), b: tick(1), c: tick(2), d: tick(3) }).pipe(
        startCycle(cycle),
        map((c) => {
          c.staleTicks = staleness[c.tick.index];
          return c;
        }),
        computeCommand(controller, () => undefined, { maxStaleTicks: 1 }),
        map((c) => c.source),
      );
      expectObservable(out).toBe("abcd|", { a: "c", b: "c", c: "safe", d: "c" });
    });
  });
});
