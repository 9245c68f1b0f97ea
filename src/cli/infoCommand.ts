/**
 * `tendon info FILE`: what an MCAP recording holds: topics, types, message counts and rates,
 * duration, and whether the file is complete. A file cut short (the process was killed) is read
 * up to its last complete chunk, and the output says so; a chunk that cannot be read is named, and
 * the counts are of what could be read around it.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { describeDamagedChunk, summarizeRecording, type RecordingSummary } from "../observability/readRecording.js";
import { UsageError } from "./errors.js";
import { formatRunIdentity } from "../app/runIdentity.js";
import { RUN_IDENTITY_METADATA, type RunIdentity } from "../observability/runMetadata.js";

export function registerInfoCommand(program: Command): void {
  program
    .command("info")
    .description("show what an MCAP recording holds: topics, types, counts, duration; says whether it was cut short")
    .argument("<file>", "an MCAP file (tendon --record, ros2 bag record -s mcap)")
    .option("--json", "print one line of JSON instead", false)
    .option("--params", "print what the recorded run ran (preset, DEP parameters, mapping, rate, frame skip, seed, model hash) as JSON, for tendon sim --params", false)
    .action(async (file: string, flags: { json: boolean; params: boolean }) => {
      if (!fs.existsSync(file)) throw new UsageError(`no file '${file}'`);
      let s: RecordingSummary;
      try {
        s = await summarizeRecording(file);
      } catch (err) {
        throw new UsageError(`cannot read '${file}': ${(err as Error).message}`);
      }
      if (flags.params) {
        const json = s.metadata.get(RUN_IDENTITY_METADATA)?.json;
        if (!json) throw new UsageError(`'${file}' does not say what its run ran (no ${RUN_IDENTITY_METADATA} metadata: recorded by an older tendon, or not by tendon sim/hw)`);
        process.stdout.write(`${JSON.stringify(JSON.parse(json), null, 2)}\n`);
        return;
      }
      process.stdout.write(flags.json ? `${JSON.stringify(infoJson(s))}\n` : formatInfo(s));
    });
}

const ns = (t: bigint): number => Number(t) / 1e9;

function durationSec(s: RecordingSummary): number {
  return s.messageCount > 0 ? ns(s.endNs - s.startNs) : 0;
}

export function infoJson(s: RecordingSummary): Record<string, unknown> {
  return {
    path: s.path,
    bytes: s.bytes,
    profile: s.profile,
    complete: s.complete,
    truncated: !s.complete,
    ...(s.truncation ? { truncation: s.truncation } : {}),
    damaged: s.damagedChunks.length > 0,
    damagedChunks: s.damagedChunks.map((c) => ({
      chunk: c.index + 1,
      offset: c.offset,
      length: c.length,
      startSec: Number(c.startNs - s.startNs) / 1e9,
      endSec: Number(c.endNs - s.startNs) / 1e9,
      error: c.error,
      text: describeDamagedChunk(c, s),
    })),
    ...(s.statedMessageCount !== undefined ? { statedMessages: s.statedMessageCount } : {}),
    messages: s.messageCount,
    chunks: s.chunkCount,
    durationSec: durationSec(s),
    start: s.messageCount > 0 ? new Date(ns(s.startNs) * 1000).toISOString() : null,
    topics: s.channels.map((c) => ({ topic: c.topic, type: c.type, count: c.count, encoding: c.messageEncoding })),
    metadata: Object.fromEntries(s.metadata),
  };
}

export function formatInfo(s: RecordingSummary): string {
  const d = durationSec(s);
  const lines = [
    `tendon info: ${s.path} (${(s.bytes / 1e6).toFixed(2)} MB, profile '${s.profile || "none"}', written by ${s.library || "unknown"})`,
    s.damagedChunks.length > 0
      ? `  file           DAMAGED: ${s.damagedChunks.length} of ${s.chunkCount} chunks cannot be read; everything else was read${s.complete ? " (summary and footer present)" : ""}`
      : s.complete
        ? `  file           complete (summary, statistics and indexes present)`
        : `  file           TRUNCATED: ${s.truncation ?? "no summary"}`,
    ...s.damagedChunks.map((c) => `  damaged        ${describeDamagedChunk(c, s)}`),
    ...(s.damagedChunks.length > 0 && !s.complete ? [`  file           TRUNCATED: ${s.truncation ?? "no summary"}`] : []),
    `  duration       ${d.toFixed(3)} s${s.messageCount > 0 ? ` (from ${new Date(ns(s.startNs) * 1000).toISOString()})` : ""}`,
    `  messages       ${s.messageCount} in ${s.chunkCount} chunks${s.statedMessageCount !== undefined ? ` (readable; the statistics say ${s.statedMessageCount})` : ""}`,
    `  topics         ${s.channels.length}`,
  ];
  const width = Math.max(0, ...s.channels.map((c) => c.topic.length));
  const typeWidth = Math.max(0, ...s.channels.map((c) => c.type.length));
  for (const c of [...s.channels].sort((a, b) => a.topic.localeCompare(b.topic))) {
    const rate = d > 0 && c.count > 1 ? `${((c.count - 1) / d).toFixed(1)} Hz` : "";
    lines.push(`    ${c.topic.padEnd(width)}  ${c.type.padEnd(typeWidth)}  ${String(c.count).padStart(8)} msgs  ${rate}`);
  }
  const run = s.metadata.get("tendon.run");
  if (run?.command === "node") lines.push(`  run            tendon node: ${(JSON.parse(run.nodes ?? "[]") as string[]).join(", ")} (${run.transport ?? "?"})`);
  else if (run) lines.push(`  run            tendon ${run.command ?? ""}: ${run.controller ?? "?"} on ${run.model ?? "?"} at ${Number(run.rate_hz ?? 0).toFixed(1)} Hz`);
  const identity = s.metadata.get(RUN_IDENTITY_METADATA)?.json;
  if (identity) lines.push(...formatRunIdentity(JSON.parse(identity) as RunIdentity));
  const summary = s.metadata.get("tendon.summary");
  if (!summary && run && run.command !== "node") lines.push(`  summary        none (the run did not finish)`);
  return `${lines.join("\n")}\n`;
}
