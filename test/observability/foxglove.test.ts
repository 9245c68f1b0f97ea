import assert from "node:assert/strict";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { parse } from "@foxglove/rosmsg";
import WebSocket from "ws";
import { FoxgloveLive } from "../../src/observability/FoxgloveLive.js";
import { schemaText } from "../../src/observability/schemas.js";
import { createJointState, type JointStateMsg } from "../../src/transport/messages.js";
import { QOS_CONTROL } from "../../src/transport/Transport.js";
import fs from "node:fs";
import path from "node:path";
import { profileTopics } from "../../src/observability/TransportRecorder.js";
import { LEARNER_TOPICS, PLANNER_TOPICS } from "../../src/transport/topics.js";
import { projectRoot } from "../helpers/paths.js";

describe("observability: Foxglove live view", function () {
  this.timeout(30_000);

  it("a WebSocket client subscribes and receives binary message frames: opcode 1, subscription id, u64 ns timestamp, CDR payload", async () => {
    const originNs = 1_700_000_000_123_456_789n;
    const live = await FoxgloveLive.start({ port: 0, originNs });
    const client = new WebSocket(`ws://127.0.0.1:${live.port}`, ["foxglove.websocket.v1"]);
    try {
      assert.equal(live.host, "127.0.0.1");
      const channel = live.advertise("/muscle_states", "sensor_msgs/msg/JointState", QOS_CONTROL);
      const msg = createJointState(["elbow_flexor", "elbow_extensor"]);
      msg.position.set([0.25, 0.31]);
      msg.effort.set([12.5, 0]);
      const text: Record<string, any>[] = [];
      const binary: Buffer[] = [];
      let wake: (() => void) | undefined;
      client.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) binary.push(data);
        else text.push(JSON.parse(data.toString("utf8")));
        wake?.();
      });
      const next = (pred: () => boolean): Promise<void> =>
        new Promise((resolve) => {
          const check = (): void => (pred() ? resolve() : undefined);
          wake = check;
          check();
        });
      await new Promise((resolve, reject) => (client.once("open", resolve), client.once("error", reject)));
      assert.equal(client.protocol, "foxglove.websocket.v1");
      await next(() => text.some((m) => m.op === "advertise"));
      const adv = text.find((m) => m.op === "advertise")!.channels.find((c: any) => c.topic === "/muscle_states");
      assert.deepEqual(
        { encoding: adv.encoding, schemaName: adv.schemaName, schemaEncoding: adv.schemaEncoding, schema: adv.schema },
        { encoding: "cdr", schemaName: "sensor_msgs/msg/JointState", schemaEncoding: "ros2msg", schema: schemaText("sensor_msgs/msg/JointState") },
      );
      assert.equal(adv.id, channel);
      client.send(JSON.stringify({ op: "subscribe", subscriptions: [{ id: 42, channelId: channel }] }));
      // Publish as the loop would until the subscription has reached the server.
      let k = 0;
      const timer = setInterval(() => live.write(channel, msg, 20_000_000 * ++k), 10);
      try {
        await next(() => binary.length > 0);
      } finally {
        clearInterval(timer);
      }
      const frame = binary[0];
      assert.equal(frame.readUInt8(0), 1, "opcode: message data");
      assert.equal(frame.readUInt32LE(1), 42, "subscription id");
      const stampNs = frame.readBigUInt64LE(5);
      assert.equal((stampNs - originNs) % 20_000_000n, 0n);
      assert.ok(stampNs > originNs);
      const payload = frame.subarray(13);
      assert.deepEqual([...payload.subarray(0, 4)], [0, 1, 0, 0]);
      const decoded = new MessageReader(parse(adv.schema, { ros2: true })).readMessage<JointStateMsg>(payload);
      assert.deepEqual(decoded.name, ["elbow_flexor", "elbow_extensor"]);
      assert.deepEqual(Array.from(decoded.position), [0.25, 0.31]);
      assert.deepEqual(Array.from(decoded.effort), [12.5, 0]);
    } finally {
      client.close();
      await live.close();
    }
  });

  it("docs/foxglove-layout.json plots activations, lengths, forces, joint angles, the planner's cost and trajectory and the learner's topics, and shows the DEP matrix, from topics that exist", () => {
    const layout = JSON.parse(fs.readFileSync(path.join(projectRoot, "docs", "foxglove-layout.json"), "utf8"));
    const scripts = Object.values(layout.userNodes as Record<string, { sourceCode: string }>).map((n) => ({
      inputs: JSON.parse(/inputs = (\[[^\]]*\])/.exec(n.sourceCode)![1]) as string[],
      output: /output = "([^"]+)"/.exec(n.sourceCode)![1],
    }));
    const topics = new Set([...profileTopics().keys(), ...Object.values(PLANNER_TOPICS), ...Object.values(LEARNER_TOPICS)]);
    // A script reads topics that exist; its output is a topic the panels may show.
    for (const s of scripts) for (const input of s.inputs) assert.ok(topics.has(input), input);
    const shown = new Set([...topics, ...scripts.map((s) => s.output)]);
    const plots = Object.entries(layout.configById).filter(([id]) => id.startsWith("Plot!")) as [string, { title: string; paths: { value: string }[]; xAxisPath?: { value: string } }][];
    assert.deepEqual(plots.map(([, p]) => p.title.split(" ").slice(0, 2).join(" ")).sort(), [
      "Joint angles",
      "Learner intrinsic",
      "Learner model",
      "Muscle activations",
      "Musculotendon lengths",
      "Planned trajectory",
      "Planner cost",
      "Tendon forces",
    ]);
    const topicOf = (value: string): string => value.slice(0, value.indexOf("."));
    const plotted = new Set<string>();
    for (const [, p] of plots) {
      for (const { value } of [...p.paths, ...(p.xAxisPath ? [p.xAxisPath] : [])]) {
        assert.ok(shown.has(topicOf(value)), value);
        plotted.add(topicOf(value));
      }
    }
    // Every planner and learner figure topic has a panel (the weights of /learner/model are not a figure).
    for (const t of [PLANNER_TOPICS.cost, LEARNER_TOPICS.modelLoss, LEARNER_TOPICS.intrinsicReward, LEARNER_TOPICS.disagreement]) assert.ok(plotted.has(t), t);
    const trajectory = scripts.find((s) => s.inputs.includes(PLANNER_TOPICS.trajectory));
    assert.ok(trajectory && plotted.has(trajectory.output), "the planned trajectory is plotted through its script");
    // Every panel is placed in the layout.
    const leaves = (n: unknown): string[] => (typeof n === "string" ? [n] : leaves((n as { first: unknown }).first).concat(leaves((n as { second: unknown }).second)));
    assert.deepEqual(leaves(layout.layout).sort(), Object.keys(layout.configById).sort());
    const dep = scripts.find((s) => s.inputs.includes("/dep/matrix"));
    assert.ok(dep);
    assert.equal(layout.configById["Image!depmatrix"].imageMode.imageTopic, dep.output);
  });
});
