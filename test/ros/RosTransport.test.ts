/**
 * Contract test of the ROS 2 transport against a fake rclnodejs 2.x (test/ros/fakeRclnodejs.ts),
 * shaped after the package's type declarations: every call the adapter makes, with the argument
 * types rclnodejs checks (bigint timer periods, QoS objects, Parameter and ParameterDescriptor
 * objects), messages delivered as rclnodejs delivers them, and a whole node set over it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { firstValueFrom, take, toArray } from "rxjs";
import { RosTransport } from "../../ros/RosTransport.js";
import { controllerParameterSpecs, checkControllerParameters } from "../../src/nodes/ControllerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import type { BridgeNode } from "../../src/nodes/BridgeNode.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import { createJointState, createVector, setStamp, type Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { param, ParameterError } from "../../src/transport/parameters.js";
import { QOS_CONTROL, QOS_LATCHED } from "../../src/transport/Transport.js";
import { MirrorBridge } from "../helpers/MirrorBridge.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";
import { FakeRclnodejs, type FakeNode, Parameter, ParameterType, QoS } from "./fakeRclnodejs.js";

const PROGRAM = ["node", "tendon"];
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function open(rosArgs: string[] = []): Promise<{ rcl: FakeRclnodejs; transport: RosTransport }> {
  const rcl = new FakeRclnodejs();
  const transport = await RosTransport.open(rcl, { rosArgs, program: PROGRAM });
  return { rcl, transport };
}

function fakeNode(rcl: FakeRclnodejs, name: string): FakeNode {
  const n = rcl.nodes.find((x) => x.nodeName === name);
  assert.ok(n, `no rcl node '${name}'`);
  return n;
}

describe("RosTransport (contract with rclnodejs 2.x, against a fake)", () => {
  it("removes rclnodejs's SIGINT handler before init, and passes the ROS arguments after --ros-args", async () => {
    const { rcl, transport } = await open(["-p", "sim:seed:=3"]);
    assert.equal(rcl.signalHandlerInstalled, false);
    assert.deepEqual(
      rcl.calls.slice(0, 2).map((c) => c.call),
      ["removeSignalHandlers", "init"],
    );
    assert.deepEqual(rcl.initArgv, [...PROGRAM, "--ros-args", "-p", "sim:seed:=3"]);
    await transport.close();
    const bare = await open();
    assert.deepEqual(bare.rcl.initArgv, PROGRAM, "no --ros-args without ROS arguments");
    await bare.transport.close();
  });

  it("makes one spinning rcl node per tendon node, and refuses a second node of the same name", async () => {
    const { rcl, transport } = await open();
    const node = transport.createNode("controller");
    assert.equal(node.name, "controller");
    assert.equal(fakeNode(rcl, "controller").spinning, true);
    assert.throws(() => transport.createNode("controller"), /already exists/);
    await transport.close();
  });

  it("publishes with QoS objects and delivers messages as rclnodejs does: typed arrays, {sec, nanosec} stamps", async () => {
    const { rcl, transport } = await open();
    const a = transport.createNode("a");
    const b = transport.createNode("b");
    const pub = a.createPublisher("sensor_msgs/msg/JointState", "/muscle_states", QOS_CONTROL);
    const got = firstValueFrom(b.subscribe("sensor_msgs/msg/JointState", "/muscle_states", QOS_CONTROL));
    const msg = createJointState(["m0", "m1"]);
    setStamp(msg.header.stamp, 12.25);
    msg.position.set([0.1, 0.2]);
    msg.effort.set([3, 4]);
    pub.publish(msg);
    msg.position[0] = 99; // serialized at publish: the subscriber must not see this
    const m = await got;
    assert.ok(m.position instanceof Float64Array && m.velocity instanceof Float64Array && m.effort instanceof Float64Array);
    assert.deepEqual(Array.from(m.position), [0.1, 0.2]);
    assert.deepEqual(m.header.stamp, { sec: 12, nanosec: 250_000_000 });
    assert.deepEqual(m.name, ["m0", "m1"]);
    const create = rcl.called("createPublisher")[0].args[3] as { qos: QoS };
    assert.ok(create.qos instanceof QoS);
    assert.equal(create.qos.depth, 1);
    assert.equal(create.qos.history, QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST);
    assert.equal(create.qos.reliability(), QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE);
    assert.equal(create.qos.durability, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE);
    const sub = rcl.called("createObservableSubscription")[0].args[3] as { qos: QoS; enableTypedArray: boolean };
    assert.equal(sub.enableTypedArray, true);
    a.createPublisher("std_msgs/msg/Float64MultiArray", "/policy", QOS_LATCHED);
    const latched = (rcl.called("createPublisher")[1].args[3] as { qos: QoS }).qos;
    assert.equal(latched.durability, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL);
    await transport.close();
  });

  it("a transient_local topic's last sample reaches a later transient_local subscriber, not a volatile one (as DDS)", async () => {
    const { transport } = await open();
    const a = transport.createNode("a");
    const pub = a.createPublisher("std_msgs/msg/Float64MultiArray", "/latched", QOS_LATCHED);
    for (const x of [1, 2]) {
      const v = createVector(1);
      v.data[0] = x;
      pub.publish(v);
    }
    await new Promise((r) => setImmediate(r));
    const latched: number[] = [];
    const volatile: number[] = [];
    transport.createNode("b").subscribe("std_msgs/msg/Float64MultiArray", "/latched", QOS_LATCHED).subscribe((m: Float64MultiArrayMsg) => latched.push(m.data[0]));
    transport.createNode("c").subscribe("std_msgs/msg/Float64MultiArray", "/latched").subscribe((m: Float64MultiArrayMsg) => volatile.push(m.data[0]));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(latched, [2], "depth 1: the newest sample only");
    assert.deepEqual(volatile, []);
    await transport.close();
  });

  it("every message tendon builds passes rclnodejs's type checks", async () => {
    const { transport } = await open();
    const a = transport.createNode("a");
    const v = createVector(3);
    v.data.set([1, Number.NaN, -1]);
    assert.doesNotThrow(() => a.createPublisher("std_msgs/msg/Float64MultiArray", "/muscle_commands").publish(v));
    const bad = { layout: { dim: [{ label: "muscle", size: -1, stride: 3 }], data_offset: 0 }, data: new Float64Array(3) };
    assert.throws(() => a.createPublisher("std_msgs/msg/Float64MultiArray", "/x").publish(bad), /size/);
    await transport.close();
  });

  it("shares one rcl subscription among subscribers and destroys it (not only its subject) with the last", async () => {
    const { rcl, transport } = await open();
    const a = transport.createNode("a");
    const msgs$ = a.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands");
    const s1 = msgs$.subscribe();
    const s2 = msgs$.subscribe();
    assert.equal(rcl.called("createObservableSubscription").length, 1);
    s1.unsubscribe();
    assert.equal(rcl.called("destroySubscription").length, 0);
    s2.unsubscribe();
    assert.equal(rcl.called("destroySubscription").length, 1);
    assert.equal(rcl.bus.get("/muscle_commands")?.size ?? 0, 0, "the rcl subscription is gone");
    await transport.close();
  });

  it("creates timers with a bigint period in nanoseconds (a number throws in rclnodejs)", async () => {
    const { rcl, transport } = await open();
    const a = transport.createNode("a");
    const timer = a.createTimer(0.25, () => undefined);
    const [call] = rcl.called("createTimer");
    assert.equal(typeof call.args[1], "bigint");
    assert.equal(call.args[1], 250_000_000n);
    assert.throws(() => fakeNode(rcl, "a").createTimer(250_000_000 as unknown as bigint, () => undefined), /bigint/);
    timer.cancel();
    assert.equal(rcl.called("destroyTimer").length, 1);
    await transport.close();
  });

  it("declares parameters with descriptors: type, description, read-only, constraints as text (no range)", async () => {
    const { rcl, transport } = await open();
    const node = transport.createNode("controller");
    node.declareParameters(controllerParameterSpecs(), checkControllerParameters);
    const fake = fakeNode(rcl, "controller");
    const kappa = fake.descriptors.get("kappa")!;
    assert.equal(kappa.type, ParameterType.PARAMETER_DOUBLE);
    assert.match(kappa.description, /loop gain/);
    assert.equal(kappa.readOnly, false);
    assert.equal(kappa.additionalConstraints, "> 0 and <= 1000000");
    assert.equal(kappa.range, undefined);
    assert.equal(fake.descriptors.get("tau")!.type, ParameterType.PARAMETER_INTEGER);
    assert.equal(fake.getParameter("tau")!.value, 20n, "integers are declared as bigint");
    assert.equal(fake.descriptors.get("command_sources")!.type, ParameterType.PARAMETER_STRING_ARRAY);
    assert.equal(fake.descriptors.get("output_mapping")!.readOnly, true);
    assert.equal(fake.descriptors.get("with_learning")!.type, ParameterType.PARAMETER_BOOL);
    await transport.close();
  });

  it("takes start-up values from --params-file and -p; an integer is accepted for a double; bad values fail with the node's reason", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-ros-"));
    const file = path.join(dir, "p.yaml");
    fs.writeFileSync(file, "controller:\n  ros__parameters:\n    kappa: 250\n    tau: 30\n/**:\n  ros__parameters:\n    use_sim_time: true\n");
    const { transport } = await open(["--params-file", file, "-p", "controller:force_scale:=0.5"]);
    const p = transport.createNode("controller").declareParameters(controllerParameterSpecs(), checkControllerParameters);
    assert.equal(p.values.kappa, 250);
    assert.equal(p.values.tau, 30);
    assert.equal(p.values.force_scale, 0.5);
    await transport.close();

    fs.writeFileSync(file, "controller:\n  ros__parameters:\n    kappa: -1.0\n");
    const bad = await open(["--params-file", file]);
    assert.throws(
      () => bad.transport.createNode("controller").declareParameters(controllerParameterSpecs(), checkControllerParameters),
      (err: unknown) => err instanceof ParameterError && /kappa \(-1\) must be a finite number > 0/.test(err.message),
    );
    await bad.transport.close();
    fs.rmSync(dir, { recursive: true });
  });

  it("answers ros2 param set with tendon's reasons, and applies accepted changes between ticks", async () => {
    const { rcl, transport } = await open();
    const params = transport.createNode("controller").declareParameters(controllerParameterSpecs(), checkControllerParameters);
    const fake = fakeNode(rcl, "controller");
    const rejected = fake.setParameters([new Parameter("kappa", ParameterType.PARAMETER_DOUBLE, -1)]);
    assert.equal(rejected.successful, false);
    assert.match(rejected.reason, /kappa \(-1\) must be a finite number > 0/);
    assert.equal(fake.getParameter("kappa")!.value, 100, "rcl keeps the old value");
    // `ros2 param set /controller kappa 50` sends an integer: accepted for a double.
    const ok = fake.setParameters([new Parameter("kappa", ParameterType.PARAMETER_INTEGER, 50n)]);
    assert.deepEqual(ok, { successful: true, reason: "" });
    assert.equal(params.values.kappa, 100, "not applied until the tick boundary");
    assert.deepEqual(params.applyPending(), ["kappa"]);
    assert.equal(params.values.kappa, 50);
    const cross = fake.setParameters([new Parameter("buffer_size", ParameterType.PARAMETER_INTEGER, 10n)]);
    assert.equal(cross.successful, false);
    assert.match(cross.reason, /buffer_size \(10\) must be >= tau \+ time_dist \+ 1/);
    const ro = fake.setParameters([new Parameter("output_mapping", ParameterType.PARAMETER_STRING, "linear")]);
    assert.equal(ro.successful, false);
    const wrongType = fake.setParameters([new Parameter("kappa", ParameterType.PARAMETER_STRING, "high")]);
    assert.equal(wrongType.successful, false);
    await transport.close();
  });

  it("logs through the node's logger and closes everything once", async () => {
    const { rcl, transport } = await open();
    const node = transport.createNode("sim");
    node.log("warn", "a warning");
    node.log("info", "some news");
    assert.deepEqual(fakeNode(rcl, "sim").logs, [
      { level: "warn", message: "a warning" },
      { level: "info", message: "some news" },
    ]);
    await transport.close();
    await transport.close();
    assert.equal(fakeNode(rcl, "sim").destroyed, true);
    assert.equal(rcl.isShutdown(), true);
    assert.equal(rcl.called("shutdown").length, 1);
  });

  it("runs a bridge and the controller over it for hundreds of ticks, and covers every call the adapter makes", async function () {
    this.timeout(20_000);
    const { rcl, transport } = await open(["-p", "controller:kappa:=50.0"]);
    const timer = new VirtualTimer();
    const set = await startNodes({
      nodes: ["hardware", "controller", "teleop", "learner"],
      transport,
      durationSec: 3,
      timer,
      hardwareBridge: () => new MirrorBridge(),
    });
    const spy = transport.createNode("spy");
    const commands = firstValueFrom(spy.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").pipe(take(5), toArray()));
    try {
      await set.finished;
      const hw = set.get<BridgeNode>("hardware")!;
      const controller = set.get<ControllerNode>("controller")!;
      assert.equal(hw.result?.ticks, 1500);
      assert.ok(controller.ticks > 1000, `controller ticked ${controller.ticks} times`);
      assert.ok(hw.counters.ticksCommanded > 1000, `bridge wrote ${hw.counters.ticksCommanded} received commands`);
      assert.equal(controller.params.values.kappa, 50);
      const got = await commands;
      assert.ok(got.every((m) => m.data instanceof Float64Array && m.data.length === 3));
      // A parameter set over "ROS" reaches the running node.
      assert.equal(fakeNode(rcl, "controller").setParameters([new Parameter("kappa", ParameterType.PARAMETER_DOUBLE, 0)]).successful, false);
    } finally {
      await set.stop();
      await tick();
      await transport.close();
    }
    const made = new Set(rcl.calls.map((c) => c.call));
    for (const call of [
      "removeSignalHandlers",
      "init",
      "Node",
      "spin",
      "createPublisher",
      "createObservableSubscription",
      "destroySubscription",
      "createTimer",
      "destroyTimer",
      "getParameterOverrides",
      "declareParameter",
      "addPreSetParametersCallback",
      "addOnSetParametersCallback",
      "destroy",
      "shutdown",
    ]) {
      assert.ok(made.has(call), `the adapter never called ${call}`);
    }
    const declared = rcl.called("declareParameter");
    assert.ok(declared.every((c) => c.args[2] !== undefined && c.args[3] === true), "every parameter has a descriptor and its validated start-up value");
  });

  it("a parameter kind the adapter declares survives rclnodejs's own value checks", async () => {
    const { transport } = await open();
    const specs = {
      ints: param.integerArray("ints", { default: [1, 2], description: "integers" }),
      names: param.stringArray("names", { default: ["a"], description: "names" }),
      flag: param.bool("flag", { default: false, description: "a flag" }),
    };
    const p = transport.createNode("n").declareParameters(specs);
    assert.deepEqual(p.values.ints, [1, 2]);
    await transport.close();
  });
});
