/**
 * Several actors feeding one learner: launch/multi_actor.launch.xml read as `ros2 launch` reads
 * it, its two processes (N actors composed, one learner) started in one process without ROS, and
 * the namespaces: each robot's topics under /robotK, the learner's shared; both streams reach the
 * learner and its policies reach both actors; one robot's e-stop stops that robot only.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { parseNodeCommandLine } from "../../src/cli/nodeCommand.js";
import { readTransitionRows } from "../../src/learner/split/rosMessages.js";
import { transitionOffsets } from "../../src/learner/split/messages.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { namespacedTopic, namespacedTransport } from "../../src/nodes/namespace.js";
import { actorPlaces, startNodes } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import type { Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { TOPICS } from "../../src/transport/topics.js";
import { projectRoot } from "../helpers/paths.js";
import { resolveLaunchFile } from "./launchFile.js";
import { FakeRclnodejs } from "./fakeRclnodejs.js";
import { RosTransport } from "../../ros/RosTransport.js";
import { LEARNING_CONTROLLER, TINY_LEARNER } from "./learningParams.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";

const quiet = (): void => undefined;

async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !cond(); waited += 20) await new Promise((r) => setTimeout(r, 20));
}

describe("several actors, one learner (namespaces, streams, multi_actor.launch.xml)", function () {
  this.timeout(120_000);

  it("namespaces: a robot's topics get its prefix, the learner's stay shared; bad names and combinations are refused", () => {
    assert.equal(namespacedTopic(TOPICS.muscleStates, "robot1"), "/robot1/muscle_states");
    assert.equal(namespacedTopic("/muscle_commands/teleop", "robot2"), "/robot2/muscle_commands/teleop");
    assert.equal(namespacedTopic(TOPICS.transitions, "robot1"), "/transitions");
    assert.equal(namespacedTopic(TOPICS.policy, "robot1"), "/policy");
    assert.equal(namespacedTopic(TOPICS.estop, undefined), "/estop");
    assert.deepEqual(actorPlaces({ actors: 3 }), [
      { namespace: "robot1", stream: 0 },
      { namespace: "robot2", stream: 1 },
      { namespace: "robot3", stream: 2 },
    ]);
    assert.deepEqual(actorPlaces({ namespace: "/arm_a", stream: 4 }), [{ namespace: "arm_a", stream: 4 }]);
    assert.throws(() => actorPlaces({ namespace: "robot 1" }), /must be a ROS name/);
    assert.throws(() => actorPlaces({ actors: 2, namespace: "r" }), /either actors or a namespace/);
    const inner = new InProcessTransport({ log: quiet });
    const node = namespacedTransport(inner, "robot7").createNode("sim");
    assert.equal(node.name, "sim");
    node.createPublisher("std_msgs/msg/Bool", TOPICS.estop);
    assert.deepEqual(inner.topics().map((t) => t.name), ["/robot7/estop"]);
    assert.ok(inner.node("robot7/sim"), "registered as robot7/sim");
  });

  it("over ROS a namespaced node is an rcl node in that namespace (rcl refuses a slash in a node name)", async () => {
    const rcl = new FakeRclnodejs();
    const ros = await RosTransport.open(rcl, { program: ["node", "tendon"] });
    const node = namespacedTransport(ros, "robot2").createNode("controller");
    assert.equal(node.name, "controller");
    assert.deepEqual(rcl.nodes.map((n) => n.name()), ["controller"]);
    // A second robot's controller in the same process is another node.
    namespacedTransport(ros, "robot3").createNode("controller");
    assert.equal(rcl.nodes.length, 2);
    await ros.close();
  });

  it("multi_actor.launch.xml: N actors and one learner from the launch argument; both streams train, /policy reaches both, /robot1/estop stops robot1 only", async () => {
    const processes = resolveLaunchFile(path.join(projectRoot, "launch", "multi_actor.launch.xml"), { actors: "2" });
    assert.deepEqual(processes.map((p) => p.name), ["actors", "learner"]);
    const [actorsPlan, learnerPlan] = await Promise.all(processes.map((p) => parseNodeCommandLine(p.argv.slice(2))));
    assert.deepEqual(actorsPlan.nodes, ["sim", "controller"]);
    assert.equal(actorsPlan.actors, 2);
    assert.equal(actorsPlan.ros, true);
    assert.deepEqual(learnerPlan.nodes, ["learner"]);
    assert.equal(learnerPlan.parameters.get("learner")?.streams, 2, "the learner trains on as many streams as there are actors");
    assert.deepEqual([...actorsPlan.transportParameters.keys()].sort(), ["robot1/controller", "robot1/sim", "robot2/controller", "robot2/sim"]);
    assert.equal(actorsPlan.transportParameters.get("robot2/controller")?.learning, true);

    const parameters = new Map<string, Record<string, unknown>>();
    for (const plan of [actorsPlan, learnerPlan]) for (const [k, v] of plan.transportParameters) parameters.set(k, { ...v });
    for (const k of ["robot1/sim", "robot2/sim"]) parameters.get(k)!.mode = "lockstep";
    for (const k of ["robot1/controller", "robot2/controller"]) parameters.get(k)!.steps_before_learning = TINY_LEARNER.steps_before_batches;
    Object.assign(parameters.get("learner")!, TINY_LEARNER);
    const transport = new InProcessTransport({ parameters, log: quiet });
    const spy = transport.createNode("spy");
    const streams = new Map<number, number>();
    spy.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions).subscribe((m: Float64MultiArrayMsg) => {
      const r = readTransitionRows(m)!;
      const at = transitionOffsets(r.observationSize, r.actionSize);
      const size = r.data.length / r.count;
      for (let k = 0; k < r.count; k++) streams.set(r.data[k * size + at.stream], (streams.get(r.data[k * size + at.stream]) ?? 0) + 1);
    });
    const estop1 = spy.createPublisher("std_msgs/msg/Bool", "/robot1/estop");
    const commands: Record<string, number[][]> = { robot1: [], robot2: [] };
    for (const ns of ["robot1", "robot2"]) {
      spy.subscribe("std_msgs/msg/Float64MultiArray", `/${ns}/muscle_commands`).subscribe((m: Float64MultiArrayMsg) => {
        commands[ns].push(Array.from(m.data));
        if (ns === "robot1" && commands.robot1.length === 1000) estop1.publish({ data: true });
      });
    }
    const learnerSet = await startNodes({ nodes: learnerPlan.nodes, transport });
    const actors = await startNodes({ nodes: actorsPlan.nodes, transport, actors: actorsPlan.actors, durationSec: 30 });
    try {
      assert.deepEqual(actors.namespaces, ["robot1", "robot2"]);
      const names = transport.topics().map((t) => t.name);
      for (const t of ["/robot1/muscle_states", "/robot2/muscle_states", "/robot1/muscle_commands", "/robot2/estop", "/transitions", "/policy"]) assert.ok(names.includes(t), `${t} exists`);
      assert.ok(!names.includes("/muscle_states") && !names.includes("/estop"), "no robot topic in the global namespace");
      await actors.finished;
      const learner = learnerSet.get<LearnerNode>("learner")!;
      const c1 = actors.get<ControllerNode>("controller", "robot1")!;
      const c2 = actors.get<ControllerNode>("controller", "robot2")!;
      assert.notEqual(c1, c2);
      const sent = c1.learningStats.rowsSent + c2.learningStats.rowsSent;
      const stored = 2 * Math.min(c1.learningStats.rowsSent, c2.learningStats.rowsSent);
      await until(() => learner.rowsReceived >= sent && (learner.learner?.steps ?? 0) >= stored && c1.learningStats.policiesReceived >= 2 && c2.learningStats.policiesReceived >= 2, 30_000);
      // Both streams, counted by the learner.
      assert.deepEqual([...streams.keys()].sort(), [0, 1]);
      assert.equal(streams.get(0), c1.learningStats.rowsSent);
      assert.equal(streams.get(1), c2.learningStats.rowsSent);
      assert.equal(learner.rowsReceived, sent);
      assert.equal(learner.learner!.steps, stored, "one transition of each stream at a time");
      assert.ok(learner.learner!.updates > 0);
      // The learner's policies reached both actors.
      for (const c of [c1, c2]) {
        assert.ok(c.learningStats.policiesReceived >= 2, `an actor received ${c.learningStats.policiesReceived} policies`);
        assert.ok(c.policyController!.offeredVersion >= 1);
      }
      // robot1's e-stop stopped robot1 from the next tick; robot2 went on under its policy.
      assert.ok(commands.robot1.slice(1000).every((c) => c.every((v) => v === 0)), "robot1 safe after its e-stop");
      assert.ok(commands.robot2.slice(1000).some((c) => c.some((v) => v > 0)), "robot2 still driven");
      assert.equal(c2.arbiter!.estopState.latched, false);
    } finally {
      await actors.stop();
      await learnerSet.stop();
      await transport.close();
    }
  });

  it("over the ROS transport (contract fake): two namespaced actors in one process and the learner train together", async () => {
    const rcl = new FakeRclnodejs();
    const p = (node: string, values: Record<string, unknown>) => Object.entries(values).flatMap(([k, v]) => ["-p", `${node}:${k}:=${typeof v === "string" ? JSON.stringify(v) : v}`]);
    const ros = await RosTransport.open(rcl, { rosArgs: [...p("controller", LEARNING_CONTROLLER), ...p("learner", { ...TINY_LEARNER, streams: 2 }), "-p", "sim:rate_hz:=50.0"], program: ["node", "tendon"] });
    const learnerSet = await startNodes({ nodes: ["learner"], transport: ros });
    const actors = await startNodes({ nodes: ["sim", "controller"], transport: ros, actors: 2, durationSec: 30, timer: new VirtualTimer() });
    try {
      assert.deepEqual(
        rcl.nodes.map((n) => n.name()),
        ["learner", "controller", "controller", "sim", "sim"],
      );
      await actors.finished;
      const learner = learnerSet.get<LearnerNode>("learner")!;
      const c = [actors.get<ControllerNode>("controller", "robot1")!, actors.get<ControllerNode>("controller", "robot2")!];
      const sent = c[0].learningStats.rowsSent + c[1].learningStats.rowsSent;
      await until(() => learner.rowsReceived >= sent && c.every((x) => x.learningStats.policiesReceived >= 2), 30_000);
      assert.ok(c.every((x) => x.learningStats.rowsSent > 300), `rows sent ${c.map((x) => x.learningStats.rowsSent).join(", ")}`);
      assert.equal(learner.rowsReceived, sent);
      assert.ok(learner.learner!.steps > 0);
      for (const x of c) assert.ok(x.learningStats.policiesReceived >= 2, `an actor received ${x.learningStats.policiesReceived} policies`);
    } finally {
      await actors.stop();
      await learnerSet.stop();
      await ros.close();
    }
  });
});
