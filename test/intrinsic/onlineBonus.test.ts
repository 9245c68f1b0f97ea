import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { OnlineBonus } from "../../src/intrinsic/OnlineBonus.js";
import { initBackend } from "../../src/learner/tf/backend.js";

/** A batch of a fixed linear system s' = 0.9 s + 0.2 a (2 states, 1 action). */
function batch(rng: Rng, rows: number) {
  const s = new Float64Array(rows * 2);
  const a = new Float64Array(rows);
  const n = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    s[2 * i] = rng.uniform(-1, 1);
    s[2 * i + 1] = rng.uniform(-1, 1);
    a[i] = rng.uniform(-1, 1);
    n[2 * i] = 0.9 * s[2 * i] + 0.2 * a[i];
    n[2 * i + 1] = 0.9 * s[2 * i + 1] - 0.2 * a[i];
  }
  return { s, a, n, r: new Float64Array(rows).fill(1) };
}

describe("OnlineBonus", () => {
  before(async () => {
    await initBackend("auto");
  });

  it("adds α·R_int once the model has trained, and its prediction-error bonus decays as the model learns", function () {
    this.timeout(60_000);
    const rng = new Rng(1);
    const bonus = new OnlineBonus({ signal: "prediction-error", stateDim: 2, actionDim: 1, alpha: 0.5, warmup: 256, trainEvery: 256, trainSteps: 20, batchSize: 64, model: { members: 3, hidden: [32, 32] } });
    const first = batch(rng, 256);
    // Before any training: rewards unchanged.
    const none = new OnlineBonus({ signal: "disagreement", stateDim: 2, actionDim: 1, alpha: 0.5, warmup: 10_000 });
    assert.deepEqual(Array.from(none.apply(first.s, first.a, first.n, first.r, 256, 0)), Array.from(first.r));
    none.dispose();
    const early = bonus.apply(first.s, first.a, first.n, first.r, 256, 256);
    assert.equal(bonus.stats(256).modelUpdates, 1);
    assert.ok(early.every((x) => x >= 1));
    const earlyInt = bonus.stats(256).lastIntrinsic;
    for (let k = 0; k < 15; k++) {
      const b = batch(rng, 256);
      bonus.apply(b.s, b.a, b.n, b.r, 256, 512 + 256 * k);
    }
    const lateInt = bonus.stats(0).lastIntrinsic;
    assert.ok(lateInt < 0.5 * earlyInt, `intrinsic ${earlyInt} -> ${lateInt}`);
    bonus.dispose();
  });

  it("gives a CAI bonus clipped to [0, 2] on a system the action drives", function () {
    this.timeout(60_000);
    const rng = new Rng(3);
    const bonus = new OnlineBonus({ signal: "cai", stateDim: 2, actionDim: 1, alpha: 1, warmup: 256, trainSteps: 30, batchSize: 64, model: { members: 2, hidden: [16, 16] } });
    const b = batch(rng, 256);
    const out = bonus.apply(b.s, b.a, b.n, b.r, 256, 0);
    assert.ok(out.every((x) => x >= 1 && x <= 3));
    assert.ok(bonus.stats(0).lastIntrinsic > 0);
    bonus.dispose();
  });

  it("schedules α linearly to 0 and skips non-finite transitions", () => {
    const bonus = new OnlineBonus({ signal: "disagreement", stateDim: 2, actionDim: 1, alpha: 0.4, alphaDecaySteps: 1000, warmup: 1, trainSteps: 1, model: { members: 2, hidden: [8] } });
    assert.equal(bonus.alphaAt(0), 0.4);
    assert.ok(Math.abs(bonus.alphaAt(500) - 0.2) < 1e-12);
    assert.equal(bonus.alphaAt(2000), 0);
    const out = bonus.apply(Float64Array.of(0, 0, NaN, 1), Float64Array.of(0.5, 0.5), Float64Array.of(0.1, 0.1, 0.2, 0.2), Float64Array.of(1, 2), 2, 10);
    assert.equal(out[1], 2);
    assert.ok(Number.isFinite(out[0]));
    bonus.dispose();
  });
});
