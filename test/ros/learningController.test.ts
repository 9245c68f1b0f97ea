/**
 * The controller node hosting the learning policy (`learning: true`): with the sim and the learner
 * node in one graph, its transition rows reach the learner on /transitions, versioned policies
 * come back on /policy, the controller's arbiter switches to the `policy` source, and an /estop
 * message still latches the safe command from the next tick on. Once in process (lockstep, every
 * tick checked) and once over the ROS transport on the contract fake of rclnodejs.
 */
import assert from "node:assert/strict";
import { checkControllerParameters, controllerParameterSpecs, parseJointRanges, type ControllerNode } from "../../src/nodes/ControllerNode.js";
import { NodeParameters } from "../../src/transport/parameters.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import type { Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { TOPICS } from "../../src/transport/topics.js";
import { readPolicyMessage, readTransitionRows } from "../../src/learner/split/rosMessages.js";
import { RosTransport } from "../../ros/RosTransport.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";
import { FakeRclnodejs } from "./fakeRclnodejs.js";
import { LEARNING_CONTROLLER, TINY_LEARNER } from "./learningParams.js";

const quiet = (): void => undefined;


async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !cond(); waited += 20) await new Promise((r) => setTimeout(r, 20));
}

describe("controller node with learning: the learning policy on the node's loop", function () {
  this.timeout(120_000);

  it("joint_ranges_rad: lo:hi per joint, or empty; a malformed value or 'policy' among the command sources stops the node with the reason", () => {
    assert.deepEqual(parseJointRanges("-1.2:1.8, 0:2.4"), [
      [-1.2, 1.8],
      [0, 2.4],
    ]);
    assert.deepEqual(parseJointRanges(""), []);
    for (const bad of ["1.8:-1.2", "a:b", "-1:1,"]) assert.equal(parseJointRanges(bad), undefined, bad);
    const make = (values: Record<string, unknown>) => new NodeParameters("controller", controllerParameterSpecs(), values, checkControllerParameters);
    assert.throws(() => make({ joint_ranges_rad: "2:1" }), /joint_ranges_rad '2:1' must be ranges lo:hi/);
    assert.throws(() => make({ learning: true, command_sources: ["teleop", "policy"] }), /the learning policy is that source/);
    assert.equal(make({ learning: true, joint_ranges_rad: "-1.2:1.8,0:2.4" }).values.learning, true);
  });

  it("in process: rows reach the learner, /policy comes back, the policy owns the arm, /estop latches the safe command at once", async () => {
    const transport = new InProcessTransport({
      log: quiet,
      parameters: new Map<string, Record<string, unknown>>([
        ["sim", { mode: "lockstep", rate_hz: 50, seed: 1 }],
        ["controller", LEARNING_CONTROLLER],
        ["learner", TINY_LEARNER],
      ]),
    });
    const spy = transport.createNode("spy");
    const estopPub = spy.createPublisher("std_msgs/msg/Bool", TOPICS.estop);
    const resetPub = spy.createPublisher("std_msgs/msg/Bool", TOPICS.estopReset);
    const commands: number[][] = [];
    const policies: number[] = [];
    let rows = 0;
    const estopAt = 1200;
    const resetAt = 1300;
    spy.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.policy).subscribe((m: Float64MultiArrayMsg) => policies.push(readPolicyMessage(m).version));
    spy.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions).subscribe((m: Float64MultiArrayMsg) => {
      const r = readTransitionRows(m);
      assert.ok(r, "with learning, /transitions carries transition rows");
      rows += r.count;
    });
    // Between ticks of the sim (in process the controller's command comes within the sim's tick).
    spy.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands).subscribe((m: Float64MultiArrayMsg) => {
      commands.push(Array.from(m.data));
      if (commands.length === estopAt) estopPub.publish({ data: true });
      if (commands.length === resetAt) resetPub.publish({ data: true });
    });
    const set = await startNodes({ nodes: ["sim", "controller", "learner"], transport, durationSec: 50 });
    try {
      await set.finished;
      const controller = set.get<ControllerNode>("controller")!;
      const learner = set.get<LearnerNode>("learner")!;
      await until(() => (learner.learner?.steps ?? 0) >= rows, 30_000);
      // Every command after the e-stop up to the reset is the safe one (zero activation).
      for (let k = estopAt; k < resetAt; k++) assert.deepEqual(commands[k], [0, 0, 0, 0, 0, 0], `command ${k + 1} under the e-stop`);
      assert.ok(commands.slice(resetAt + 100).some((c) => c.some((v) => v > 0)), "the policy drives again after the reset");
      const ticks = controller.sourceTicks;
      assert.ok((ticks.get("policy") ?? 0) > 2000, `policy owned ${ticks.get("policy")} ticks`);
      assert.equal(ticks.get("dep") ?? 0, 0, "the node's own DEP never had to take over");
      assert.ok((ticks.get("safe") ?? 0) >= resetAt - estopAt);
      assert.ok(rows > 2000 && rows === controller.learningStats.rowsSent, `${rows} rows`);
      assert.equal(learner.rowsReceived, rows);
      assert.equal(learner.learner!.status, "running");
      assert.equal(learner.learner!.steps, rows);
      assert.ok(learner.learner!.updates > 0);
      assert.ok(policies.length >= 2 && policies.at(-1)! >= 1, `policies ${policies.join(",")}`);
      assert.ok(controller.learningStats.policiesReceived >= 2);
      // The newest policy is in use, or swapped in on the next tick (the learner may publish after the sim's last tick).
      assert.ok(controller.policyController!.offeredVersion >= 1, `the controller took policy v${controller.policyController!.offeredVersion}`);
      assert.ok(controller.policyController!.skippedTransitions >= resetAt - estopAt, "the e-stop's ticks are not learned from");
    } finally {
      await set.stop();
      await transport.close();
    }
  });

  it("over the ROS transport (contract fake): the same graph trains and the policy comes back", async () => {
    const rcl = new FakeRclnodejs();
    const rosArgs = [
      ...Object.entries(LEARNING_CONTROLLER).flatMap(([k, v]) => ["-p", `controller:${k}:=${typeof v === "string" ? JSON.stringify(v) : v}`]),
      ...Object.entries(TINY_LEARNER).flatMap(([k, v]) => ["-p", `learner:${k}:=${typeof v === "string" ? JSON.stringify(v) : v}`]),
      "-p",
      "sim:rate_hz:=50.0",
    ];
    const transport = await RosTransport.open(rcl, { rosArgs, program: ["node", "tendon"] });
    const set = await startNodes({ nodes: ["sim", "controller", "learner"], transport, durationSec: 40, timer: new VirtualTimer() });
    try {
      await set.finished;
      const controller = set.get<ControllerNode>("controller")!;
      const learner = set.get<LearnerNode>("learner")!;
      await until(() => learner.rowsReceived >= controller.learningStats.rowsSent && controller.learningStats.policiesReceived >= 2, 30_000);
      assert.ok(controller.learningStats.rowsSent > 500, `${controller.learningStats.rowsSent} rows sent`);
      assert.equal(learner.rowsReceived, controller.learningStats.rowsSent);
      assert.ok((controller.sourceTicks.get("policy") ?? 0) > 500, `policy owned ${controller.sourceTicks.get("policy")} ticks`);
      assert.ok(controller.learningStats.policiesReceived >= 2, `${controller.learningStats.policiesReceived} policies received`);
    } finally {
      await set.stop();
      await transport.close();
    }
  });
});
