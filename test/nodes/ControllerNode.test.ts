/**
 * The controller node's pipeline is a ControlLoop ticked by message arrival: driven here by hand
 * (states published one by one, a manual clock for the sources' timeouts), and the topic-backed
 * bridge's ticks with marbles.
 */
import assert from "node:assert/strict";
import { Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { ManualClock } from "../../src/core/clock.js";
import { createSensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import { startNodes, type NodeSet } from "../../src/nodes/nodeSet.js";
import { TopicBridge } from "../../src/nodes/TopicBridge.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { createJointState, createVector, setStamp, type Float64MultiArrayMsg, type JointStateMsg } from "../../src/transport/messages.js";

const quiet = (): void => undefined;
const SPEC: RobotSpec = {
  name: "muscle_states",
  commandUnit: "activation",
  muscles: ["a", "b"].map((name) => ({ name, commandMin: 0, commandMax: 1, safeCommand: 0 })),
  joints: [],
};

function stateAt(t: number, names = ["a", "b"]): JointStateMsg {
  const m = createJointState(names);
  setStamp(m.header.stamp, t);
  m.position.fill(0.1 + t);
  return m;
}

describe("TopicBridge ticks (marbles)", () => {
  it("emits one tick per state message, the stamp as its time and the stamp's step as its period", () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ hot, expectObservable }) => {
      const states$ = hot("-a-b--c", { a: stateAt(1), b: stateAt(1.01), c: stateAt(1.03) });
      const bridge = new TopicBridge({ spec: SPEC, states$, joints: () => undefined, commands: { topic: "/muscle_commands", publish: () => undefined }, nominalPeriodSec: 0.005 });
      // The tick object is reused: copy the fields as they are when emitted.
      const seen$ = new Subject<unknown>();
      bridge.ticks.subscribe((t) => seen$.next({ index: t.index, startSec: t.startSec, periodSec: +t.periodSec.toFixed(6) }));
      expectObservable(seen$).toBe("-a-b--c", {
        a: { index: 0, startSec: 1, periodSec: 0.005 },
        b: { index: 1, startSec: 1.01, periodSec: 0.01 },
        c: { index: 2, startSec: 1.03, periodSec: 0.02 },
      });
    });
  });

  it("reads the newest state once as fresh; writes publish until detached", () => {
    const states$ = new Subject<JointStateMsg>();
    const sent: number[][] = [];
    const bridge = new TopicBridge({ spec: SPEC, states$, joints: () => undefined, commands: { topic: "/muscle_commands", publish: (m: Float64MultiArrayMsg) => sent.push(Array.from(m.data)) } });
    const frame = createSensorFrame(SPEC);
    bridge.ticks.subscribe();
    assert.equal(bridge.read(0, 0.01, frame), false, "nothing yet");
    states$.next(stateAt(2));
    assert.equal(bridge.read(0, 0.01, frame), true);
    assert.deepEqual(Array.from(frame.muscleLengthM), [2.1, 2.1]);
    assert.equal(frame.stampSec, 2);
    assert.equal(bridge.read(0, 0.01, frame), false, "the same message is not fresh twice");
    const command = { stampSec: 0, values: Float64Array.from([0.2, 0.3]) };
    bridge.write(0, 0.01, command);
    assert.deepEqual(sent, [], "inactive: nothing written");
    bridge.activateNow();
    bridge.write(0, 0.01, command);
    bridge.detach();
    bridge.write(0, 0.01, command);
    assert.deepEqual(sent, [[0.2, 0.3]]);
  });
});

describe("ControllerNode runs a ControlLoop on message arrival", () => {
  let transport: InProcessTransport;
  let set: NodeSet;
  let clock: ManualClock;
  let publishState: (t: number) => void;
  let commands: number[][];
  let depCommands: number[][];

  beforeEach(async () => {
    transport = new InProcessTransport({
      log: quiet,
      // A narrow command range: the loop's limits, not DEP, decide the written values.
      parameters: new Map([["controller", { command_max: 0.3, safe_command: 0.05, transition_sec: 0, source_timeout_sec: 0.5 }]]),
    });
    clock = new ManualClock();
    set = await startNodes({ nodes: ["controller"], transport, clock });
    const feeder = transport.createNode("feeder");
    const statePub = feeder.createPublisher("sensor_msgs/msg/JointState", "/muscle_states");
    const msg = createJointState(["a", "b", "c"]);
    publishState = (t) => {
      setStamp(msg.header.stamp, t);
      for (let i = 0; i < 3; i++) msg.position[i] = 0.1 + 0.02 * Math.sin(40 * t + i);
      statePub.publish(msg);
    };
    commands = [];
    depCommands = [];
    feeder.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").subscribe((m) => commands.push(Array.from(m.data)));
    feeder.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands/dep").subscribe((m) => depCommands.push(Array.from(m.data)));
  });

  afterEach(async () => {
    await set.stop();
    await transport.close();
  });

  it("ticks once per state after the first, through DEP -> arbitration -> limits -> write", () => {
    const node = set.get<ControllerNode>("controller")!;
    publishState(0.01);
    assert.ok(node.loop instanceof ControlLoop, "the first state builds the loop");
    assert.equal(commands.length, 0, "the first state configures; control starts with the next");
    for (let k = 2; k <= 60; k++) publishState(k * 0.01);
    assert.equal(node.loop.stats.ticks, 59);
    assert.equal(commands.length, 59);
    assert.equal(depCommands.length, 59, "DEP's own command goes out before arbitration");
    for (const c of commands) for (const u of c) assert.ok(u >= 0 && u <= 0.3, `written ${u} outside [0, 0.3]`);
    assert.ok(
      depCommands.some((c) => c.some((u) => u > 0.3)),
      "DEP's raw output leaves the range somewhere, so the limits did work",
    );
  });

  it("a source on the manual clock wins over DEP until its timeout", () => {
    const node = set.get<ControllerNode>("controller")!;
    const teleop = transport.createNode("teleop_feeder").createPublisher("std_msgs/msg/Float64MultiArray", "/muscle_commands/teleop");
    publishState(0.01);
    publishState(0.02);
    const m = createVector(3);
    m.data.set([0.2, 0.25, 0.9]);
    teleop.publish(m);
    publishState(0.03);
    assert.deepEqual(commands.at(-1), [0.2, 0.25, 0.3], "teleop's command, clamped by the same limits");
    clock.advance(0.6);
    publishState(0.04);
    assert.notDeepEqual(commands.at(-1), [0.2, 0.25, 0.3], "DEP again after the timeout");
    assert.equal(node.sourceTicks.get("teleop"), 1);
  });

  it("a restart (new DEP parameters) replaces the loop without writing a safe command in between; stop() writes it once", async () => {
    const node = set.get<ControllerNode>("controller")!;
    for (let k = 1; k <= 5; k++) publishState(k * 0.01);
    const first = node.loop;
    assert.equal(node.params.set({ kappa: 50 }).successful, true);
    publishState(0.06); // the change applies after this tick
    assert.notEqual(node.loop, first, "a new loop for the new DEP");
    assert.equal(node.restarts, 1);
    const before = commands.length;
    publishState(0.07);
    assert.equal(commands.length, before + 1, "one command per state, no safe command from the old loop");
    await set.stop();
    assert.deepEqual(commands.at(-1), [0.05, 0.05, 0.05], "the safe command on stop");
    assert.equal(commands.length, before + 2);
  });
});
