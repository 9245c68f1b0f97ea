import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Rng } from "../../src/core/rng.js";
import { Mpo } from "../../src/learner/agents/Mpo.js";
import { loadAgent, saveAgent } from "../../src/learner/checkpoints/agentState.js";
import { CheckpointError, readCheckpointFile, writeCheckpointFile } from "../../src/learner/checkpoints/CheckpointFile.js";
import { ReplayBuffer } from "../../src/learner/replays/ReplayBuffer.js";
import { testBackend } from "./helpers.js";

function makeAgent(): Mpo {
  const agent = new Mpo({
    model: { actorSizes: [16, 16], criticSizes: [16, 16] },
    replay: new ReplayBuffer({ size: 1000, batchSize: 16, batchIterations: 2, stepsBeforeBatches: 0, stepsBetweenBatches: 10, returnSteps: 3 }),
  });
  agent.initialize({ observationSize: 6, actionSize: 3, workers: 2 }, 3);
  return agent;
}

function feed(agent: Mpo, rng: Rng, steps: number, start: number): void {
  const o = new Float64Array(12);
  const a = new Float64Array(6);
  const n = new Float64Array(12);
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < 12; k++) o[k] = n[k] = rng.normal();
    agent.step(o, a);
    agent.observe(o, a, n, [rng.normal(), rng.normal()], [t % 7 === 6 ? 1 : 0, 0], [0, 0], (start + t) * 2);
  }
}

describe("checkpoints", () => {
  before(testBackend);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-ckpt-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a round trip through a file gives identical actions, and training goes on exactly as without the stop", () => {
    const a = makeAgent();
    feed(a, new Rng(1), 30, 0);
    assert.ok(a.updates > 0);
    const arrays = new Map();
    const header = { agent: saveAgent(a, arrays, true) };
    const file = path.join(dir, "latest.ckpt");
    writeCheckpointFile(file, { header, arrays });
    assert.deepEqual(fs.readdirSync(dir), ["latest.ckpt"], "no temporary file left");

    const b = makeAgent();
    const read = readCheckpointFile(file);
    loadAgent(b, read.header, read.arrays);
    const obs = new Float64Array(12).map((_, i) => Math.cos(i));
    assert.deepEqual(Array.from(b.testStep(obs, new Float64Array(6))), Array.from(a.testStep(obs, new Float64Array(6))));
    assert.deepEqual(Array.from(b.step(obs, new Float64Array(6))), Array.from(a.step(obs, new Float64Array(6))), "same sampled action: random state restored");

    // The same transitions from here on give the same weights.
    feed(a, new Rng(2), 20, 30);
    feed(b, new Rng(2), 20, 30);
    assert.equal(b.updates, a.updates);
    const wa = a.model.weights();
    const wb = b.model.weights();
    for (const k of Object.keys(wa)) assert.deepEqual(Array.from(wb[k]), Array.from(wa[k]), k);
    a.dispose();
    b.dispose();
  });

  it("says what is wrong with a file that is not a checkpoint or does not fit", () => {
    const bad = path.join(dir, "bad.ckpt");
    fs.writeFileSync(bad, "hello");
    assert.throws(() => readCheckpointFile(bad), CheckpointError);
    assert.throws(() => readCheckpointFile(path.join(dir, "missing.ckpt")), /cannot read checkpoint/);
    const a = makeAgent();
    const arrays = new Map();
    const header = { agent: { ...saveAgent(a, arrays, false), spaces: { observationSize: 9, actionSize: 3, workers: 2 } } };
    assert.throws(() => loadAgent(a, header, arrays), /9 observations/);
    a.dispose();
  });
});
