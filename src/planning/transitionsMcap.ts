/**
 * Free-play data as MCAP: one JSON message per transition on `/free_play/transition`
 * ({ round, state, action, next }, with the state spec in the schema's title), stamped with the
 * step's model time, so `tendon info` and Foxglove can open it and a learner can read it back.
 */
import fs from "node:fs/promises";
import { McapWriter, type IWritable } from "@mcap/core";
import type { TransitionSet } from "../models/EnsembleTrainer.js";

class FileWritable implements IWritable {
  #pos = 0n;
  constructor(readonly handle: fs.FileHandle) {}
  async write(buffer: Uint8Array): Promise<unknown> {
    await this.handle.write(buffer);
    this.#pos += BigInt(buffer.byteLength);
    return undefined;
  }
  position(): bigint {
    return this.#pos;
  }
}

export const TRANSITION_TOPIC = "/free_play/transition";

export async function writeTransitionsMcap(file: string, set: TransitionSet, stateSpec: string, stepSec: number, metadata: Record<string, string>): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    const writer = new McapWriter({ writable: new FileWritable(handle), useChunks: true, chunkSize: 1 << 20 });
    await writer.start({ profile: "", library: "tendon" });
    const schema = {
      title: `tendon free-play transition (${stateSpec})`,
      type: "object",
      properties: { round: { type: "integer" }, state: { type: "array", items: { type: "number" } }, action: { type: "array", items: { type: "number" } }, next: { type: "array", items: { type: "number" } } },
    };
    const schemaId = await writer.registerSchema({ name: "tendon.FreePlayTransition", encoding: "jsonschema", data: new TextEncoder().encode(JSON.stringify(schema)) });
    const channelId = await writer.registerChannel({ topic: TRANSITION_TOPIC, schemaId, messageEncoding: "json", metadata: new Map([["state_spec", stateSpec]]) });
    await writer.addMetadata({ name: "free_play", metadata: new Map(Object.entries(metadata)) });
    const enc = new TextEncoder();
    const d = set.stateDim;
    const a = set.actionDim;
    for (let r = 0; r < set.rows; r++) {
      const t = BigInt(Math.round(r * stepSec * 1e9));
      const msg = { round: set.segment?.[r] ?? 0, state: Array.from(set.states.subarray(r * d, (r + 1) * d)), action: Array.from(set.actions.subarray(r * a, (r + 1) * a)), next: Array.from(set.next.subarray(r * d, (r + 1) * d)) };
      await writer.addMessage({ channelId, sequence: r, logTime: t, publishTime: t, data: enc.encode(JSON.stringify(msg)) });
    }
    await writer.end();
  } finally {
    await handle.close();
  }
}
