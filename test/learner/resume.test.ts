import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Dep } from "../../src/dep/Dep.js";
import { resolveDepParams } from "../../src/dep/params.js";
import { runLearn, type LearnOptions } from "../../src/learner/runLearn.js";
import type { CurveRow } from "../../src/learner/Trainer.js";

/** The curve without its timing columns (those differ between any two runs). */
const strip = (rows: readonly CurveRow[]): object[] => rows.map(({ wallSec: _w, stepsPerSec: _s, updatesPerSec: _u, ...rest }) => rest);

describe("resuming a learning run", function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-resume-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("DEP's state round trip continues the same trajectory", () => {
    const params = resolveDepParams();
    const a = new Dep(params, 3, 2);
    const x = new Float64Array(6);
    const ya = new Float64Array(6);
    const yb = new Float64Array(6);
    const input = (t: number): Float64Array => x.map((_, i) => Math.sin(0.07 * t * (i + 1)) + 0.3 * Math.cos(0.013 * t * t + i));
    for (let t = 0; t < 90; t++) a.step(input(t), ya);
    const saved = structuredClone(a.state());
    const b = new Dep(params, 3, 2);
    b.load(saved);
    for (let t = 90; t < 200; t++) {
      a.step(input(t), ya);
      b.step(input(t), yb);
      assert.deepEqual(Array.from(yb), Array.from(ya), `step ${t}`);
    }
    assert.ok(ya.some((v) => Math.abs(v) > 0.5), "DEP is acting");
    assert.throws(() => new Dep(params, 4, 2).load(saved), /Dep.load: saved 'xs' has 6 values/);
  });

  for (const mode of ["dep-rl", "rl-ou"] as const) {
    it(`${mode}: stopped at a checkpoint and resumed gives the same curve as the run without the stop`, async () => {
      const base: LearnOptions = {
        mode,
        seed: 2,
        envs: 2,
        backend: (process.env.TENDON_TEST_BACKEND as never) ?? "auto",
        hiddenSizes: [16, 16],
        batchSize: 32,
        batchIterations: 2,
        stepsBeforeBatches: 400,
        stepsBetweenBatches: 50,
        returnSteps: 3,
        // 500 steps = 250 per environment = 5 episodes of 50: every epoch ends on an episode boundary.
        epochSteps: 500,
        testEpisodes: 2,
        saveReplay: true,
        depParams: { intervention_proba: 0.02, intervention_length: 10 },
      };
      const whole = await runLearn({ ...base, steps: 2000, checkpointDir: path.join(dir, `${mode}-whole`) });
      const stopDir = path.join(dir, `${mode}-stopped`);
      let stopAt = 0;
      const first = await runLearn({
        ...base,
        steps: 2000,
        checkpointDir: stopDir,
        onEpoch: (_row, st) => (stopAt = st.steps),
        shouldStop: () => stopAt >= 1000,
      });
      assert.equal(first.state.steps, 1000);
      const resumed = await runLearn({ steps: 2000, checkpointDir: stopDir, resume: true, saveReplay: true, backend: base.backend });
      assert.equal(resumed.resumedFromSteps, 1000);
      assert.equal(resumed.updates, whole.updates);
      assert.deepEqual(strip(resumed.state.curve), strip(whole.state.curve));
      if (mode === "dep-rl") assert.ok(whole.state.curve.some((r) => r.steps > 1000 && r.depShare > 0), "DEP intervenes after the stop");
    });
  }
});
