import assert from "node:assert/strict";
import { ReplayBuffer } from "../../src/learner/replays/ReplayBuffer.js";

describe("ReplayBuffer", () => {
  it("accumulates n-step returns, discounts and next observations, stopping at resets", () => {
    const b = new ReplayBuffer({ size: 100, returnSteps: 3, discountFactor: 0.5, batchSize: 1 });
    b.initialize(1, 1, 1, 0);
    // Episode 1: rewards 1, 2, 3 (reset after the third); episode 2: rewards 4, 5; terminated after 5.
    const steps = [
      { r: 1, reset: 0, term: 0 },
      { r: 2, reset: 0, term: 0 },
      { r: 3, reset: 1, term: 0 },
      { r: 4, reset: 0, term: 0 },
      { r: 5, reset: 1, term: 1 },
    ];
    steps.forEach((s, t) => b.store([t], [0], [t + 1], [s.r], [s.reset], [s.term]));
    const st = b.state(true);
    const { rewards, discounts, nextObservations } = st.arrays!;
    assert.deepEqual(Array.from(rewards), [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3, 4 + 0.5 * 5, 5]);
    assert.deepEqual(Array.from(discounts), [0.125, 0.25, 0.5, 0, 0]);
    assert.deepEqual(Array.from(nextObservations), [3, 3, 3, 5, 5]);
  });

  it("keeps one ring per worker and bounds the n-step window", () => {
    const b = new ReplayBuffer({ size: 100, returnSteps: 2, discountFactor: 1, batchSize: 1 });
    b.initialize(2, 1, 1, 0);
    b.store([0, 10], [0, 0], [1, 11], [1, 10], [0, 0], [0, 0]);
    b.store([1, 11], [0, 0], [2, 12], [2, 20], [0, 1], [0, 0]);
    b.store([2, 12], [0, 0], [3, 13], [3, 30], [0, 0], [0, 0]);
    const a = b.state(true).arrays!;
    // Worker 0: 1+2, 2+3, 3; worker 1: 10+20, 20 (reset stops the 3rd from reaching it), 30.
    assert.deepEqual(Array.from(a.rewards), [3, 30, 5, 20, 3, 30]);
  });

  it("is ready once per interval after the warm-up, whatever the worker count", () => {
    const b = new ReplayBuffer({ stepsBeforeBatches: 100, stepsBetweenBatches: 50 });
    b.initialize(3, 1, 1, 0);
    const fired: number[] = [];
    for (let s = 0; s < 400; s += 3) if (b.ready(s)) fired.push(s);
    assert.deepEqual(fired, [102, 150, 201, 252, 300, 351]);
  });

  it("samples only stored transitions, reproducibly for a seed", () => {
    const make = () => {
      const b = new ReplayBuffer({ size: 50, batchSize: 8 });
      b.initialize(2, 1, 1, 5);
      for (let t = 0; t < 4; t++) b.store([t, 100 + t], [0, 0], [0, 0], [t, t], [0, 0], [0, 0]);
      return b;
    };
    const s1 = Array.from(make().sample().observations);
    const s2 = Array.from(make().sample().observations);
    assert.deepEqual(s1, s2);
    for (const v of s1) assert.ok((v >= 0 && v < 4) || (v >= 100 && v < 104));
  });
});
