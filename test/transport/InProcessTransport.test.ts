import assert from "node:assert/strict";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { createVector } from "../../src/transport/messages.js";
import { param } from "../../src/transport/parameters.js";
import { QOS_LATCHED } from "../../src/transport/Transport.js";

describe("InProcessTransport", () => {
  it("delivers the published object itself, synchronously (no copy)", () => {
    const t = new InProcessTransport();
    const a = t.createNode("a");
    const b = t.createNode("b");
    const seen: unknown[] = [];
    b.subscribe("std_msgs/msg/Float64MultiArray", "/x").subscribe((m) => seen.push(m));
    const msg = createVector(2);
    a.createPublisher("std_msgs/msg/Float64MultiArray", "/x").publish(msg);
    assert.equal(seen.length, 1, "delivered inside publish()");
    assert.equal(seen[0], msg);
  });

  it("refuses a second type on a topic, and relative topic names", () => {
    const t = new InProcessTransport();
    const a = t.createNode("a");
    a.createPublisher("std_msgs/msg/Float64MultiArray", "/x");
    assert.throws(() => a.subscribe("sensor_msgs/msg/JointState", "/x"), /carries std_msgs\/msg\/Float64MultiArray/);
    assert.throws(() => a.createPublisher("sensor_msgs/msg/JointState", "joint_states"), /must start with '\/'/);
  });

  it("replays the last message of a transient_local topic to a late subscriber, and only then", () => {
    const t = new InProcessTransport();
    const a = t.createNode("a");
    const latched = a.createPublisher("std_msgs/msg/Float64MultiArray", "/latched", QOS_LATCHED);
    const plain = a.createPublisher("std_msgs/msg/Float64MultiArray", "/plain");
    latched.publish(createVector(1));
    plain.publish(createVector(1));
    let l = 0;
    let p = 0;
    a.subscribe("std_msgs/msg/Float64MultiArray", "/latched").subscribe(() => l++);
    a.subscribe("std_msgs/msg/Float64MultiArray", "/plain").subscribe(() => p++);
    assert.equal(l, 1);
    assert.equal(p, 0);
  });

  it("destroying a node ends its subscriptions and silences its publishers", () => {
    const t = new InProcessTransport();
    const a = t.createNode("a");
    const b = t.createNode("b");
    let got = 0;
    b.subscribe("std_msgs/msg/Float64MultiArray", "/x").subscribe(() => got++);
    const pubA = a.createPublisher("std_msgs/msg/Float64MultiArray", "/x");
    b.destroy();
    pubA.publish(createVector(1));
    assert.equal(got, 0);
    const c = t.createNode("b");
    c.subscribe("std_msgs/msg/Float64MultiArray", "/x").subscribe(() => got++);
    a.destroy();
    pubA.publish(createVector(1));
    assert.equal(got, 0, "a destroyed node publishes nothing");
    assert.throws(() => a.createPublisher("std_msgs/msg/Float64MultiArray", "/y"), /destroyed/);
  });

  it("gives each node its start-up parameters and lists topics with their types", () => {
    const t = new InProcessTransport({ parameters: new Map([["a", { gain: 3 }]]) });
    const p = t.createNode("a").declareParameters({ gain: param.double("gain", { default: 1, description: "g" }) });
    assert.equal(p.values.gain, 3);
    t.node("a")!.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    assert.deepEqual(t.topics(), [{ name: "/joint_states", type: "sensor_msgs/msg/JointState" }]);
    assert.throws(() => t.createNode("a"), /already exists/);
  });
});
