/**
 * Reading MCAP recordings back (`tendon info`, `tendon report`, tests): through the summary when
 * the file is complete (@mcap/core's `McapIndexedReader`), and as a stream when it is not (a
 * process killed mid-run leaves no summary: `McapStreamReader` then reads every complete record
 * up to the first incomplete one). Messages are decoded with the schema each file carries
 * (@foxglove/rosmsg parses it, @foxglove/rosmsg2-serialization's `MessageReader` decodes CDR).
 */
import fs from "node:fs";
import zstd from "@foxglove/wasm-zstd";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { McapIndexedReader, McapStreamReader, type McapTypes } from "@mcap/core";

export interface RecordedChannel {
  readonly id: number;
  readonly topic: string;
  /** The schema name: the ROS 2 type ("sensor_msgs/msg/JointState"). */
  readonly type: string;
  readonly messageEncoding: string;
  readonly schemaEncoding: string;
  readonly metadata: ReadonlyMap<string, string>;
  /** Messages on the channel (from the statistics, or counted). */
  readonly count: number;
}

export interface RecordingSummary {
  readonly path: string;
  readonly bytes: number;
  readonly profile: string;
  readonly library: string;
  /** True when the file ends with its summary and footer; false for a file cut short. */
  readonly complete: boolean;
  /** Why the file is incomplete, for a person to read. */
  readonly truncation?: string;
  readonly channels: readonly RecordedChannel[];
  readonly messageCount: number;
  readonly chunkCount: number;
  /** Log time of the first and last message (ns since the epoch); 0n without messages. */
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Metadata records by name (later records of the same name win). */
  readonly metadata: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export interface DecodedMessage {
  readonly topic: string;
  readonly type: string;
  readonly logTimeNs: bigint;
  readonly message: unknown;
}

const decompressHandlers = {
  zstd: (buffer: Uint8Array, size: bigint): Uint8Array => zstd.decompress(buffer, Number(size)),
};

class FileReadable {
  readonly #fd: number;
  readonly #size: number;
  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.#size = size;
  }
  async size(): Promise<bigint> {
    return BigInt(this.#size);
  }
  async read(offset: bigint, length: bigint): Promise<Uint8Array> {
    const out = new Uint8Array(Number(length));
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(this.#fd, out, done, out.length - done, Number(offset) + done);
      if (n === 0) throw new Error(`unexpected end of file at ${Number(offset) + done}`);
      done += n;
    }
    return out;
  }
}

/** Calls `visit` with every record a stream reader can read; returns whether the file was complete, and why not. */
function streamRecords(path: string, visit: (r: McapTypes.TypedMcapRecord) => void): { complete: boolean; truncation?: string } {
  const reader = new McapStreamReader({ decompressHandlers, includeChunks: true });
  const fd = fs.openSync(path, "r");
  const piece = new Uint8Array(1024 * 1024);
  try {
    for (;;) {
      const n = fs.readSync(fd, piece, 0, piece.length, null);
      if (n === 0) break;
      reader.append(piece.slice(0, n));
      for (let r; (r = reader.nextRecord()); ) visit(r);
    }
  } catch (err) {
    return { complete: false, truncation: `the file is damaged after its last readable record (${(err as Error).message})` };
  } finally {
    fs.closeSync(fd);
  }
  if (reader.done()) return { complete: true };
  const left = reader.bytesRemaining();
  return {
    complete: false,
    truncation: `the file was cut short: no summary or footer${left > 0 ? `, and its last ${left} bytes are an incomplete record` : ""} (the writer did not finish, e.g. the process was killed); everything before that was read`,
  };
}

async function openIndexed(path: string): Promise<{ reader: McapIndexedReader; close: () => void } | undefined> {
  const fd = fs.openSync(path, "r");
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(fd, fs.fstatSync(fd).size), decompressHandlers });
    return { reader, close: () => fs.closeSync(fd) };
  } catch {
    fs.closeSync(fd);
    return undefined;
  }
}

function metadataOf(records: Iterable<McapTypes.Metadata>): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const m of records) out.set(m.name, Object.fromEntries(m.metadata));
  return out;
}

/** What a recording holds. Throws when the file cannot be opened or is not MCAP. */
export async function summarizeRecording(path: string): Promise<RecordingSummary> {
  await zstd.isLoaded;
  const bytes = fs.statSync(path).size;
  const indexed = await openIndexed(path);
  if (indexed) {
    const { reader, close } = indexed;
    try {
      const counts = reader.statistics?.channelMessageCounts;
      const channels = [...reader.channelsById.values()].map((c) => channelInfo(c, reader.schemasById.get(c.schemaId), Number(counts?.get(c.id) ?? 0n)));
      const metadata: McapTypes.Metadata[] = [];
      for await (const m of reader.readMetadata()) metadata.push(m);
      return {
        path,
        bytes,
        profile: reader.header.profile,
        library: reader.header.library,
        complete: true,
        channels,
        messageCount: Number(reader.statistics?.messageCount ?? 0n),
        chunkCount: reader.chunkIndexes.length,
        startNs: reader.statistics?.messageStartTime ?? 0n,
        endNs: reader.statistics?.messageEndTime ?? 0n,
        metadata: metadataOf(metadata),
      };
    } finally {
      close();
    }
  }
  let header: McapTypes.Header | undefined;
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const counts = new Map<number, number>();
  const metadata: McapTypes.Metadata[] = [];
  let messages = 0;
  let chunks = 0;
  let start = -1n;
  let end = 0n;
  const result = streamRecords(path, (r) => {
    switch (r.type) {
      case "Header":
        header = r;
        break;
      case "Schema":
        schemas.set(r.id, r);
        break;
      case "Channel":
        channels.set(r.id, r);
        break;
      case "Message":
        messages++;
        counts.set(r.channelId, (counts.get(r.channelId) ?? 0) + 1);
        if (start < 0n || r.logTime < start) start = r.logTime;
        if (r.logTime > end) end = r.logTime;
        break;
      case "Chunk":
        chunks++;
        break;
      case "Metadata":
        metadata.push(r);
        break;
    }
  });
  if (!header) throw new Error(`'${path}' is not an MCAP file (no MCAP header)`);
  return {
    path,
    bytes,
    profile: header.profile,
    library: header.library,
    complete: result.complete,
    truncation: result.truncation,
    channels: [...channels.values()].map((c) => channelInfo(c, schemas.get(c.schemaId), counts.get(c.id) ?? 0)),
    messageCount: messages,
    chunkCount: chunks,
    startNs: start < 0n ? 0n : start,
    endNs: end,
    metadata: metadataOf(metadata),
  };
}

function channelInfo(c: McapTypes.Channel, schema: McapTypes.Schema | undefined, count: number): RecordedChannel {
  return { id: c.id, topic: c.topic, type: schema?.name ?? "", messageEncoding: c.messageEncoding, schemaEncoding: schema?.encoding ?? "", metadata: c.metadata, count };
}

/** A decoder per schema (ros2msg + cdr only). */
class Decoders {
  readonly #byChannel = new Map<number, { topic: string; type: string; reader: MessageReader } | null>();
  decoder(channel: McapTypes.Channel, schema: McapTypes.Schema | undefined): { topic: string; type: string; reader: MessageReader } | null {
    let d = this.#byChannel.get(channel.id);
    if (d !== undefined) return d;
    d = null;
    if (schema && schema.encoding === "ros2msg" && channel.messageEncoding === "cdr") {
      const defs = parse(new TextDecoder().decode(schema.data), { ros2: true });
      d = { topic: channel.topic, type: schema.name, reader: new MessageReader(defs) };
    }
    this.#byChannel.set(channel.id, d);
    return d;
  }
}

/**
 * Every message of the recording (of `topics`, if given), decoded, in log-time order for a
 * complete file and in file order for a truncated one. Messages of channels that are not
 * ros2msg/cdr are skipped.
 */
export async function* readMessages(path: string, options: { topics?: readonly string[] } = {}): AsyncGenerator<DecodedMessage> {
  await zstd.isLoaded;
  const wanted = options.topics ? new Set(options.topics) : undefined;
  const decoders = new Decoders();
  const indexed = await openIndexed(path);
  if (indexed) {
    const { reader, close } = indexed;
    try {
      for await (const m of reader.readMessages({ topics: options.topics })) {
        const ch = reader.channelsById.get(m.channelId)!;
        const d = decoders.decoder(ch, reader.schemasById.get(ch.schemaId));
        if (d) yield { topic: d.topic, type: d.type, logTimeNs: m.logTime, message: d.reader.readMessage(m.data) };
      }
    } finally {
      close();
    }
    return;
  }
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const out: DecodedMessage[] = [];
  streamRecords(path, (r) => {
    if (r.type === "Schema") schemas.set(r.id, r);
    else if (r.type === "Channel") channels.set(r.id, r);
    else if (r.type === "Message") {
      const ch = channels.get(r.channelId);
      if (!ch || (wanted && !wanted.has(ch.topic))) return;
      const d = decoders.decoder(ch, schemas.get(ch.schemaId));
      if (d) out.push({ topic: d.topic, type: d.type, logTimeNs: r.logTime, message: d.reader.readMessage(r.data) });
    }
  });
  yield* out;
}
