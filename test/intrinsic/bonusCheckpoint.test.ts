/**
 * The online bonus in a learner checkpoint: weights, normalizers, Adam's moments and step count,
 * counters and stored transitions survive the checkpoint container, and a bonus restored from it
 * makes the same next model update and the same rewards as the one that went on uninterrupted.
 * A checkpoint whose bonus model does not fit the run is refused in one line.
 */
import assert from "node:assert/strict";
import { UserError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { OnlineBonus, type OnlineBonusOptions } from "../../src/intrinsic/OnlineBonus.js";
import { loadBonus, saveBonus } from "../../src/learner/checkpoints/bonusState.js";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../../src/learner/checkpoints/CheckpointFile.js";
import { initBackend } from "../../src/learner/tf/backend.js";

function batch(rng: Rng, rows: number) {
  const s = new Float64Array(rows * 2);
  const a = new Float64Array(rows);
  const n = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    s[2 * i] = rng.uniform(-1, 1);
    s[2 * i + 1] = rng.uniform(-1, 1);
    a[i] = rng.uniform(-1, 1);
    n[2 * i] = 0.9 * s[2 * i] + 0.2 * a[i];
    n[2 * i + 1] = 0.9 * s[2 * i + 1] - 0.2 * a[i] * s[2 * i];
  }
  return { s, a, n, r: new Float64Array(rows) };
}

function roundTrip(bonus: OnlineBonus, withData: boolean) {
  const arrays = new Map<string, Float32Array | Float64Array | Uint32Array | Uint8Array>();
  const header = saveBonus(bonus, arrays, withData);
  return decodeCheckpoint(encodeCheckpoint({ header: { bonus: header }, arrays }));
}

const flat = (b: OnlineBonus): Float32Array => Float32Array.from(b.model.weights().flatMap((m) => m.flatMap((a) => Array.from(a))));

describe("the online bonus in checkpoints", function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend((process.env.TENDON_TEST_BACKEND as never) ?? "auto");
  });

  for (const signal of ["disagreement", "prediction-error"] as const) {
    it(`${signal}: a model update after resume is the uninterrupted one (Adam moments, step count, data, counters restored)`, () => {
      const options: OnlineBonusOptions = { signal, stateDim: 2, actionDim: 1, alpha: 0.3, warmup: 64, trainEvery: 128, trainSteps: 6, batchSize: 32, capacity: 400, seed: 5, model: { members: 3, hidden: [16, 16] } };
      const rng = new Rng(2);
      const batches = Array.from({ length: 8 }, () => batch(rng, 64));
      const a = new OnlineBonus(options);
      for (let k = 0; k < 5; k++) a.apply(batches[k].s, batches[k].a, batches[k].n, batches[k].r, 64, 64 * k);
      assert.ok(a.stats(0).modelUpdates >= 2);
      const saved = roundTrip(a, true);
      const adamSaved = a.model.optimizerState();
      const b = new OnlineBonus(options);
      loadBonus(b, saved.header.bonus as never, saved.arrays, "checkpoint");
      assert.equal(b.model.optimizerState().step, adamSaved.step);
      assert.ok(adamSaved.step > 0);
      assert.deepEqual(b.stats(320), { ...a.stats(320), modelVersion: b.model.version });
      // Both go on with the same batches: the updates (at 384 and 512 rows) and the rewards agree.
      for (let k = 5; k < 8; k++) {
        const ra = a.apply(batches[k].s, batches[k].a, batches[k].n, batches[k].r, 64, 64 * k);
        const rb = b.apply(batches[k].s, batches[k].a, batches[k].n, batches[k].r, 64, 64 * k);
        assert.equal(b.stats(0).modelUpdates, a.stats(0).modelUpdates);
        for (let i = 0; i < 64; i++) assert.ok(Math.abs(ra[i] - rb[i]) < 1e-5, `batch ${k} row ${i}: ${ra[i]} vs ${rb[i]}`);
      }
      assert.ok(a.stats(0).modelUpdates >= 4, "the continuation trained the model");
      const wa = flat(a);
      const wb = flat(b);
      let maxDiff = 0;
      for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
      assert.ok(maxDiff < 1e-5, `weights differ by up to ${maxDiff}`);
      assert.ok(Math.abs(a.stats(0).modelLoss - b.stats(0).modelLoss) < 1e-5);
      // Without Adam's state the same continuation differs: the test can tell.
      const c = new OnlineBonus(options);
      c.importState({ ...a.exportState(true), adam: { step: 0, m: adamSaved.m.map((m) => new Float32Array(m.length)), v: adamSaved.v.map((v) => new Float32Array(v.length)) } });
      const d = new OnlineBonus(options);
      d.importState(a.exportState(true));
      c.train();
      d.train();
      const wc = flat(c);
      const wd = flat(d);
      assert.ok(wc.some((x, i) => Math.abs(x - wd[i]) > 1e-5), "fresh Adam moments gave the same update");
      for (const x of [a, b, c, d]) x.dispose();
    });
  }

  it("a checkpoint whose bonus model does not fit the run is one line, a UserError, and changes nothing", () => {
    const small = new OnlineBonus({ signal: "disagreement", stateDim: 2, actionDim: 1, alpha: 0.1, warmup: 1, trainSteps: 1, model: { members: 2, hidden: [8] } });
    const wide = new OnlineBonus({ signal: "disagreement", stateDim: 3, actionDim: 1, alpha: 0.1, model: { members: 2, hidden: [8] } });
    const deep = new OnlineBonus({ signal: "disagreement", stateDim: 2, actionDim: 1, alpha: 0.1, model: { members: 2, hidden: [8, 8] } });
    try {
      small.apply(Float64Array.of(0, 1), Float64Array.of(0.5), Float64Array.of(0.1, 0.9), Float64Array.of(0), 1, 0);
      const saved = roundTrip(small, false);
      for (const [other, what] of [[wide, /state size 2, this run's 3/], [deep, /2 layers, this run's 3/]] as const) {
        const before = flat(other);
        assert.throws(
          () => loadBonus(other, saved.header.bonus as never, saved.arrays, "checkpoint 'ck/latest.ckpt'"),
          (e: unknown) => e instanceof CheckpointError && e instanceof UserError && what.test((e as Error).message) && !(e as Error).message.includes("\n"),
        );
        assert.deepEqual(flat(other), before);
      }
      const missing = new Map(saved.arrays);
      missing.delete("bonus/adam/v/0");
      assert.throws(() => loadBonus(small, saved.header.bonus as never, missing, "checkpoint 'x'"), /lacks the intrinsic-reward model's array bonus\/adam\/v\/0/);
      assert.throws(() => loadBonus(small, undefined, saved.arrays, "checkpoint 'x'"), /holds no intrinsic-reward model/);
    } finally {
      small.dispose();
      wide.dispose();
      deep.dispose();
    }
  });
});
