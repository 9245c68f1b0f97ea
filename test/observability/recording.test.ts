import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { McapIndexedReader } from "@mcap/core";
import zstd from "@foxglove/wasm-zstd";
import fc from "fast-check";
import { CdrEncoder } from "../../src/observability/CdrEncoder.js";
import { readMessages, summarizeRecording } from "../../src/observability/readRecording.js";
import { allSchemaTexts, definitionsFor, schemaText } from "../../src/observability/schemas.js";
import { MESSAGE_TYPE_NAMES, createJointState, createMatrix, createVector, type JointStateMsg } from "../../src/transport/messages.js";
import { recordSim, tempDir, type RecordedRun } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenFile = path.join(here, "golden", "ros2msg-schemas.txt");

/** The types of the golden file: every type tendon publishes or subscribes to. */
const GOLDEN_TYPES = [
  "sensor_msgs/msg/JointState",
  "sensor_msgs/msg/Joy",
  "std_msgs/msg/Float64MultiArray",
  "diagnostic_msgs/msg/DiagnosticArray",
  "rosgraph_msgs/msg/Clock",
  "std_msgs/msg/Bool",
  "std_msgs/msg/String",
];

function goldenText(): string {
  return GOLDEN_TYPES.map((type) => `### ${type}\n${schemaText(type)}`).join("\n");
}

const finite = fc.double({ noNaN: true });
const name = fc.string({ maxLength: 12, unit: fc.constantFrom("a", "b", "_", "1", "z", " ") });
const unicodeName = fc.string({ maxLength: 12, unit: fc.constantFrom("a", "é", "ü", "μ", "→", "z") });
const stamp = fc.record({ sec: fc.integer({ min: 0, max: 2 ** 31 - 1 }), nanosec: fc.integer({ min: 0, max: 999_999_999 }) });
const header = fc.record({ stamp, frame_id: name });
const f64 = (max: number) => fc.array(finite, { maxLength: max }).map((a) => Float64Array.from(a));

const samples: Record<string, fc.Arbitrary<unknown>> = {
  "sensor_msgs/msg/JointState": fc.record({ header, name: fc.array(name, { maxLength: 6 }), position: f64(6), velocity: f64(6), effort: f64(6) }),
  "sensor_msgs/msg/Joy": fc.record({
    header,
    axes: fc.array(fc.float({ noNaN: true }), { maxLength: 8 }).map((a) => Float32Array.from(a)),
    buttons: fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 8 }).map((a) => Int32Array.from(a)),
  }),
  "std_msgs/msg/Float64MultiArray": fc.record({
    layout: fc.record({ dim: fc.array(fc.record({ label: name, size: fc.nat(100), stride: fc.nat(1000) }), { maxLength: 3 }), data_offset: fc.nat(10) }),
    data: f64(40),
  }),
  "diagnostic_msgs/msg/DiagnosticArray": fc.record({
    header,
    status: fc.array(
      fc.record({ level: fc.integer({ min: 0, max: 3 }), name, message: name, hardware_id: name, values: fc.array(fc.record({ key: name, value: name }), { maxLength: 4 }) }),
      { maxLength: 3 },
    ),
  }),
  "rosgraph_msgs/msg/Clock": fc.record({ clock: stamp }),
};

describe("observability: MCAP recording", function () {
  this.timeout(60_000);

  it("writes every tendon message type as @foxglove/rosmsg2-serialization's MessageWriter does, byte for byte", () => {
    for (const type of MESSAGE_TYPE_NAMES) {
      const defs = definitionsFor(type);
      const encoder = new CdrEncoder(defs);
      const writer = new MessageWriter(defs);
      const reader = new MessageReader(parse(allSchemaTexts()[type], { ros2: true }));
      fc.assert(
        fc.property(samples[type] ?? fc.constant({}), (msg) => {
          const ours = encoder.encodeToBytes(msg);
          assert.deepEqual(Buffer.from(ours), Buffer.from(writer.writeMessage(msg)), type);
          assert.deepEqual([...ours.subarray(0, 4)], [0, 1, 0, 0]);
          reader.readMessage(ours);
        }),
        { numRuns: 150 },
      );
    }
    // Name lists are cached by the encoder: the same strings again, changed values, a name changed in place.
    const jsW = new MessageWriter(definitionsFor("sensor_msgs/msg/JointState"));
    const jsE = new CdrEncoder(definitionsFor("sensor_msgs/msg/JointState"));
    const named = createJointState(["a_flexor", "a_extensor", "b"]);
    for (let k = 0; k < 4; k++) {
      named.position[k % 3] = k;
      if (k === 2) named.name[1] = "a_ext";
      if (k === 3) named.name.push("c");
      if (k === 3) named.position = Float64Array.of(1, 2, 3, 4);
      assert.deepEqual(Buffer.from(jsE.encodeToBytes(named)), Buffer.from(jsW.writeMessage(named)), `step ${k}`);
    }
    // Non-ASCII text: MessageWriter (@foxglove/cdr 3.5) sizes strings in UTF-16 units and cuts them;
    // tendon writes UTF-8 with its byte length, as ROS 2 does, and MessageReader reads it back.
    const jsDefs = definitionsFor("sensor_msgs/msg/JointState");
    const jsEncoder = new CdrEncoder(jsDefs);
    const jsReader = new MessageReader(jsDefs);
    fc.assert(
      fc.property(fc.array(unicodeName, { maxLength: 4 }), unicodeName, (names, frame) => {
        const msg = createJointState(names);
        msg.header.frame_id = frame;
        const back = jsReader.readMessage<JointStateMsg>(jsEncoder.encodeToBytes(msg));
        assert.deepEqual(back.name, names);
        assert.equal(back.header.frame_id, frame);
      }),
    );
    // The shapes tendon publishes, as built by the transport's helpers (empty effort included).
    const js = createJointState(["shoulder", "elbow"], { effort: false });
    js.position.set([0.5, -1]);
    const m = createMatrix(2, 4, "muscle", "length_m|velocity_mps|force_n|command");
    m.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [type, msg] of [
      ["sensor_msgs/msg/JointState", js],
      ["std_msgs/msg/Float64MultiArray", m],
      ["std_msgs/msg/Float64MultiArray", createVector(0)],
    ] as const) {
      const defs = definitionsFor(type);
      assert.deepEqual(Buffer.from(new CdrEncoder(defs).encodeToBytes(msg)), Buffer.from(new MessageWriter(defs).writeMessage(msg)));
    }
  });

  it("gives every type the ros2msg schema text in the golden file", () => {
    if (process.env.UPDATE_GOLDEN) fs.writeFileSync(goldenFile, goldenText());
    assert.equal(goldenText(), fs.readFileSync(goldenFile, "utf8"));
    for (const type of MESSAGE_TYPE_NAMES) assert.ok(GOLDEN_TYPES.includes(type), `${type} is missing from the golden file`);
    for (const text of Object.values(allSchemaTexts())) {
      for (const block of text.split(`${"=".repeat(80)}\n`).slice(1)) assert.match(block, /^MSG: [a-z_]+\/[A-Za-z0-9]+\n/);
    }
  });

  describe("a recorded simulation", () => {
    let dir: string;
    let file: string;
    let run: RecordedRun;

    before(async () => {
      dir = tempDir("rec");
      file = path.join(dir, "run.mcap");
      // Small chunks, so that the file has several.
      run = await recordSim(file, { ticks: 200, recorder: { chunkSize: 16 * 1024 } });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is a complete ros2-profile MCAP file with statistics, chunk indexes, zstd chunks and QoS metadata", async () => {
      const fd = fs.openSync(file, "r");
      const size = fs.fstatSync(fd).size;
      const reader = await McapIndexedReader.Initialize({
        readable: {
          size: async () => BigInt(size),
          read: async (offset, length) => {
            const out = new Uint8Array(Number(length));
            fs.readSync(fd, out, 0, out.length, Number(offset));
            return out;
          },
        },
        decompressHandlers: { zstd: (b, n) => zstd.decompress(b, Number(n)) },
      });
      try {
        assert.equal(reader.header.profile, "ros2");
        assert.ok(reader.statistics, "statistics");
        assert.ok(reader.chunkIndexes.length > 1, "several chunks");
        assert.ok(reader.chunkIndexes.every((c) => c.compression === "zstd" && c.compressedSize < c.uncompressedSize));
        const topics = [...reader.channelsById.values()].map((c) => c.topic).sort();
        assert.deepEqual(topics, ["/clock", "/diagnostics", "/dep/matrix", "/joint_states", "/muscle_commands", "/muscle_commands/dep", "/muscle_states", "/transitions"].sort());
        for (const c of reader.channelsById.values()) {
          const schema = reader.schemasById.get(c.schemaId)!;
          assert.equal(c.messageEncoding, "cdr");
          assert.equal(schema.encoding, "ros2msg");
          assert.match(schema.name, /^[a-z_]+\/msg\/[A-Za-z0-9]+$/);
          assert.equal(new TextDecoder().decode(schema.data), schemaText(schema.name));
          const qos = c.metadata.get("offered_qos_profiles") ?? "";
          assert.match(qos, /^- history: 1\n  depth: \d+\n  reliability: [12]\n  durability: [12]\n/);
        }
        assert.equal(reader.statistics!.messageCount, [...reader.statistics!.channelMessageCounts.values()].reduce((a, b) => a + b, 0n));
      } finally {
        fs.closeSync(fd);
      }
    });

    it("reads back every message, decoded, with the values the loop saw", async () => {
      assert.equal(run.stats.dropped, 0);
      const byTopic = new Map<string, unknown[]>();
      const times = new Map<string, bigint[]>();
      for await (const m of readMessages(file)) {
        byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m.message]);
        times.set(m.topic, [...(times.get(m.topic) ?? []), m.logTimeNs]);
      }
      for (const t of ["/clock", "/joint_states", "/muscle_states", "/muscle_commands", "/muscle_commands/dep", "/transitions"]) {
        assert.equal(byTopic.get(t)?.length, run.ticks, t);
      }
      assert.equal(byTopic.get("/dep/matrix")?.length, Math.ceil((run.ticks * 0.02) / 0.1));
      assert.equal(byTopic.get("/diagnostics")?.length, Math.ceil(run.ticks * 0.02));
      const muscles = byTopic.get("/muscle_states") as JointStateMsg[];
      const joints = byTopic.get("/joint_states") as JointStateMsg[];
      const commands = byTopic.get("/muscle_commands") as { data: Float64Array }[];
      for (let k = 0; k < run.ticks; k++) {
        assert.deepEqual(muscles[k].name, run.muscles);
        assert.deepEqual(Array.from(muscles[k].position), Array.from(run.frames[k].muscleLengthM));
        assert.deepEqual(Array.from(muscles[k].effort), Array.from(run.frames[k].muscleForceN));
        assert.deepEqual(Array.from(joints[k].position), Array.from(run.frames[k].jointAngleRad));
        assert.equal(joints[k].effort.length, 0);
        assert.deepEqual(Array.from(commands[k].data), Array.from(run.commands[k]));
        const stampNs = BigInt(muscles[k].header.stamp.sec) * 1_000_000_000n + BigInt(muscles[k].header.stamp.nanosec);
        assert.equal(stampNs, BigInt(Math.round((k + 1) * 0.02 * 1e9)));
      }
      // Log time is the loop's (simulated) time after the recording's origin: 20 ms apart.
      const t = times.get("/muscle_states")!;
      for (let k = 1; k < t.length; k++) assert.equal(t[k] - t[k - 1], 20_000_000n);
      const s = await summarizeRecording(file);
      assert.equal(s.complete, true);
      assert.equal(s.endNs - s.startNs, BigInt((run.ticks - 1) * 20_000_000));
    });

    it("reads a file cut short up to its last complete chunk", async () => {
      const full = fs.readFileSync(file);
      const complete = await summarizeRecording(file);
      const cuts = [Math.floor(full.length * 0.4), Math.floor(full.length * 0.75), full.length - 40];
      let previous = 0;
      for (const cut of cuts) {
        const part = path.join(dir, `cut-${cut}.mcap`);
        fs.writeFileSync(part, full.subarray(0, cut));
        const s = await summarizeRecording(part);
        assert.equal(s.complete, false);
        assert.match(s.truncation ?? "", /cut short/);
        assert.ok(s.messageCount > previous && s.messageCount <= complete.messageCount, `${s.messageCount} messages at ${cut} bytes`);
        previous = s.messageCount;
        let decoded = 0;
        for await (const m of readMessages(part)) {
          assert.ok(m.message && typeof m.message === "object");
          decoded++;
        }
        assert.equal(decoded, s.messageCount);
        assert.deepEqual(
          s.channels.map((c) => c.topic).sort(),
          complete.channels.map((c) => c.topic).sort(),
        );
      }
    });
  });
});
