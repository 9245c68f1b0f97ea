import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import zstd from "@foxglove/wasm-zstd";
import { McapIndexedReader } from "@mcap/core";
import { collectReport } from "../../src/observability/report.js";
import { readMessages, summarizeRecording } from "../../src/observability/readRecording.js";
import { runCli } from "../helpers/cli.js";
import { recordSim, tempDir } from "./helpers.js";

/** Chunk offsets and lengths of a complete recording, from its chunk indexes. */
async function chunksOf(file: string): Promise<{ offset: number; length: number; startNs: bigint; endNs: bigint }[]> {
  await zstd.isLoaded;
  const bytes = new Uint8Array(fs.readFileSync(file));
  const reader = await McapIndexedReader.Initialize({
    readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) },
    decompressHandlers: { zstd: (b, n) => zstd.decompress(b, Number(n)) },
  });
  return reader.chunkIndexes.map((c) => ({ offset: Number(c.chunkStartOffset), length: Number(c.chunkLength), startNs: c.messageStartTime, endNs: c.messageEndTime }));
}

describe("observability: a recording with one damaged chunk", function () {
  this.timeout(60_000);
  let dir: string;
  let good: string;
  let bad: string;
  let chunks: Awaited<ReturnType<typeof chunksOf>>;
  const hit = 2;

  before(async () => {
    dir = tempDir("damaged");
    good = path.join(dir, "good.mcap");
    bad = path.join(dir, "bad.mcap");
    await recordSim(good, { ticks: 200, recorder: { chunkSize: 16 * 1024 } });
    chunks = await chunksOf(good);
    assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
    // Overwrite bytes in the middle of the third chunk's (compressed) records.
    const data = fs.readFileSync(good);
    const c = chunks[hit];
    const mid = c.offset + Math.floor(c.length / 2);
    for (let i = 0; i < 16; i++) data[mid + i] ^= 0xa5;
    fs.writeFileSync(bad, data);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is summarized with the damaged chunk named and the messages of every other chunk counted", async () => {
    const whole = await summarizeRecording(good);
    assert.deepEqual(whole.damagedChunks, []);
    const s = await summarizeRecording(bad);
    assert.equal(s.damagedChunks.length, 1);
    const d = s.damagedChunks[0];
    assert.equal(d.index, hit);
    assert.equal(d.offset, chunks[hit].offset);
    assert.equal(d.startNs, chunks[hit].startNs);
    assert.equal(s.statedMessageCount, whole.messageCount);
    assert.ok(s.messageCount > 0 && s.messageCount < whole.messageCount, `${s.messageCount} of ${whole.messageCount}`);
    let decoded = 0;
    let after = 0;
    for await (const m of readMessages(bad, { recordByRecord: true })) {
      decoded++;
      if (m.logTimeNs > chunks[hit].endNs) after++;
    }
    assert.equal(decoded, s.messageCount);
    assert.ok(after > 0, "messages after the damaged chunk are read");
    assert.equal(
      s.channels.reduce((n, c) => n + c.count, 0),
      s.messageCount,
    );
  });

  it("tendon info names the damaged chunk instead of calling the file complete", async () => {
    const info = await runCli(["info", bad]);
    assert.equal(info.code, 0, info.stderr);
    assert.doesNotMatch(info.stdout, /file {11}complete/);
    assert.match(info.stdout, new RegExp(`file {11}DAMAGED: 1 of ${chunks.length} chunks cannot be read`));
    assert.match(info.stdout, new RegExp(`damaged {8}chunk ${hit + 1} of ${chunks.length} \\(bytes ${chunks[hit].offset}–`));
    assert.match(info.stdout, /\/muscle_states +sensor_msgs\/msg\/JointState/);
    const json = await runCli(["info", bad, "--json"]);
    const j = JSON.parse(json.stdout) as { damaged: boolean; damagedChunks: { chunk: number; offset: number }[] };
    assert.equal(j.damaged, true);
    assert.deepEqual(j.damagedChunks.map((c) => [c.chunk, c.offset]), [[hit + 1, chunks[hit].offset]]);
  });

  it("tendon report renders everything readable around the damaged chunk and says which one it is", async () => {
    const whole = await collectReport(good);
    const data = await collectReport(bad);
    assert.ok(data.commands.t.length > 0 && data.commands.t.length < whole.commands.t.length);
    const gapStart = Number(chunks[hit].startNs - data.summary.startNs) / 1e9;
    assert.ok(data.commands.t.some((t) => t < gapStart) && data.commands.t.some((t) => t > gapStart), "commands before and after the damage");
    const out = path.join(dir, "bad.html");
    const r = await runCli(["report", bad, "-o", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 of \d+ chunks are damaged and were skipped/);
    const html = fs.readFileSync(out, "utf8");
    assert.match(html, new RegExp(`Damaged recording.*chunk ${hit + 1} of ${chunks.length}`));
  });
});
