import assert from "node:assert/strict";
import type { RobotSpec } from "../../src/core/spec.js";
import { createOutputMapping, linearMap, myosuiteSigmoid, sigmoidMap } from "../../src/dep/outputMappings.js";

function spec(commandUnit: RobotSpec["commandUnit"], ranges: [number, number][]): RobotSpec {
  return {
    name: "test",
    commandUnit,
    joints: [],
    muscles: ranges.map(([commandMin, commandMax], i) => ({ name: `m${i}`, commandMin, commandMax, safeCommand: commandMin })),
  };
}

describe("outputMappings", () => {
  it("MyoSuite sigmoid: y = -1, 0, 1 give 0.00055, 0.0759, 0.924; y = 0.5 gives 0.5", () => {
    const u = myosuiteSigmoid([-1, 0, 1, 0.5], new Float64Array(4));
    assert.ok(Math.abs(u[0] - 0.00055) < 5e-6, String(u[0]));
    assert.ok(Math.abs(u[1] - 0.0759) < 5e-5, String(u[1]));
    assert.ok(Math.abs(u[2] - 0.924) < 5e-4, String(u[2]));
    assert.equal(u[3], 0.5);
    // Symmetric about y = 0.5.
    assert.ok(Math.abs(u[0] + myosuiteSigmoid([2], new Float64Array(1))[0] - 1) < 1e-15);
  });

  it("works in place", () => {
    const y = Float64Array.from([-1, 0, 1]);
    const expected = myosuiteSigmoid(y, new Float64Array(3));
    assert.equal(myosuiteSigmoid(y, y), y);
    assert.deepEqual(y, expected);
    const z = Float64Array.from([-1, 0, 1]);
    assert.deepEqual(linearMap(z, [0, 10, -5], [1, 20, 5], z), Float64Array.from([0, 15, 5]));
  });

  it("linear map sends -1, 0, 1 to each muscle's min, middle and max", () => {
    const lo = [0, -100, 20];
    const hi = [1, 100, 60];
    assert.deepEqual(linearMap([-1, -1, -1], lo, hi, new Float64Array(3)), Float64Array.from(lo));
    assert.deepEqual(linearMap([0, 0, 0], lo, hi, new Float64Array(3)), Float64Array.from([0.5, 0, 40]));
    assert.deepEqual(linearMap([1, 1, 1], lo, hi, new Float64Array(3)), Float64Array.from(hi));
    assert.throws(() => linearMap([1], lo, hi, new Float64Array(3)), /expected 3 values each/);
  });

  it("chooses the MyoSuite map for activation commands and the linear map otherwise", () => {
    const act = createOutputMapping(spec("activation", [[0, 1]]));
    assert.equal(act.kind, "myosuite");
    const pwm = createOutputMapping(spec("pwm_percent", [[0, 80], [10, 50]]));
    assert.equal(pwm.kind, "linear");
    assert.deepEqual(pwm.map([0, 1], new Float64Array(2)), Float64Array.from([40, 50]));
    assert.equal(createOutputMapping(spec("activation", [[0, 1]]), "linear").kind, "linear");
    assert.throws(() => createOutputMapping(spec("activation", [[0, 1]]), "cubic" as never), /unknown output mapping "cubic"/);
  });

  it("sigmoid: MyoSuite's curve over each muscle's range; on [0, 1] it is the myosuite mapping", () => {
    const y = [-1, 0, 0.5, 1];
    const unit = myosuiteSigmoid(y, new Float64Array(4));
    assert.deepEqual(Array.from(sigmoidMap(y, [0, 0, 0, 0], [1, 1, 1, 1], new Float64Array(4))), Array.from(unit));
    const pwm = sigmoidMap(y, [0, 0, 10, 0], [50, 50, 30, 100], new Float64Array(4));
    assert.ok(Math.abs(pwm[0] - 50 * unit[0]) < 1e-12);
    assert.ok(Math.abs(pwm[1] - 50 * 0.07585818002124355) < 1e-9, "y = 0: 7.6 % of the range, not half of it");
    assert.ok(Math.abs(pwm[2] - 20) < 1e-12, "y = 0.5: the middle of [10, 30]");
    assert.ok(pwm[3] < 100 && pwm[3] > 92);
    const m = createOutputMapping(spec("pwm_percent", [[0, 50]]), "sigmoid");
    assert.equal(m.kind, "sigmoid");
    assert.ok(Math.abs(m.map([0], new Float64Array(1))[0] - 50 * 0.07585818002124355) < 1e-9);
  });
});
