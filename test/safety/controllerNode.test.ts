import assert from "node:assert/strict";
import { ManualClock } from "../../src/core/clock.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import { startNodes, type NodeSet } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { createJointState, createVector, setStamp } from "../../src/transport/messages.js";

const quiet = (): void => undefined;

describe("the arbiter in the ROS 2 controller node (in-process transport)", () => {
  let transport: InProcessTransport;
  let set: NodeSet;
  let clock: ManualClock;
  let t = 0;
  let states: () => number[];
  let teleop: (values: number[]) => void;
  let estop: (topic: "/estop" | "/estop_reset", data: boolean) => void;
  let owners: Record<string, string>[];
  let events: Record<string, any>[];

  beforeEach(async () => {
    transport = new InProcessTransport({ log: quiet });
    clock = new ManualClock();
    set = await startNodes({ nodes: ["controller"], transport, clock });
    const feeder = transport.createNode("feeder");
    const statePub = feeder.createPublisher("sensor_msgs/msg/JointState", "/muscle_states");
    const teleopPub = feeder.createPublisher("std_msgs/msg/Float64MultiArray", "/muscle_commands/teleop");
    const estopPub = feeder.createPublisher("std_msgs/msg/Bool", "/estop");
    const resetPub = feeder.createPublisher("std_msgs/msg/Bool", "/estop_reset");
    const msg = createJointState(["a_flexor", "a_extensor", "b_flexor"]);
    let last: number[] = [];
    feeder.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").subscribe((m) => (last = Array.from(m.data)));
    owners = [];
    events = [];
    feeder.subscribe("std_msgs/msg/String", "/arbiter/owners").subscribe((m) => owners.push(JSON.parse(m.data)));
    feeder.subscribe("std_msgs/msg/String", "/arbiter/events").subscribe((m) => events.push(JSON.parse(m.data)));
    t = 0;
    states = () => {
      t += 0.01;
      clock.advance(0.01);
      setStamp(msg.header.stamp, t);
      for (let i = 0; i < 3; i++) msg.position[i] = 0.1 + 0.01 * Math.sin(30 * t + i);
      statePub.publish(msg);
      return last;
    };
    const cmd = createVector(3);
    teleop = (values) => {
      cmd.data.set(values);
      teleopPub.publish(cmd);
    };
    estop = (topic, data) => (topic === "/estop" ? estopPub : resetPub).publish({ data });
  });

  afterEach(async () => {
    await set.stop();
    await transport.close();
  });

  it("teleop takes over with a rate-limited ramp; /estop latches the safe command until /estop_reset; owners and events are published", async () => {
    const controller = set.get<ControllerNode>("controller")!;
    states();
    for (let k = 0; k < 5; k++) states();
    await Promise.resolve();
    assert.deepEqual(owners.at(-1), { a: "dep", b: "dep" });

    teleop([1, 0, 1]);
    let prev = states();
    // Hand-over: 0.5 s for the range [0, 1] at 10 ms ticks (from the stamps): at most 0.02 a tick.
    for (let k = 0; k < 60; k++) {
      const c = states();
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(c[i] - prev[i]) <= 0.02 + 1e-9, `muscle ${i} jumped ${c[i] - prev[i]}`);
      prev = c;
      if (k % 20 === 0) teleop([1, 0, 1]);
    }
    assert.deepEqual(prev, [1, 0, 1]);
    await Promise.resolve();
    assert.deepEqual(owners.at(-1), { a: "teleop", b: "teleop" });

    estop("/estop", true);
    assert.deepEqual(states(), [0, 0, 0], "the next tick is safe");
    teleop([1, 0, 1]);
    for (let k = 0; k < 10; k++) assert.deepEqual(states(), [0, 0, 0], "latched: nothing moves");
    estop("/estop", false);
    estop("/estop_reset", false);
    assert.deepEqual(states(), [0, 0, 0], "false on either topic does nothing");
    await Promise.resolve();
    assert.deepEqual(owners.at(-1), { a: "estop", b: "estop" });
    assert.equal(controller.arbiter!.estopLatched, true);

    estop("/estop_reset", true);
    const after = states();
    assert.ok(after.every((u) => u <= 0.02 + 1e-9), `ramps up from the safe command: ${after}`);
    assert.deepEqual(
      events.filter((e) => e.type === "estop" || e.type === "estop_reset").map((e) => [e.type, e.by]),
      [
        ["estop", "ros"],
        ["estop_reset", "ros"],
      ],
    );
  });

  it("an e-stop that arrives before the first state applies from the first tick", () => {
    estop("/estop", true);
    states();
    assert.deepEqual(states(), [0, 0, 0]);
    assert.deepEqual(states(), [0, 0, 0]);
  });
});
