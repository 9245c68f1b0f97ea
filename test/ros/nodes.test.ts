/**
 * tendon's nodes composed in one process on the in-process transport: what they publish, how the
 * controller arbitrates, how parameters change between ticks, what the bridge does without
 * commands. The same node code runs over ROS (see RosTransport.test.ts).
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/core/clock.js";
import type { BridgeNode } from "../../src/nodes/BridgeNode.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes, type NodeSet } from "../../src/nodes/nodeSet.js";
import type { TeleopNode } from "../../src/nodes/TeleopNode.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import {
  createJointState,
  createJoy,
  createVector,
  stampToSec,
  setStamp,
  type ClockMsg,
  type DiagnosticArrayMsg,
  type Float64MultiArrayMsg,
  type JointStateMsg,
} from "../../src/transport/messages.js";
import { MirrorBridge } from "../helpers/MirrorBridge.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";

const quiet = (): void => undefined;

interface Recorded {
  joints: { stampSec: number; position: number[]; velocity: Float64Array; effort: Float64Array }[];
  muscles: { stampSec: number; name: string[]; position: Float64Array }[];
  commands: number[][];
  clock: number[];
  matrix: Float64MultiArrayMsg[];
  diagnostics: DiagnosticArrayMsg[];
  commandLayout?: Float64MultiArrayMsg["layout"];
}

/** A spy node copying what it receives (in process, messages are shared: copy to keep). */
function record(transport: InProcessTransport): Recorded {
  const spy = transport.createNode("spy");
  const r: Recorded = { joints: [], muscles: [], commands: [], clock: [], matrix: [], diagnostics: [] };
  spy.subscribe("sensor_msgs/msg/JointState", "/joint_states").subscribe((m: JointStateMsg) =>
    r.joints.push({ stampSec: stampToSec(m.header.stamp), position: Array.from(m.position), velocity: m.velocity, effort: m.effort }),
  );
  spy.subscribe("sensor_msgs/msg/JointState", "/muscle_states").subscribe((m) => r.muscles.push({ stampSec: stampToSec(m.header.stamp), name: m.name, position: m.position.slice() }));
  spy.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").subscribe((m) => {
    r.commands.push(Array.from(m.data));
    r.commandLayout = structuredClone(m.layout);
  });
  spy.subscribe("rosgraph_msgs/msg/Clock", "/clock").subscribe((m: ClockMsg) => r.clock.push(stampToSec(m.clock)));
  spy.subscribe("std_msgs/msg/Float64MultiArray", "/dep/matrix").subscribe((m) => r.matrix.push(structuredClone(m)));
  spy.subscribe("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics").subscribe((m) => r.diagnostics.push(structuredClone(m)));
  return r;
}

async function simAndController(ticks: number, seed = 0): Promise<{ set: NodeSet; rec: Recorded; transport: InProcessTransport }> {
  const transport = new InProcessTransport({ parameters: new Map([["sim", { mode: "lockstep", rate_hz: 100, seed }]]), log: quiet });
  const rec = record(transport);
  const set = await startNodes({ nodes: ["sim", "controller"], transport, durationSec: ticks / 100 });
  await set.finished;
  await set.stop();
  return { set, rec, transport };
}

describe("nodes composed in one process", function () {
  this.timeout(30_000);

  it("sim + controller in lockstep: states, clock, commands every tick, in rclnodejs's shapes", async () => {
    const { set, rec } = await simAndController(300);
    const sim = set.get<BridgeNode>("sim")!;
    assert.equal(sim.result!.ticks, 300);
    assert.equal(rec.joints.length, 300);
    assert.equal(rec.muscles.length, 300);
    // The first reading configures the controller; every later one gets its command within the tick.
    assert.equal(sim.counters.ticksCommanded, 299);
    assert.equal(rec.commands.length, 299 + 1, "and one safe command when the controller stops");
    assert.deepEqual(rec.commands.at(-1), [0, 0, 0, 0, 0, 0]);
    assert.ok(rec.commands.slice(0, -1).every((c) => c.length === 6 && c.every((u) => u >= 0 && u <= 1)));
    assert.ok(rec.commands.slice(20, -1).some((c) => c.some((u) => u > 0.01)), "DEP moves the arm");
    assert.deepEqual(rec.commandLayout, { dim: [{ label: "muscle", size: 6, stride: 6 }], data_offset: 0 });
    // Stamps are simulated time, 10 ms apart; /clock carries the same time.
    assert.ok(Math.abs(rec.joints[1].stampSec - rec.joints[0].stampSec - 0.01) < 1e-9);
    assert.ok(Math.abs(rec.clock[299] - rec.joints[299].stampSec) < 1e-12);
    assert.ok(rec.joints[0].velocity instanceof Float64Array);
    assert.equal(rec.joints[0].effort.length, 0, "joints carry no effort");
    assert.equal(rec.muscles[0].name.length, 6);
    // The DEP matrix, 2-D: motor x sensor, row-major, every 0.1 s of stamps.
    assert.ok(rec.matrix.length >= 29 && rec.matrix.length <= 31, `${rec.matrix.length} matrices`);
    assert.deepEqual(rec.matrix[0].layout.dim, [
      { label: "motor", size: 6, stride: 36 },
      { label: "sensor", size: 6, stride: 6 },
    ]);
    assert.equal(rec.matrix[0].data.length, 36);
    // Diagnostics when the nodes stop: loop statistics and link counters.
    const names = rec.diagnostics.flatMap((d) => d.status.map((s) => s.name));
    assert.ok(names.includes("sim: control loop") && names.includes("sim: command link") && names.includes("controller: DEP"), names.join(", "));
    const link = rec.diagnostics.flatMap((d) => d.status).find((s) => s.name === "sim: command link")!;
    assert.equal(link.values.find((v) => v.key === "commands_received")?.value, "299");
  });

  it("is deterministic for a seed in lockstep", async () => {
    const a = await simAndController(120, 4);
    const b = await simAndController(120, 4);
    assert.deepEqual(a.rec.commands, b.rec.commands);
  });

  describe("the controller node, fed by hand", () => {
    let transport: InProcessTransport;
    let set: NodeSet;
    let clock: ManualClock;
    let states: (t: number) => void;
    let commands: number[][];
    let joy: (buttons: number[], axes: number[]) => void;

    beforeEach(async () => {
      // transition_sec 0: a source's command is written as is from its first tick (no hand-over ramp).
      transport = new InProcessTransport({ log: quiet, parameters: new Map<string, Record<string, unknown>>([["teleop", { muscles: 3 }], ["controller", { transition_sec: 0 }]]) });
      clock = new ManualClock();
      set = await startNodes({ nodes: ["controller", "teleop", "learner"], transport, clock });
      const feeder = transport.createNode("feeder");
      const statePub = feeder.createPublisher("sensor_msgs/msg/JointState", "/muscle_states");
      const joyPub = feeder.createPublisher("sensor_msgs/msg/Joy", "/joy");
      const msg = createJointState(["a", "b", "c"]);
      states = (t) => {
        setStamp(msg.header.stamp, t);
        for (let i = 0; i < 3; i++) msg.position[i] = 0.1 + 0.01 * Math.sin(30 * t + i);
        statePub.publish(msg);
      };
      commands = [];
      feeder.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").subscribe((m) => commands.push(Array.from(m.data)));
      const j = createJoy(6, 8);
      joy = (buttons, axes) => {
        j.buttons.fill(0);
        j.buttons.set(buttons);
        j.axes.set(axes);
        joyPub.publish(j);
      };
    });

    afterEach(async () => {
      await set.stop();
      await transport.close();
    });

    it("answers each state within the publish call; teleop with the deadman held overrides DEP until its timeout", () => {
      const controller = set.get<ControllerNode>("controller")!;
      const teleop = set.get<TeleopNode>("teleop")!;
      states(0.01);
      assert.equal(commands.length, 0, "the first state configures");
      states(0.02);
      assert.equal(commands.length, 1);
      joy([], [1, -1, 0]);
      assert.equal(teleop.published, 0, "no deadman, no command");
      joy([0, 0, 0, 0, 0, 1], [1, -1, 0]);
      assert.equal(teleop.published, 1);
      states(0.03);
      assert.deepEqual(commands.at(-1), [1, 0, 0.5]);
      clock.advance(0.4);
      states(0.04);
      assert.deepEqual(commands.at(-1), [1, 0, 0.5], "still fresh after 0.4 s");
      clock.advance(0.2);
      states(0.05);
      assert.notDeepEqual(commands.at(-1), [1, 0, 0.5], "DEP again after the 0.5 s timeout");
      assert.equal(controller.sourceTicks.get("teleop"), 2);
      assert.equal(controller.sourceTicks.get("dep"), 2);
    });

    it("parameters: a bad value is rejected with a reason; a good one waits for the tick boundary and restarts DEP", () => {
      const controller = set.get<ControllerNode>("controller")!;
      states(0.01);
      states(0.02);
      const bad = controller.params.set({ kappa: -1 });
      assert.equal(bad.successful, false);
      assert.match(bad.reason, /kappa \(-1\) must be a finite number > 0/);
      assert.equal(controller.params.set({ kappa: 50 }).successful, true);
      assert.equal(controller.controller!.params.kappa, 100, "nothing changes mid-way");
      states(0.03); // this tick still runs with kappa 100; the change applies after it
      assert.equal(controller.controller!.params.kappa, 50);
      assert.equal(controller.restarts, 1);
      const before = commands.length;
      states(0.04);
      assert.equal(commands.length, before + 1, "the restarted controller answers the next state");
    });

    it("a rate limit set at run time keeps DEP running and limits the next commands from the last one sent", () => {
      const controller = set.get<ControllerNode>("controller")!;
      for (let k = 1; k <= 40; k++) states(k * 0.01);
      assert.equal(controller.params.set({ max_rate_per_sec: 1 }).successful, true);
      states(0.41);
      const last = commands.at(-1)!;
      for (let k = 42; k <= 80; k++) {
        states(k * 0.01);
        const c = commands.at(-1)!;
        for (let i = 0; i < 3; i++) assert.ok(Math.abs(c[i] - last[i]) <= 0.01 + 1e-12, `muscle ${i} moved ${c[i] - last[i]} in 10 ms`);
        last.splice(0, 3, ...c);
      }
      assert.equal(controller.restarts, 0);
    });

    it("the learner records (state, command, next state) and publishes nothing on /policy", () => {
      const learner = set.get<LearnerNode>("learner")!;
      let policies = 0;
      transport.createNode("watcher").subscribe("std_msgs/msg/Float64MultiArray", "/policy").subscribe(() => policies++);
      for (let k = 1; k <= 11; k++) states(k * 0.01);
      assert.equal(learner.ticksReceived, 10);
      assert.equal(learner.transitions, 9);
      const t0 = learner.transition(0);
      const t1 = learner.transition(1);
      assert.deepEqual(Array.from(t0.nextState), Array.from(t1.state));
      assert.deepEqual(Array.from(t0.command), commands[0]);
      assert.equal(policies, 0);
      assert.equal(learner.policyUpdates, 0);
      assert.throws(() => learner.transition(9), /does not exist/);
    });
  });

  it("a bridge without fresh commands writes the safe command; commands of the wrong size are ignored", async () => {
    const transport = new InProcessTransport({ log: quiet, parameters: new Map([["hardware", { rate_hz: 100, command_timeout_sec: 0.05 }]]) });
    const bridge = new MirrorBridge();
    const feeder = transport.createNode("feeder");
    const pub = feeder.createPublisher("std_msgs/msg/Float64MultiArray", "/muscle_commands");
    const good = createVector(3);
    good.data.set([0.5, 0.6, 0.7]);
    let answered = 0;
    // Answers the first 20 states, then goes quiet; sends one command of the wrong size.
    feeder.subscribe("sensor_msgs/msg/JointState", "/muscle_states").subscribe(() => {
      if (answered++ < 20) pub.publish(good);
      if (answered === 25) pub.publish(createVector(5));
    });
    const set = await startNodes({ nodes: ["hardware"], transport, durationSec: 0.5, timer: new VirtualTimer(), hardwareBridge: () => bridge });
    await set.finished;
    await set.stop();
    const hw = set.get<BridgeNode>("hardware")!;
    const w = bridge.written;
    assert.deepEqual(w[0], [0.5, 0.6, 0.7]);
    assert.deepEqual(w[24], [0.5, 0.6, 0.7], "within the 5-tick timeout");
    assert.deepEqual(w[25], [0, 0, 0], "then the safe command");
    assert.deepEqual(w.at(-1), [0, 0, 0]);
    assert.equal(hw.counters.commandsRejected, 1);
    assert.equal(hw.counters.commandsReceived, 20);
    assert.equal(bridge.state, "finalized", "the node shuts its bridge down");
  });

  it("rejects node sets that cannot work, before anything starts", async () => {
    const transport = new InProcessTransport({ log: quiet });
    await assert.rejects(startNodes({ nodes: ["sim", "hardware"], transport }), /run one of them/);
    await assert.rejects(startNodes({ nodes: ["mystery" as "sim"], transport }), /unknown node 'mystery'/);
    const bad = new InProcessTransport({ log: quiet, parameters: new Map([["controller", { kappa: 0 }]]) });
    await assert.rejects(startNodes({ nodes: ["controller"], transport: bad }), /node 'controller': kappa \(0\) must be a finite number > 0/);
  });
});
