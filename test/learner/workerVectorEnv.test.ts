import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { ReachTask } from "../../src/learner/environments/ReachTask.js";
import { VectorEnv } from "../../src/learner/environments/VectorEnv.js";
import { splitEnvironments, WorkerVectorEnv } from "../../src/learner/environments/WorkerVectorEnv.js";
import { runLearn } from "../../src/learner/runLearn.js";

describe("environments in worker threads (WorkerVectorEnv)", function () {
  this.timeout(120_000);

  it("splits environments over workers as evenly as possible", () => {
    assert.deepEqual(splitEnvironments(5, 2), [
      { first: 0, count: 3 },
      { first: 3, count: 2 },
    ]);
    assert.deepEqual(splitEnvironments(2, 4), [
      { first: 0, count: 1 },
      { first: 1, count: 1 },
    ]);
  });

  it("steps exactly as VectorEnv does: same seeds, observations, rewards and episode boundaries", async () => {
    const options = { model: "arm2j6m", seed: 3, rateHz: 50 };
    const serial = await VectorEnv.create(4, { ...options, task: new ReachTask() });
    const parallel = await WorkerVectorEnv.create(4, { ...options, task: {}, workers: 2 });
    try {
      assert.equal(parallel.workers, 2);
      assert.equal(parallel.observationSize, serial.observationSize);
      assert.deepEqual(Array.from(parallel.start().observations), Array.from(serial.start().observations));
      const rng = new Rng(9);
      const actions = new Float64Array(4 * serial.actionSize);
      let resets = 0;
      for (let t = 0; t < 120; t++) {
        for (let i = 0; i < actions.length; i++) actions[i] = rng.uniform(-1, 1);
        const a = serial.step(actions);
        const b = parallel.step(actions);
        for (const k of ["observations", "nextObservations", "rewards", "resets", "terminations", "solved", "distancesM", "muscleStates"] as const) {
          assert.deepEqual(Array.from(b[k]), Array.from(a[k]), `${k} at step ${t}`);
        }
        resets += a.resets.reduce((s, v) => s + v, 0);
      }
      assert.equal(resets, 8, "two episode ends per environment in 120 steps of 50-step episodes");
    } finally {
      await serial.close();
      await parallel.close();
    }
  });

  it("tendon learn with environment workers learns exactly what it learns without them (same seed)", async () => {
    const base = { mode: "dep-rl" as const, steps: 800, seed: 1, envs: 2, hiddenSizes: [16, 16], batchSize: 32, batchIterations: 2, stepsBeforeBatches: 200, stepsBetweenBatches: 100, epochSteps: 400, testEpisodes: 2, backend: "auto" as const };
    const a = await runLearn(base);
    const b = await runLearn({ ...base, envWorkers: 2 });
    assert.equal(b.updates, a.updates);
    assert.ok(a.updates > 0);
    assert.deepEqual(
      b.state.curve.map((r) => [r.steps, r.trainReturn, r.testReturn, r.depShare]),
      a.state.curve.map((r) => [r.steps, r.trainReturn, r.testReturn, r.depShare]),
    );
    await assert.rejects(runLearn({ ...base, envWorkers: 2, checkpointDir: "/tmp/none" }), /environments in this thread/);
  });
});
