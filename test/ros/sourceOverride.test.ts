import assert from "node:assert/strict";
import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { createMuscleCommand, createSensorFrame } from "../../src/core/frames.js";
import { createCycle, type Cycle } from "../../src/loop/operators.js";
import { latestCommand, sourceOverride } from "../../src/nodes/sourceOverride.js";
import { createVector, type Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { mirrorSpec } from "../helpers/MirrorBridge.js";

function cycle(source: string): Cycle {
  const spec = mirrorSpec(2);
  const c = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
  c.source = source;
  c.command.values.set([0.1, 0.1]);
  return c;
}

function command(values: number[]): Float64MultiArrayMsg {
  const m = createVector(values.length);
  m.data.set(values);
  return m;
}

describe("sourceOverride (marble)", () => {
  it("a fresh source command wins the tick; it expires after the timeout; safe is never overridden", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ hot, expectObservable }) => {
      // One frame is 1 ms of virtual time; the timeout is 5 ms.
      const clock = { nowSec: () => scheduler.now() / 1000 };
      const cycles = hot("a-b-c-d-e-f-s-g", { a: cycle("dep"), b: cycle("dep"), c: cycle("dep"), d: cycle("dep"), e: cycle("dep"), f: cycle("dep"), s: cycle("safe"), g: cycle("dep") });
      const teleop = hot("---x--------y--", { x: command([0.9, 0.8]), y: command([0.7, 0.6]) });
      const sources = [{ name: "teleop", latest$: latestCommand(teleop, clock) }];
      const out = cycles.pipe(
        sourceOverride(sources, clock, () => 0.005),
        map((c) => `${c.source}:${c.command.values.join("/")}`),
      );
      expectObservable(out).toBe("a-b-c-d-e-f-s-g", {
        a: "dep:0.1/0.1",
        b: "dep:0.1/0.1",
        c: "teleop:0.9/0.8",
        d: "teleop:0.9/0.8",
        e: "teleop:0.9/0.8",
        f: "dep:0.1/0.1",
        s: "safe:0.1/0.1",
        g: "teleop:0.7/0.6",
      });
    });
  });

  it("the first fresh source in priority order wins; a command of the wrong size is ignored", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ hot, expectObservable }) => {
      const clock = { nowSec: () => scheduler.now() / 1000 };
      const cycles = hot("--a-b-c", { a: cycle("dep"), b: cycle("dep"), c: cycle("dep") });
      const high = hot("---x---", { x: command([1, 2, 3]) });
      const low = hot("-y-----", { y: command([0.5, 0.5]) });
      const sources = [
        { name: "estop_like", latest$: latestCommand(high, clock) },
        { name: "teleop", latest$: latestCommand(low, clock) },
      ];
      const out = cycles.pipe(
        sourceOverride(sources, clock, () => 1),
        map((c) => c.source),
      );
      expectObservable(out).toBe("--a-b-c", { a: "teleop", b: "teleop", c: "teleop" });
    });
  });
});
