import assert from "node:assert/strict";
import { MuscleInputNormalizer } from "../../src/dep/MuscleInputNormalizer.js";

function close(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
}

describe("MuscleInputNormalizer", () => {
  it("gives -1 for every muscle on the first reading", () => {
    const norm = new MuscleInputNormalizer({ n: 4, forceScale: 0.04 });
    const out = norm.normalize([0.31, 0.05, 0.2, 1.7], [12, 0, 55, 3], new Float64Array(4));
    close(out, [-1, -1, -1, -1], 0);
  });

  it("updates the running min/max with a reading before normalizing it", () => {
    const norm = new MuscleInputNormalizer({ n: 1 });
    const out = new Float64Array(1);
    norm.normalize([1], [0], out);
    // After: range [1, 2] → 2·((2 − 1)/(1 + 0.1) − 0.5). (Before would give 2·((2 − 1)/0.1 − 0.5) = 19.)
    close(norm.normalize([2], [0], out), [2 * (1 / 1.1 - 0.5)]);
    close(norm.normalize([1], [0], out), [-1]);
    close(norm.normalize([1.5], [0], out), [2 * (0.5 / 1.1 - 0.5)]);
    // Never reset: the range only widens.
    close(norm.normalize([0.5], [0], out), [-1]);
    close(norm.normalize([1.5], [0], out), [2 * (1 / 1.6 - 0.5)]);
  });

  it('force sign "mujoco" (default) negates the tension as MuJoCo\'s actuator_force does; "tension" keeps it', () => {
    const mujoco = new MuscleInputNormalizer({ n: 1, forceScale: 1 });
    const tension = new MuscleInputNormalizer({ n: 1, forceScale: 1, forceSign: "tension" });
    const a = new Float64Array(1);
    const b = new Float64Array(1);
    close(mujoco.normalize([1], [10], a), [-1]);
    close(tension.normalize([1], [10], b), [-1]);
    // f = −20 is the new minimum under "mujoco": force term 0; under "tension" f = 20 is the max.
    close(mujoco.normalize([1], [20], a), [-1]);
    close(tension.normalize([1], [20], b), [-1 + 10 / 10.1]);
    close(mujoco.normalize([1], [15], a), [-1 + 5 / 10.1]);
    close(tension.normalize([1], [15], b), [-1 + 5 / 10.1]);
    assert.deepEqual(mujoco.ranges().forceMin, Float64Array.from([-20]));
    assert.deepEqual(tension.ranges().forceMax, Float64Array.from([20]));
  });

  it("keeps the reference's initial ranges: lengths [100, 0], forces [100, -100]", () => {
    const norm = new MuscleInputNormalizer({ n: 1, forceScale: 1 });
    const out = new Float64Array(1);
    // A pull of 500 N is f = −500: f_max stays at −100, so the range is [−500, −100].
    close(norm.normalize([1], [500], out), [-1]);
    close(norm.normalize([1], [400], out), [-1 + 100 / 400.1]);
    // A length above 100 never becomes the minimum: the first reading is not −1.
    const long = new MuscleInputNormalizer({ n: 1 });
    close(long.normalize([150], [0], out), [2 * (50 / 50.1 - 0.5)]);
  });

  it("skips the range update of all muscles when any reading is NaN, as the reference does", () => {
    const norm = new MuscleInputNormalizer({ n: 2 });
    const out = new Float64Array(2);
    norm.normalize([1, 1], [0, 0], out);
    norm.normalize([Number.NaN, 2], [0, 0], out);
    assert.ok(Number.isNaN(out[0]));
    // Muscle 1's range stayed [1, 1]: 2·((2 − 1)/0.1 − 0.5) = 19.
    close([out[1]], [19]);
    assert.deepEqual(norm.ranges().lengthMax, Float64Array.from([1, 1]));
  });

  it("propagates a NaN force even at force_scale 0 unless ignoreUnscaledForce is set", () => {
    const out = new Float64Array(1);
    const reference = new MuscleInputNormalizer({ n: 1 });
    assert.ok(Number.isNaN(reference.normalize([1], [Number.NaN], out)[0]));
    const ignoring = new MuscleInputNormalizer({ n: 1, ignoreUnscaledForce: true });
    close(ignoring.normalize([1], [Number.NaN], out), [-1]);
  });

  it("rejects bad options and mismatched lengths", () => {
    assert.throws(() => new MuscleInputNormalizer({ n: 0 }), /n must be an integer >= 1/);
    assert.throws(() => new MuscleInputNormalizer({ n: 2, forceScale: -1 }), /forceScale \(-1\) must be a finite number >= 0/);
    assert.throws(() => new MuscleInputNormalizer({ n: 2, forceSign: "up" as never }), /forceSign \(up\) must be "mujoco" or "tension"/);
    const norm = new MuscleInputNormalizer({ n: 2 });
    assert.throws(() => norm.normalize([1], [1, 2], new Float64Array(2)), /expected 2 values each, got lengths 1, forces 2, out 2/);
  });
});
