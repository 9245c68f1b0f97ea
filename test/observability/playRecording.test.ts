import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readMessages } from "../../src/observability/readRecording.js";
import { LEARNER_TOPICS, PLANNER_TOPICS } from "../../src/transport/topics.js";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { tempDir } from "./helpers.js";

interface ArrayMsg {
  layout: { dim: { label: string; size: number; stride: number }[] };
  data: ArrayLike<number>;
}

describe("observability: tendon play --record (free play in the control loop)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir("play")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records the loop's topics, /planner/* once per plan and /learner/model_loss after each model update", async () => {
    const file = path.join(dir, "play.mcap");
    const out = path.join(dir, "out");
    const r = await runCli(["play", "--out", out, "--steps", "12", "--round", "6", "--train-steps", "5", "--population", "8", "--horizon", "4", "--iterations", "1", "--record", file, "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = lastJsonLine(r.stdout);
    assert.equal(summary.steps, 12);
    assert.equal(summary.recording.path, file);
    assert.equal(summary.rounds.length, 2);
    const plans = (summary.rounds as { planner: { plans: number } }[]).reduce((s, x) => s + x.planner.plans, 0);
    // One plan per step, in the loop (inline: the tick waits for it in lockstep).
    assert.equal(plans, 12);

    const byTopic = new Map<string, { t: bigint; m: ArrayMsg }[]>();
    let jointStates = 0;
    let lastJointNs = -1n;
    for await (const m of readMessages(file)) {
      if (m.topic === "/joint_states") {
        jointStates++;
        assert.ok(m.logTimeNs > lastJointNs, "loop time goes on across rounds");
        lastJointNs = m.logTimeNs;
      }
      if (m.topic.startsWith("/planner/") || m.topic.startsWith("/learner/")) (byTopic.get(m.topic) ?? byTopic.set(m.topic, []).get(m.topic)!).push({ t: m.logTimeNs, m: m.message as ArrayMsg });
    }
    // 12 steps of 0.1 s at 50 Hz.
    assert.equal(jointStates, 60);
    assert.equal(byTopic.get(PLANNER_TOPICS.cost)?.length, plans);
    assert.equal(byTopic.get(PLANNER_TOPICS.trajectory)?.length, plans);
    for (const { m } of byTopic.get(PLANNER_TOPICS.cost)!) {
      assert.equal(m.layout.dim[0].label, "cost|disagreement");
      // Curious play: cost = −Σ disagreement, so a disagreement > 0 gives a negative cost.
      assert.ok(m.data[1] > 0 && m.data[0] < 0, `cost ${m.data[0]}, disagreement ${m.data[1]}`);
    }
    const trajectory = byTopic.get(PLANNER_TOPICS.trajectory)![0].m;
    assert.deepEqual(
      trajectory.layout.dim.map((d) => [d.label, d.size]),
      [
        ["step", 4],
        ["fingertip.x|fingertip.y|fingertip.z", 3],
      ],
    );
    const losses = byTopic.get(LEARNER_TOPICS.modelLoss)!;
    assert.equal(losses.length, 2, "one message per round's model update");
    assert.equal(losses[0].m.layout.dim[0].label, "train|held_out|version");
    assert.deepEqual(
      losses.map(({ m }) => m.data[2]),
      [1, 2],
    );
    for (const { m } of losses) assert.ok(Number.isFinite(m.data[0]) && m.data[0] > 0, `train loss ${m.data[0]}`);
    // No model before the first update: no held-out loss; then the first model on the second round's new data.
    assert.ok(Number.isNaN(losses[0].m.data[1]));
    assert.ok(Number.isFinite(losses[1].m.data[1]) && losses[1].m.data[1] > 0);
    // The update comes after the round's ticks, before the next round's.
    assert.ok(losses[0].t < losses[1].t);
    assert.deepEqual(
      summary.rounds.map((x: { trainLoss: number }) => x.trainLoss),
      losses.map(({ m }) => m.data[0]),
    );
    const info = await runCli(["info", file]);
    assert.match(info.stdout, /\/learner\/model_loss +std_msgs\/msg\/Float64MultiArray +2 msgs/);
    assert.match(info.stdout, /run {12}tendon play: planner on arm2j6m/);
    // The play's own outputs are still written.
    assert.ok(fs.existsSync(path.join(out, "model.json")) && fs.existsSync(path.join(out, "transitions.mcap")));
  });

  it("records a baseline explorer's loop without planner or learner topics", async () => {
    const file = path.join(dir, "dep.mcap");
    const r = await runCli(["play", "--out", path.join(dir, "dep"), "--explorer", "dep", "--steps", "6", "--round", "6", "--train-steps", "2", "--record", file, "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const topics = new Set<string>();
    for await (const m of readMessages(file)) topics.add(m.topic);
    assert.ok(topics.has("/muscle_commands/dep"), [...topics].join(", "));
    assert.ok(![...topics].some((t) => t.startsWith("/planner/") || t.startsWith("/learner/")), [...topics].join(", "));
  });
});
