import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { Mpo } from "../../src/learner/agents/Mpo.js";
import { ActorCritic } from "../../src/learner/models/ActorCritic.js";
import { ReplayBuffer } from "../../src/learner/replays/ReplayBuffer.js";
import { tf } from "../../src/learner/tf/backend.js";
import { ExpectedSarsa } from "../../src/learner/updaters/ExpectedSarsa.js";
import { MaximumAPosteriori, normalKl, normalLogProbSum, weightsAndTemperatureLoss } from "../../src/learner/updaters/MaximumAPosteriori.js";
import { testBackend } from "./helpers.js";

const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

describe("MPO pieces", () => {
  before(testBackend);

  it("E-step weights are a softmax over samples of Q/η, and the temperature loss is η(ε + mean log mean exp(Q/η))", () => {
    // Two samples (rows) for three states (columns).
    const q = [
      [1, 2, 0],
      [3, 0, 0],
    ];
    const eta = 2;
    const eps = 0.1;
    const { weights, loss } = tf.tidy(() => {
      const r = weightsAndTemperatureLoss(tf.tensor2d(q), eps, tf.scalar(eta));
      return { weights: r.weights.arraySync() as number[][], loss: r.loss.dataSync()[0] };
    });
    let lse = 0;
    for (let b = 0; b < 3; b++) {
      const z = [Math.exp(q[0][b] / eta), Math.exp(q[1][b] / eta)];
      close(weights[0][b], z[0] / (z[0] + z[1]));
      close(weights[1][b], z[1] / (z[0] + z[1]));
      lse += Math.log(z[0] + z[1]) / 3;
    }
    close(loss, eta * (eps + lse - Math.log(2)));
  });

  it("KL and log-density of normals match their closed forms", () => {
    const kl = tf.tidy(() => normalKl(tf.scalar(0), tf.scalar(1), tf.scalar(1), tf.scalar(2)).dataSync()[0]);
    close(kl, Math.log(2) + (1 + 1) / 8 - 0.5);
    const lp = tf.tidy(() => normalLogProbSum(tf.tensor3d([[[1, -1]]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 2]])).dataSync()[0]);
    close(lp, -0.5 - Math.log(1) - 0.5 * Math.log(2 * Math.PI) + (-0.125 - Math.log(2) - 0.5 * Math.log(2 * Math.PI)));
  });

  it("the critic's targets are r + d·E[Q_target(s', a')] with a' from the target actor", () => {
    // A target policy with (almost) no spread makes the expectation Q_target(s', mean(s')).
    const model = new ActorCritic(3, 2, 7, { actorSizes: [8], criticSizes: [8], stdMin: 1e-6, stdMax: 1e-6 });
    const critic = new ExpectedSarsa({ numSamples: 4 });
    critic.initialize(model, new Rng(1));
    const batch = {
      size: 2,
      observations: new Float32Array(6),
      actions: new Float32Array(4),
      nextObservations: Float32Array.from([0.5, -1, 2, 1, 0, -0.5]),
      rewards: Float32Array.from([1, -2]),
      discounts: Float32Array.from([0.9, 0]),
    };
    const got = tf.tidy(() => critic.returns(batch).dataSync());
    const expected = tf.tidy(() => {
      const next = tf.tensor2d(batch.nextObservations, [2, 3]);
      return model.targetCritic(next, model.targetActor(next).loc).dataSync();
    });
    close(got[0], 1 + 0.9 * expected[0], 1e-4);
    close(got[1], -2, 1e-6);
    // The sample-broadcast critic equals the tiled one.
    const [a, b] = tf.tidy(() => {
      const obs = tf.tensor2d(batch.nextObservations, [2, 3]);
      const acts = tf.tensor2d([0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8], [4, 2]);
      const tiled = tf.tile(obs, [2, 1]) as tf.Tensor2D;
      return [model.targetCriticSamples(obs, acts).dataSync(), model.targetCritic(tiled, acts).dataSync()];
    });
    for (let i = 0; i < 4; i++) close(a[i], b[i]);
    critic.dispose();
    model.dispose();
  });

  it("dual variables move against their constraints: α_mean falls while KL < ε_mean, and the temperature follows the E-step", () => {
    const model = new ActorCritic(4, 2, 3, { actorSizes: [8], criticSizes: [8] });
    const actor = new MaximumAPosteriori();
    actor.initialize(model, new Rng(2));
    const before = actor.duals().map((d) => Array.from(d));
    const obs = new Float32Array(16).map((_, i) => Math.sin(i));
    actor.update(obs, 4);
    const after = actor.duals().map((d) => Array.from(d));
    // The actor and its target start equal: KL = 0 < ε, so the loss α(ε − KL) lowers every log α.
    for (let i = 0; i < 2; i++) assert.ok(after[1][i] < before[1][i], "log alpha_mean decreases");
    for (let i = 0; i < 2; i++) assert.ok(after[2][i] < before[2][i], "log alpha_std decreases");
    // Adam's first step moves each dual by about its learning rate.
    close(Math.abs(after[1][0] - before[1][0]), 1e-2, 1e-3);
    assert.notEqual(after[0][0], before[0][0]);
    actor.dispose();
    model.dispose();
  });

  it("an update round changes the policy and leaves no tensors behind", () => {
    const agent = new Mpo({ model: { actorSizes: [16], criticSizes: [16] }, replay: new ReplayBuffer({ size: 500, batchSize: 32, batchIterations: 2, stepsBeforeBatches: 0, stepsBetweenBatches: 1 }) });
    agent.initialize({ observationSize: 5, actionSize: 3, workers: 2 }, 4);
    const rng = new Rng(9);
    const o = new Float64Array(10);
    const a = new Float64Array(6);
    const n = new Float64Array(10);
    for (let i = 0; i < 40; i++) {
      for (let k = 0; k < 10; k++) o[k] = n[k] = rng.normal();
      for (let k = 0; k < 6; k++) a[k] = rng.uniform(-1, 1);
      agent.replay.store(o, a, n, [rng.normal(), rng.normal()], [0, 0], [0, 0]);
    }
    const act0 = agent.testStep(o, new Float64Array(6)).slice();
    agent.updateRound();
    const tensors = tf.memory().numTensors;
    agent.updateRound();
    assert.equal(tf.memory().numTensors, tensors, "no tensor leak per round");
    assert.equal(agent.updates, 4);
    assert.equal(agent.version, 2);
    const act1 = agent.testStep(o, new Float64Array(6));
    assert.ok(act1.some((v, i) => v !== act0[i]));
    agent.dispose();
  });
});
