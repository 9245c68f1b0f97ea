/**
 * Free play on the robot with the model learned online: the planner node sends its transitions
 * (state in the model's layout, the command the body got, next state) as transition rows on
 * /transitions, the learner node retrains the model it started from and publishes versions on
 * /learner/model, and the planner plans on each version. Over the ROS transport on the contract
 * fake of rclnodejs, with launch/free_play_online.launch.xml's parameters; then what a planner does
 * with /learner/model messages that are not its model.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseNodeCommandLine } from "../../src/cli/nodeCommand.js";
import { transitionOffsets, transitionRowSize } from "../../src/learner/split/messages.js";
import { modelMessage, readModelMessage } from "../../src/learner/split/modelMessages.js";
import { readTransitionRows } from "../../src/learner/split/rosMessages.js";
import { TransitionRowWriter } from "../../src/learner/split/TransitionRowWriter.js";
import { initBackend } from "../../src/learner/tf/backend.js";
import { ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import { parseStateSpec } from "../../src/models/StateLayout.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import { PlannerNode, plannerParameterSpecs } from "../../src/nodes/PlannerNode.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { createVector, type Float64MultiArrayMsg, type JointStateMsg } from "../../src/transport/messages.js";
import { QOS_LATCHED } from "../../src/transport/Transport.js";
import { LEARNER_TOPICS, TOPICS } from "../../src/transport/topics.js";
import { RosTransport } from "../../ros/RosTransport.js";
import { until } from "../learner/helpers.js";
import { projectRoot } from "../helpers/paths.js";
import { writeTestWorldModel } from "../helpers/worldModelFile.js";
import { FakeRclnodejs } from "./fakeRclnodejs.js";
import { resolveLaunchFile } from "./launchFile.js";

const muscles = ["m0", "m1", "m2"];
const quiet = (): void => {};

function stateMsg(k: number, length: ArrayLike<number>, force: ArrayLike<number>): JointStateMsg {
  return {
    header: { stamp: { sec: Math.floor(k / 100), nanosec: (k % 100) * 1e7 }, frame_id: "" },
    name: muscles,
    position: Float64Array.from(length),
    velocity: new Float64Array(3),
    effort: Float64Array.from(force),
  } as JointStateMsg;
}

describe("planner node: free play with the world model learned online", function () {
  this.timeout(120_000);
  let dir: string;
  let modelFile: string;
  before(async () => {
    await initBackend("auto");
    ({ dir, file: modelFile } = writeTestWorldModel(muscles, 0.01));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("rows: each step completes the previous one with the command applied since; non-finite values break the chain", () => {
    const blocks: Float64Array[] = [];
    const w = new TransitionRowWriter({ observationSize: 2, actionSize: 1, block: 2, stream: 3, onBlock: (n, data) => blocks.push(data.slice(0, n * 10)) });
    const at = transitionOffsets(2, 1);
    w.step([1, 2], [9]); // first: no row
    w.step([3, 4], [0.5]); // row 1: [1,2] --0.5--> [3,4]
    w.step([5, 6], undefined); // no action known: no row
    w.step([7, 8], [0.25]); // row 2: [5,6] --0.25--> [7,8]: block full
    w.step([Number.NaN, 0], [0.1]); // not finite: no row, chain broken
    w.step([11, 12], [0.2]); // no row (the chain was broken)
    w.step([13, 14], [Number.POSITIVE_INFINITY]); // action not finite: no row
    w.step([15, 16], [0.3]); // row 3: [13,14] --0.3--> [15,16]
    assert.equal(w.rows, 3);
    assert.equal(blocks.length, 1);
    w.flush();
    w.flush();
    assert.equal(blocks.length, 2, "flush sends the pending row once");
    const row = (b: Float64Array, k: number): number[] => Array.from(b.subarray(k * 10, (k + 1) * 10));
    assert.deepEqual(row(blocks[0], 0), [1, 2, 0.5, 0, 3, 4, 0, 0, 3, 0]);
    assert.deepEqual(row(blocks[0], 1), [5, 6, 0.25, 0, 7, 8, 0, 0, 3, 0]);
    assert.deepEqual(row(blocks[1], 0), [13, 14, 0.3, 0, 15, 16, 0, 0, 3, 0]);
    assert.equal(at.stream, 8);
    assert.throws(() => new TransitionRowWriter({ observationSize: 1, actionSize: 1, block: 0, onBlock: () => {} }), /positive integer, got 0/);
  });

  it("over the ROS transport (contract fake), with free_play_online.launch.xml: rows reach the learner, its versions reach the planner", async () => {
    // The launch file's processes and parameters, with this test's model file and small schedules.
    const processes = resolveLaunchFile(path.join(projectRoot, "launch", "free_play_online.launch.xml"), { port: "/dev/ttyUSB0" });
    assert.deepEqual(processes.map((p) => p.name), ["hardware", "controller", "planner", "learner"]);
    const params = new Map<string, Record<string, unknown>>();
    for (const p of processes) for (const [node, values] of (await parseNodeCommandLine(p.argv.slice(2))).parameters) params.set(node, values);
    assert.equal(params.get("planner")?.online_model, true);
    assert.equal(params.get("learner")?.model_from, params.get("planner")?.model_from, "the learner starts from the planner's model");
    assert.equal(params.get("learner")?.train_policy, false);
    assert.equal(params.get("learner")?.intrinsic, "disagreement");
    const over: Record<string, Record<string, unknown>> = {
      planner: { model_from: modelFile, population: 8, horizon: 3, iterations: 1, transition_block: 20 },
      learner: { model_from: modelFile, model_train_every: 40, model_train_steps: 5, model_warmup: 40, replay_capacity: 1000, diagnostics_period_sec: 0.2 },
    };
    const rosArgs: string[] = [];
    for (const node of ["planner", "learner"]) {
      for (const [k, v] of Object.entries({ ...params.get(node), ...over[node] })) rosArgs.push("-p", `${node}:${k}:=${typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.join(",")}]` : v}`);
    }
    const rcl = new FakeRclnodejs();
    const transport = await RosTransport.open(rcl, { rosArgs, program: ["node", "tendon"] });
    const set = await startNodes({ nodes: ["learner", "planner"], transport });
    const planner = set.get<PlannerNode>("planner")!;
    const learner = set.get<LearnerNode>("learner")!;
    const body = transport.createNode("body");
    const states = body.createPublisher("sensor_msgs/msg/JointState", TOPICS.muscleStates);
    const commands = body.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands);
    const rows: Float64Array[] = [];
    const versions: number[] = [];
    body.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions).subscribe((m: Float64MultiArrayMsg) => {
      const r = readTransitionRows(m);
      const size = transitionRowSize(6, 3);
      if (r) for (let k = 0; k < r.count; k++) rows.push(r.data.slice(k * size, (k + 1) * size));
    });
    body.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model).subscribe((m: Float64MultiArrayMsg) => versions.push(readModelMessage(m).state.version));
    const sent: { length: number[]; force: number[]; command: number[] }[] = [];
    try {
      const command = createVector(3);
      let length = [0.1, 0.12, 0.14];
      for (let k = 0; k < 400 && !((planner.online?.models.loaded ?? 0) >= 2 && k >= 120); k++) {
        const force = length.map((l) => 100 * l);
        states.publish(stateMsg(k, length, force));
        // The controller node's answer to this state: what the body then applies.
        for (let i = 0; i < 3; i++) command.data[i] = 0.5 + 0.4 * Math.sin(0.1 * k + 2 * i);
        commands.publish(command);
        sent.push({ length, force, command: Array.from(command.data) });
        length = length.map((l, i) => l + 0.001 * (command.data[i] - 0.5));
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => (planner.online?.models.loaded ?? 0) >= 2, 30_000);
      const online = planner.online!;
      assert.ok(online.models.loaded >= 2, `models loaded ${online.models.loaded}`);
      assert.equal(online.models.refused, 0);
      assert.ok(learner.modelUpdates >= 2);
      await until(() => online.models.version === versions.at(-1), 5000);
      assert.equal(online.models.version, versions.at(-1), "the planner plans on the newest version the learner published");
      // The rows are the states and commands as the body saw them.
      assert.ok(rows.length >= 80 && rows.length % 20 === 0, `${rows.length} rows`);
      await until(() => (learner.learner?.steps ?? 0) >= rows.length, 20_000);
      assert.equal(learner.learner!.steps, rows.length, "every row sent was stored by the learner");
      for (const row of rows.slice(0, 30)) {
        const k = sent.findIndex((s) => Math.abs(s.length[0] - row[0]) < 1e-12 && Math.abs(s.length[1] - row[1]) < 1e-12);
        assert.ok(k >= 0 && k + 1 < sent.length, `row ${row.slice(0, 3)} is a state that was sent`);
        assert.deepEqual(Array.from(row.subarray(0, 6)), [...sent[k].length, ...sent[k].force]);
        assert.deepEqual(Array.from(row.subarray(6, 9)), sent[k].command, "the action is the command after that state");
        assert.deepEqual(Array.from(row.subarray(10, 16)), [...sent[k + 1].length, ...sent[k + 1].force]);
      }
      const plansBefore = planner.stats!.plans;
      for (let k = 400; k < 430; k++) {
        states.publish(stateMsg(k, sent.at(-1)!.length, sent.at(-1)!.force));
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(planner.stats!.plans > plansBefore && planner.stats!.errors === 0, "planning goes on with the new weights");
    } finally {
      await set.stop();
      await transport.close();
    }
  });

  it("a /learner/model message that is not a model, or of another shape, is refused with one line; planning goes on", async () => {
    const logs: string[] = [];
    const transport = new InProcessTransport({ log: (_node, _level, msg) => logs.push(msg), parameters: new Map([["planner", { model_from: modelFile, population: 8, horizon: 3, iterations: 1, online_model: true }]]) });
    const node = transport.createNode("planner");
    const planner = new PlannerNode({ node, params: node.declareParameters(plannerParameterSpecs()) });
    const learnerSide = transport.createNode("learner");
    const models = learnerSide.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model, QOS_LATCHED);
    const states = learnerSide.createPublisher("sensor_msgs/msg/JointState", TOPICS.muscleStates);
    const layout = parseStateSpec("muscle_length:*,muscle_force:*", { joints: [], muscles });
    const other = new ProbabilisticEnsemble(layout, 3, { members: 3, hidden: [8], loss: "mse" }, 1);
    const same = new ProbabilisticEnsemble(layout, 3, { members: 3, hidden: [16], loss: "mse" }, 2);
    same.version = 41;
    try {
      await planner.start();
      for (let k = 0; k < 10; k++) states.publish(stateMsg(k, [0.1, 0.1, 0.1], [5, 5, 5]));
      const policyLike = createVector(4, "policy_snapshot_v1");
      models.publish(policyLike);
      models.publish(policyLike);
      models.publish(modelMessage(other.state()));
      models.publish(modelMessage(same.state()));
      await until(() => (planner.online?.models.loaded ?? 0) >= 1 && (planner.online?.models.refused ?? 0) >= 1, 10_000);
      for (let k = 10; k < 40; k++) {
        states.publish(stateMsg(k, [0.1, 0.1, 0.1], [5, 5, 5]));
        await new Promise((r) => setTimeout(r, 10));
      }
      const online = planner.online!;
      assert.equal(online.badMessages, 2);
      assert.equal(online.models.refused, 1);
      assert.match(online.models.lastError!, /member 0 layer 0 kernel entries 72, this model has 144/);
      assert.equal(online.models.loaded, 1);
      assert.equal(online.models.version, 41);
      const errors = logs.filter((l) => l.startsWith("planner:"));
      assert.equal(errors.length, 2, errors.join("\n"));
      assert.ok(errors.every((l) => !l.includes("\n")));
      assert.ok(planner.stats!.plans >= 2 && planner.stats!.errors === 0);
    } finally {
      other.dispose();
      same.dispose();
      await planner.stop();
    }
  });
});
