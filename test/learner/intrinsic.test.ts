import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readCheckpointFile } from "../../src/learner/checkpoints/CheckpointFile.js";
import { runLearn, type LearnOptions } from "../../src/learner/runLearn.js";

describe("tendon learn with an intrinsic reward", function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-intrinsic-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("adds a disagreement bonus, checkpoints its model and resumes with it", async () => {
    const base: LearnOptions = {
      mode: "rl",
      seed: 1,
      envs: 2,
      backend: (process.env.TENDON_TEST_BACKEND as never) ?? "auto",
      hiddenSizes: [16, 16],
      batchSize: 32,
      batchIterations: 1,
      stepsBeforeBatches: 200,
      stepsBetweenBatches: 100,
      epochSteps: 400,
      testEpisodes: 1,
      intrinsic: "disagreement",
      alpha: 0.2,
      alphaDecaySteps: 1600,
      checkpointDir: path.join(dir, "ck"),
      outDir: path.join(dir, "out"),
    };
    const first = await runLearn({ ...base, steps: 800 });
    const rows = first.state.curve;
    assert.ok(rows.every((r) => r.intrinsic !== undefined && r.intrinsicAlpha !== undefined));
    assert.ok(rows[rows.length - 1].intrinsic! > 0, "the bonus is computed once the model has trained");
    assert.ok(Math.abs(rows[rows.length - 1].intrinsicAlpha! - 0.2 * (1 - 800 / 1600)) < 1e-9);
    const ckpt = readCheckpointFile(first.checkpoint!);
    const header = ckpt.header.bonus as { updates: number; arrays: number[] };
    assert.ok(header.updates >= 1 && header.arrays.length === 5);
    assert.ok(ckpt.arrays.get("bonus/0/0") instanceof Float32Array);
    assert.ok(fs.existsSync(path.join(dir, "out", "intrinsic.csv")));
    const resumed = await runLearn({ steps: 1200, checkpointDir: base.checkpointDir, resume: true, backend: base.backend });
    assert.equal(resumed.state.steps, 1200);
    const last = resumed.state.curve[resumed.state.curve.length - 1];
    assert.ok(Number.isFinite(last.intrinsic!) && last.intrinsic! > 0);
    assert.ok(Math.abs(last.intrinsicAlpha! - 0.2 * (1 - 1200 / 1600)) < 1e-9);
  });
});
