import assert from "node:assert/strict";
import fs from "node:fs";
import { initBackend } from "../../src/learner/tf/backend.js";
import { PLANNER_COMMAND_TOPIC, PLANNER_COST_TOPIC, PlannerNode, plannerParameterSpecs } from "../../src/nodes/PlannerNode.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import type { Float64MultiArrayMsg, JointStateMsg } from "../../src/transport/messages.js";
import { TOPICS } from "../../src/transport/topics.js";
import { writeTestWorldModel } from "../helpers/worldModelFile.js";

const muscles = ["m0", "m1", "m2"];
const quiet = (): void => {};

function state(k: number, names = muscles): JointStateMsg {
  const n = names.length;
  return { header: { stamp: { sec: Math.floor(k / 100), nanosec: (k % 100) * 1e7 }, frame_id: "" }, name: names, position: new Float64Array(n).fill(0.1), velocity: new Float64Array(n), effort: new Float64Array(n).fill(5) } as JointStateMsg;
}

describe("PlannerNode", function () {
  this.timeout(120_000);
  let dir: string;
  let modelFile: string;
  before(async () => {
    await initBackend("auto");
    ({ dir, file: modelFile } = writeTestWorldModel(muscles, 0.05));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function startPlanner(params: Record<string, unknown>): { transport: InProcessTransport; planner: PlannerNode } {
    const transport = new InProcessTransport({ log: quiet, parameters: new Map([["planner", params]]) });
    const node = transport.createNode("planner");
    return { transport, planner: new PlannerNode({ node, params: node.declareParameters(plannerParameterSpecs()) }) };
  }

  it("free play from /muscle_states: commands on /muscle_commands/planner within range, cost and disagreement on /planner/cost", async () => {
    const { transport, planner } = startPlanner({ model_from: modelFile, population: 8, horizon: 3, iterations: 1 });
    const body = transport.createNode("body");
    const states = body.createPublisher("sensor_msgs/msg/JointState", TOPICS.muscleStates);
    const commands: Float64MultiArrayMsg[] = [];
    const costs: number[][] = [];
    body.subscribe("std_msgs/msg/Float64MultiArray", PLANNER_COMMAND_TOPIC).subscribe((m) => commands.push({ ...m, data: m.data.slice() }));
    body.subscribe("std_msgs/msg/Float64MultiArray", PLANNER_COST_TOPIC).subscribe((m) => costs.push(Array.from(m.data)));
    await planner.start();
    try {
      for (let k = 0; k < 300 && (costs.length < 2 || k < 30); k++) {
        states.publish(state(k));
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(commands.length >= 25, `${commands.length} commands`);
      for (const c of commands) for (const u of c.data) assert.ok(u >= 0 && u <= 1, `command ${u}`);
      assert.ok(costs.length >= 2, "plans arrived");
      // Free play: cost = −disagreement (3 members, random weights: they disagree).
      // Free play: cost = −Σ_t disagreement over the 3 steps, disagreement = its mean per step (3 members with random weights disagree).
      assert.ok(costs[0][1] > 0, `disagreement ${costs[0][1]}`);
      assert.ok(Math.abs(costs[0][0] + 3 * costs[0][1]) <= 1e-4 * Math.abs(costs[0][0]), `cost ${costs[0][0]} vs disagreement ${costs[0][1]}`);
      assert.ok((planner.stats?.plans ?? 0) >= 2 && planner.stats?.errors === 0);
    } finally {
      await planner.stop();
    }
  });

  it("refuses to start without a model, and does not plan for a body of another size", async () => {
    await assert.rejects(startPlanner({}).planner.start(), /set the model_from parameter/);
    const activations = writeTestWorldModel(muscles, 0.05, "muscle_length:*,muscle_activation:*");
    try {
      await assert.rejects(startPlanner({ model_from: activations.file }).planner.start(), (e: Error) => /holds muscle_activation .* which \/muscle_states and \/joint_states do not carry: play with --state of joint_angle:\*,.*muscle_force:\* entries only/.test(e.message) && !e.message.includes("\n"));
    } finally {
      fs.rmSync(activations.dir, { recursive: true, force: true });
    }
    const { transport, planner } = startPlanner({ model_from: modelFile, population: 8, horizon: 3, iterations: 1 });
    const body = transport.createNode("body");
    const states = body.createPublisher("sensor_msgs/msg/JointState", TOPICS.muscleStates);
    let commands = 0;
    body.subscribe("std_msgs/msg/Float64MultiArray", PLANNER_COMMAND_TOPIC).subscribe(() => commands++);
    await planner.start();
    try {
      for (let k = 0; k < 10; k++) states.publish(state(k, ["a", "b"]));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(commands, 0);
    } finally {
      await planner.stop();
    }
  });
});
