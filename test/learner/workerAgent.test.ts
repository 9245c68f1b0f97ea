import assert from "node:assert/strict";
import { runLearn, type LearnOptions } from "../../src/learner/runLearn.js";
import { CheckpointError } from "../../src/learner/checkpoints/CheckpointFile.js";

describe("training with the MPO update in a worker thread", function () {
  this.timeout(120_000);
  const base: LearnOptions = {
    mode: "dep-rl",
    steps: 3000,
    seed: 1,
    envs: 2,
    backend: (process.env.TENDON_TEST_BACKEND as never) ?? "auto",
    hiddenSizes: [16, 16],
    batchSize: 32,
    batchIterations: 5,
    stepsBeforeBatches: 500,
    stepsBetweenBatches: 100,
    returnSteps: 3,
    epochSteps: 1000,
    testEpisodes: 2,
  };

  it("runs the same update schedule as the in-process learner, and the policy it publishes acts", async () => {
    const inProcess = await runLearn(base);
    const worker = await runLearn({ ...base, learnerWorker: true });
    assert.equal(worker.updates, inProcess.updates);
    assert.equal(worker.state.steps, 3000);
    // The DEP schedule is the same (it does not depend on the policy's weights).
    assert.deepEqual(worker.state.curve.map((r) => r.depShare), inProcess.state.curve.map((r) => r.depShare));
    // The greedy policy changed from the untrained one: weights came back from the worker.
    const first = worker.state.curve[0].testReturn;
    assert.ok(worker.state.curve.some((r) => r.testReturn !== first), "the test return never changed");
    assert.ok(worker.state.curve.every((r) => Number.isFinite(r.testReturn)));
  });

  it("refuses checkpoints in one line", async () => {
    await assert.rejects(runLearn({ ...base, learnerWorker: true, checkpointDir: "/tmp/never-written" }), (e: unknown) => e instanceof CheckpointError && /in-process learner/.test((e as Error).message));
  });
});
