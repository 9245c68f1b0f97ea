import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readMessages } from "../../src/observability/readRecording.js";
import { PlannedTrajectory } from "../../src/planning/PlannedTrajectory.js";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { tempDir } from "./helpers.js";

interface ArrayMsg {
  layout: { dim: { label: string; size: number; stride: number }[] };
  data: ArrayLike<number>;
}

describe("observability: tendon plan --record", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir("plan")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records /planner/cost ([cost, disagreement]) and /planner/trajectory once per plan, episodes one after the other", async () => {
    const file = path.join(dir, "plan.mcap");
    const r = await runCli(["plan", "--task", "reach", "--episodes", "2", "--episode", "0.4", "--population", "16", "--horizon", "5", "--iterations", "1", "--record", file, "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = lastJsonLine(r.stdout);
    assert.equal(summary.recording.path, file);
    const plans = (summary.episodes as { planner: { plans: number } }[]).reduce((s, e) => s + e.planner.plans, 0);
    assert.ok(plans >= 2, `plans: ${plans}`);

    const byTopic = new Map<string, { t: bigint; m: ArrayMsg }[]>();
    let lastJointNs = -1n;
    let jointStates = 0;
    for await (const m of readMessages(file)) {
      if (m.topic === "/joint_states") {
        jointStates++;
        assert.ok(m.logTimeNs > lastJointNs, "loop time goes on across episodes");
        lastJointNs = m.logTimeNs;
      }
      if (!m.topic.startsWith("/planner/")) continue;
      assert.equal(m.type, "std_msgs/msg/Float64MultiArray");
      (byTopic.get(m.topic) ?? byTopic.set(m.topic, []).get(m.topic)!).push({ t: m.logTimeNs, m: m.message as ArrayMsg });
    }
    assert.equal(jointStates, 40);
    const info = await runCli(["info", file]);
    assert.match(info.stdout, /\/planner\/cost +std_msgs\/msg\/Float64MultiArray/);
    assert.match(info.stdout, /run {12}tendon plan: planner on arm2j6m at 50\.0 Hz/);
    assert.deepEqual([...byTopic.keys()].sort(), ["/planner/cost", "/planner/trajectory"]);
    for (const list of byTopic.values()) assert.equal(list.length, plans);

    for (const { m } of byTopic.get("/planner/cost")!) {
      assert.equal(m.layout.dim[0].label, "cost|disagreement");
      assert.equal(m.data.length, 2);
      assert.ok(Number.isFinite(m.data[0]) && m.data[0] >= 0, `cost ${m.data[0]}`);
      // One MuJoCo model: no ensemble, no disagreement.
      assert.equal(m.data[1], 0);
    }
    const trajectories = byTopic.get("/planner/trajectory")!;
    for (const { m } of trajectories) {
      assert.deepEqual(
        m.layout.dim.map((d) => [d.label, d.size]),
        [
          ["step", 5],
          ["fingertip.x|fingertip.y|fingertip.z", 3],
        ],
      );
      assert.equal(m.data.length, 15);
      for (let i = 0; i < 15; i++) assert.ok(Number.isFinite(m.data[i]) && Math.abs(m.data[i]) < 2, `trajectory value ${m.data[i]}`);
    }
    // Plans of the second episode are logged after the first episode's 0.4 s.
    assert.ok(trajectories[trajectories.length - 1].t - trajectories[0].t >= 400_000_000n);
    // A trajectory is the plan's prediction: successive plans differ.
    assert.notDeepEqual(Array.from(trajectories[0].m.data), Array.from(trajectories[1].m.data));
  });

  it("PlannedTrajectory picks the controlled entries of each predicted state, NaN where the plan is short", () => {
    const layout = {
      groups: [
        { kind: "joint_angle" as const, names: ["shoulder", "elbow"], offset: 0, size: 2 },
        { kind: "joint_velocity" as const, names: ["shoulder", "elbow"], offset: 2, size: 2 },
      ],
      size: 4,
    };
    const pose = new PlannedTrajectory({ kind: "pose", joints: { elbow: 1 } }, layout, 2);
    assert.deepEqual(pose.columns, ["elbow"]);
    assert.deepEqual(Array.from(pose.fill(Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]))), [1, 11]);
    const velocity = new PlannedTrajectory({ kind: "velocity", joint: "shoulder", velocityRadps: 1 }, layout, 2);
    assert.deepEqual(Array.from(velocity.fill([0, 1, 2, 3])), [2, Number.NaN]);
    // A reach on a state without the site: all joint angles.
    const reach = new PlannedTrajectory({ kind: "reach", site: "fingertip", target: [0, 0, 0] }, layout, 1);
    assert.deepEqual(reach.columns, ["shoulder", "elbow"]);
  });
});
