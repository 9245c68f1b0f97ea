import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { Mpo } from "../../src/learner/agents/Mpo.js";
import { MlpPolicy } from "../../src/learner/inference/MlpPolicy.js";
import { ReplayBuffer } from "../../src/learner/replays/ReplayBuffer.js";
import { tf } from "../../src/learner/tf/backend.js";
import { testBackend } from "./helpers.js";

describe("MlpPolicy (TypeScript forward pass)", () => {
  before(testBackend);

  it("gives the TensorFlow.js actor's mean and std, normalizer included", () => {
    const agent = new Mpo({ model: { actorSizes: [32, 32], criticSizes: [8] }, replay: new ReplayBuffer({ size: 10 }) });
    agent.initialize({ observationSize: 7, actionSize: 4, workers: 1 }, 11);
    const rng = new Rng(5);
    // A non-trivial normalizer.
    const rows = new Float64Array(7 * 50).map(() => 3 + 2 * rng.normal());
    agent.model.normalizer.record(rows, 50);
    agent.model.normalizer.update();
    const policy = MlpPolicy.from(agent.snapshot());
    const obs = new Float64Array(7);
    const mean = new Float64Array(4);
    for (let k = 0; k < 20; k++) {
      for (let i = 0; i < 7; i++) obs[i] = 3 + 4 * rng.normal();
      policy.mean(obs, mean);
      const std = policy.lastStd.slice();
      const normalized = new Float32Array(7);
      agent.model.normalizer.normalize(obs, normalized, 1);
      const [loc, scale] = tf.tidy(() => {
        const out = agent.model.actor(tf.tensor2d(normalized, [1, 7]));
        return [out.loc.dataSync(), out.scale.dataSync()];
      });
      for (let j = 0; j < 4; j++) {
        assert.ok(Math.abs(mean[j] - loc[j]) < 1e-5, `mean ${mean[j]} vs ${loc[j]}`);
        assert.ok(Math.abs(std[j] - scale[j]) < 1e-5, `std ${std[j]} vs ${scale[j]}`);
      }
    }
    agent.dispose();
  });

  it("refuses a snapshot of another shape and keeps its weights", () => {
    const agent = new Mpo({ model: { actorSizes: [8], criticSizes: [8] }, replay: new ReplayBuffer({ size: 10 }) });
    agent.initialize({ observationSize: 3, actionSize: 2, workers: 1 }, 1);
    const p = new MlpPolicy(3, 2, [16]);
    assert.throws(() => p.load(agent.snapshot()), /does not fit/);
    assert.equal(p.version, -1);
    agent.dispose();
  });
});
