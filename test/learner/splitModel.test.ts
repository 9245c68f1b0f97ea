/**
 * World-model updates in the worker-thread learner: the learner worker hosts the online bonus,
 * trains its ensemble on the rows it receives and posts versioned weights; the host swaps them
 * into a ModelHolder between steps. The model that arrives predicts what the same bonus trained
 * in this thread on the same rows predicts (same weights), and `tendon learn --learner-worker
 * --intrinsic disagreement` runs end to end with the figures in its progress rows.
 */
import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { observationLayout } from "../../src/intrinsic/OnlineBonus.js";
import { ModelShapeError, ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import { createBonus, LEARN_DEFAULTS, runLearn, type LearnConfig } from "../../src/learner/runLearn.js";
import { transitionOffsets, transitionRowSize } from "../../src/learner/split/messages.js";
import { ModelHolder } from "../../src/learner/split/ModelHolder.js";
import { WorkerLearner } from "../../src/learner/split/WorkerLearner.js";
import { initBackend, type BackendChoice } from "../../src/learner/tf/backend.js";
import { linearRows as rows, until } from "./helpers.js";

const backend = (process.env.TENDON_TEST_BACKEND as BackendChoice | undefined) ?? "auto";

describe("world-model updates in the learner worker", function () {
  this.timeout(180_000);
  before(async () => {
    await initBackend(backend);
  });

  it("posts versioned weights that, swapped in here, predict as the same bonus trained in this thread", async () => {
    const learn: LearnConfig = { ...LEARN_DEFAULTS, intrinsic: "disagreement", alpha: 0.1, seed: 3, replaySize: 100 };
    const schedule = { trainEvery: 100, trainSteps: 5, warmup: 50, batchSize: 32, capacity: 1000, model: { members: 3, hidden: [16, 16] } };
    const holder = new ModelHolder(observationLayout);
    const versions: number[] = [];
    const learner = new WorkerLearner({
      config: { observationSize: 2, actionSize: 1, learn, backend, bonus: schedule, trainPolicy: false },
      onModel: (m) => {
        versions.push(m.state.version);
        holder.offer(m.state);
      },
    });
    const local = createBonus(learn, 2, 1, schedule);
    try {
      assert.equal(await learner.ready, "running");
      const rng = new Rng(11);
      const size = transitionRowSize(2, 1);
      const at = transitionOffsets(2, 1);
      for (let block = 0; block < 3; block++) {
        const data = rows(rng, 100);
        // The same rows, one round (one stream) at a time, into the bonus of this thread.
        for (let k = 0; k < 100; k++) {
          const r = data.subarray(k * size, (k + 1) * size);
          local.apply(r.subarray(0, 2), r.subarray(at.action, at.action + 1), r.subarray(at.next, at.next + 2), r.subarray(at.reward, at.reward + 1), 1, block * 100 + k);
        }
        learner.push(100, data);
      }
      await until(() => learner.progress.steps >= 300 && learner.progress.models >= local.stats(300).modelUpdates, 60_000);
      assert.equal(learner.progress.steps, 300);
      // Trained at 50 stored rows, then every 100: at 150 and 250.
      assert.equal(local.stats(300).modelUpdates, 3);
      assert.equal(learner.progress.models, 3);
      assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]), `versions ${versions}`);
      assert.equal(holder.version, local.model.version);
      const model = holder.latest()!;
      assert.equal(holder.activeVersion, local.model.version);
      const stats = learner.bonus!;
      assert.ok(Number.isFinite(stats.modelLoss) && Number.isFinite(stats.holdoutLoss), `losses ${stats.modelLoss}, ${stats.holdoutLoss}`);
      assert.ok(Math.abs(stats.modelLoss - local.stats(300).modelLoss) < 1e-4 * Math.max(1, Math.abs(stats.modelLoss)));
      const probeS = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i));
      const probeA = Float32Array.from({ length: 10 }, (_, i) => Math.cos(i));
      const theirs = Float32Array.from(model.predict(probeS, probeA, 10).mean);
      const ours = local.model.predict(probeS, probeA, 10).mean;
      for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i] - ours[i]) < 1e-4, `entry ${i}: ${theirs[i]} vs ${ours[i]}`);
    } finally {
      await learner.stop();
      local.dispose();
      holder.dispose();
    }
  });

  it("the holder swaps only on latest(), ignores older versions and keeps its model when an offer does not fit", async () => {
    const a = new ProbabilisticEnsemble(observationLayout(2), 1, { members: 2, hidden: [8] }, 1);
    const wrong = new ProbabilisticEnsemble(observationLayout(3), 1, { members: 2, hidden: [8] }, 1);
    const holder = new ModelHolder(observationLayout);
    try {
      assert.equal(holder.latest(), undefined);
      a.version = 4;
      holder.offer(a.state());
      assert.equal(holder.version, 4);
      assert.equal(holder.activeVersion, -1);
      const first = holder.latest()!;
      assert.equal(holder.activeVersion, 4);
      assert.equal(holder.latest(), first, "no new offer: the same model");
      holder.offer({ ...a.state(), version: 3 });
      assert.equal(holder.version, 4);
      wrong.version = 9;
      assert.throws(() => holder.offer(wrong.state()), ModelShapeError);
      assert.equal(holder.latest(), first);
      assert.equal(holder.version, 4);
      a.version = 5;
      holder.offer(a.state());
      const second = holder.latest()!;
      assert.notEqual(second, first);
      assert.equal(holder.activeVersion, 5);
      assert.equal(holder.swaps, 2);
    } finally {
      a.dispose();
      wrong.dispose();
      holder.dispose();
    }
  });

  it("tendon learn --learner-worker --intrinsic disagreement runs end to end with model versions and losses", async () => {
    const result = await runLearn({
      mode: "rl",
      steps: 1200,
      seed: 1,
      envs: 2,
      backend,
      hiddenSizes: [16, 16],
      batchSize: 32,
      batchIterations: 1,
      stepsBeforeBatches: 200,
      stepsBetweenBatches: 100,
      epochSteps: 400,
      testEpisodes: 1,
      intrinsic: "disagreement",
      alpha: 0.2,
      learnerWorker: true,
    });
    assert.equal(result.state.steps, 1200);
    assert.ok(result.bonusModel && result.bonusModel.version > 0, `model ${JSON.stringify(result.bonusModel)}`);
    assert.ok(result.bonusModel.updates >= 1 && Number.isFinite(result.bonusModel.loss));
    const last = result.state.curve.at(-1)!;
    assert.ok(Number.isFinite(last.modelLoss!) && last.intrinsic! > 0, `last row ${JSON.stringify(last)}`);
    assert.ok(Math.abs(last.intrinsicAlpha! - 0.2) < 1e-12);
  });
});
