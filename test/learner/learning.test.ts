import assert from "node:assert/strict";
import { runLearn } from "../../src/learner/runLearn.js";

describe("learning the reach task (short run)", function () {
  this.timeout(120_000);

  it("raises the greedy return on a fixed target within a few thousand steps", async () => {
    // A fixed target the arm can reach, small networks, frequent updates: a learning check, not a benchmark.
    const r = await runLearn({
      mode: "rl",
      steps: 4000,
      seed: 1,
      envs: 4,
      backend: (process.env.TENDON_TEST_BACKEND as never) ?? "auto",
      hiddenSizes: [32, 32],
      batchSize: 64,
      batchIterations: 10,
      stepsBeforeBatches: 400,
      stepsBetweenBatches: 40,
      epochSteps: 400,
      testEpisodes: 1,
      task: { fixedTarget: [0.35, 0.35], episodeSteps: 40 },
    });
    const curve = r.state.curve;
    const first = curve[0].testReturn;
    const best = Math.max(...curve.slice(-4).map((c) => c.testReturn));
    assert.ok(r.updates > 500, `${r.updates} updates`);
    assert.ok(best > first + 2, `greedy return ${first.toFixed(2)} at first, best of the last four ${best.toFixed(2)}`);
  });
});
