import assert from "node:assert/strict";
import fc from "fast-check";
import { CommandLimits } from "../../src/loop/CommandLimits.js";
import type { ProblemEvent } from "../../src/core/events.js";
import { mirrorSpec } from "../helpers/MirrorBridge.js";

describe("CommandLimits", () => {
  it("never lets a command leave its range, whatever comes in", () => {
    const spec = mirrorSpec(4);
    fc.assert(
      fc.property(fc.array(fc.array(fc.double(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 20 }), (commands) => {
        const limits = new CommandLimits(spec, { maxRatePerSec: 10 });
        for (const c of commands) {
          const out = limits.apply(Float64Array.from(c), 0.01, 0);
          for (const u of out) assert.ok(u >= 0 && u <= 1, `got ${u}`);
        }
      }),
    );
  });

  it("replaces NaN and Infinity with the safe command and reports each muscle once", () => {
    const limits = new CommandLimits(mirrorSpec(3));
    const problems: ProblemEvent[] = [];
    const out = limits.apply(Float64Array.from([Number.NaN, 0.5, Infinity]), 0.01, 1.5, (p) => problems.push(p));
    assert.deepEqual(Array.from(out), [0, 0.5, 0]);
    limits.apply(Float64Array.from([Number.NaN, 0.5, 0.5]), 0.01, 1.6, (p) => problems.push(p));
    assert.equal(problems.length, 2);
    assert.equal(problems[0].code, "non_finite_command");
    assert.equal(problems[0].muscle, 0);
    assert.match(problems[0].message, /NaN.*safe command/);
    assert.equal(limits.nonFiniteCounts[0], 2);
  });

  it("limits the rate of change per second", () => {
    const limits = new CommandLimits(mirrorSpec(1), { maxRatePerSec: 5 });
    limits.apply(Float64Array.from([0]), 0.01, 0);
    // 5 per second over 10 ms: at most 0.05 per tick.
    assert.ok(Math.abs(limits.apply(Float64Array.from([1]), 0.01, 0)[0] - 0.05) < 1e-12);
    assert.ok(Math.abs(limits.apply(Float64Array.from([1]), 0.01, 0)[0] - 0.1) < 1e-12);
  });

  it("rejects inconsistent bounds with a clear message", () => {
    assert.throws(() => new CommandLimits(mirrorSpec(2), { min: [0, 1], max: [1, 0.5] }), /muscle m1: min 1 > max 0.5/);
    assert.throws(() => new CommandLimits(mirrorSpec(2), { min: [0], max: [1] }), /need 2 values/);
  });
});
