/**
 * Reading MCAP recordings back (`tendon info`, `tendon report`, tests): through the summary when
 * the file is complete (@mcap/core's `McapIndexedReader`), and record by record when it is not (a
 * process killed mid-run leaves no summary: every complete record up to the first incomplete one
 * is read). Every chunk is read either way, so a chunk whose bytes were damaged is found, named
 * (`damagedChunks`) and skipped, and everything around it is still read. Messages are decoded with the schema each file carries
 * (@foxglove/rosmsg parses it, @foxglove/rosmsg2-serialization's `MessageReader` decodes CDR).
 */
import fs from "node:fs";
import zstd from "@foxglove/wasm-zstd";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { McapIndexedReader, McapRecordBuilder, McapStreamReader, type McapTypes } from "@mcap/core";

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
  /**
   * Chunks that cannot be read; their messages are not counted in `messageCount` and the channels'
   * counts, which then are what could be read. Empty for a healthy file.
   */
  readonly damagedChunks: readonly DamagedChunk[];
  /** For a file with damaged chunks and statistics: how many messages the statistics say the file holds. */
  readonly statedMessageCount?: number;
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

/** A chunk that cannot be read (bad CRC, bad compression, malformed records); the records around it still are. */
export interface DamagedChunk {
  /** Its place among the file's chunks, from 0. */
  readonly index: number;
  /** Byte offset of the chunk record in the file, and its length. */
  readonly offset: number;
  readonly length: number;
  /** Log time of its first and last message as its header states them (ns; may be wrong if the header is hit). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Why it could not be read. */
  readonly error: string;
}

/** One line about a damaged chunk, for a person: which chunk, where, what time it covered, why. */
export function describeDamagedChunk(c: DamagedChunk, summary: Pick<RecordingSummary, "startNs" | "chunkCount">): string {
  const sec = (t: bigint): string => (Number(t - summary.startNs) / 1e9).toFixed(3);
  const span = c.endNs >= c.startNs && c.startNs >= summary.startNs ? `, messages from ${sec(c.startNs)} s to ${sec(c.endNs)} s` : "";
  return `chunk ${c.index + 1} of ${summary.chunkCount} (bytes ${c.offset}–${c.offset + c.length}${span}) cannot be read: ${c.error}`;
}

interface ScanResult {
  complete: boolean;
  truncation?: string;
  chunks: number;
  damaged: DamagedChunk[];
}

const MAGIC_BYTES = 8;
const RECORD_HEADER_BYTES = 9; // opcode u8, length u64
const OP_FOOTER = 0x02;
const OP_CHUNK = 0x06;

function readAt(fd: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * The schemas and channels read so far, as record bytes: each top-level record is parsed by a
 * fresh stream reader (one that threw cannot be used again), which must know them first.
 */
class KnownRecords {
  readonly #builder = new McapRecordBuilder();
  readonly #schemas = new Set<number>();
  readonly #channels = new Set<number>();
  count = 0;
  get bytes(): Uint8Array {
    return this.#builder.buffer;
  }
  note(r: McapTypes.TypedMcapRecord): void {
    if (r.type === "Schema" && !this.#schemas.has(r.id)) {
      this.#schemas.add(r.id);
      this.#builder.writeSchema(r);
      this.count++;
    } else if (r.type === "Channel" && !this.#channels.has(r.id)) {
      this.#channels.add(r.id);
      this.#builder.writeChannel(r);
      this.count++;
    }
  }
}

/** The records a stream reader finds in the bytes of one top-level record (a chunk yields the records inside it). */
function parseTopLevel(known: KnownRecords, bytes: Uint8Array): McapTypes.TypedMcapRecord[] {
  const reader = new McapStreamReader({ decompressHandlers, noMagicPrefix: true });
  reader.append(known.bytes);
  reader.append(bytes);
  const out: McapTypes.TypedMcapRecord[] = [];
  for (let r; (r = reader.nextRecord()); ) out.push(r);
  if (reader.bytesRemaining() > 0) throw new Error(`${reader.bytesRemaining()} bytes of the record could not be parsed`);
  return out.slice(known.count);
}

/**
 * Walks the file record by record and calls `visit` with every record it can read (the records
 * inside chunks included). A chunk that cannot be read is listed in `damaged` and skipped: the
 * walk goes on at the next record, since the chunk's length in its record header says where that
 * is. Any other unreadable record, or a record running past the end of the file, ends the walk
 * (the file is then not complete, and `truncation` says why).
 */
function scanRecords(path: string, visit: (r: McapTypes.TypedMcapRecord) => void): ScanResult {
  const fd = fs.openSync(path, "r");
  const damaged: DamagedChunk[] = [];
  const known = new KnownRecords();
  let chunks = 0;
  try {
    const size = fs.fstatSync(fd).size;
    const magic = readAt(fd, 0, MAGIC_BYTES);
    if (magic.length < MAGIC_BYTES || new TextDecoder().decode(magic.subarray(1, 5)) !== "MCAP") throw new Error(`'${path}' is not an MCAP file (no MCAP header)`);
    let offset = MAGIC_BYTES;
    for (;;) {
      if (offset === size) {
        return { complete: false, chunks, damaged, truncation: "the file was cut short: no summary or footer (the writer did not finish, e.g. the process was killed); everything before that was read" };
      }
      const head = readAt(fd, offset, RECORD_HEADER_BYTES);
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const length = head.length === RECORD_HEADER_BYTES ? view.getBigUint64(1, true) : -1n;
      if (length < 0n || BigInt(offset + RECORD_HEADER_BYTES) + length > BigInt(size)) {
        return {
          complete: false,
          chunks,
          damaged,
          truncation: `the file was cut short: no summary or footer, and its last ${size - offset} bytes are an incomplete record (the writer did not finish, e.g. the process was killed); everything before that was read`,
        };
      }
      const opcode = head[0];
      if (opcode === OP_FOOTER) return { complete: true, chunks, damaged };
      const total = RECORD_HEADER_BYTES + Number(length);
      const bytes = readAt(fd, offset, total);
      if (opcode === OP_CHUNK) {
        const index = chunks++;
        let records: McapTypes.TypedMcapRecord[];
        try {
          records = parseTopLevel(known, bytes);
        } catch (err) {
          const times = total >= RECORD_HEADER_BYTES + 16 ? new DataView(bytes.buffer, bytes.byteOffset + RECORD_HEADER_BYTES, 16) : undefined;
          damaged.push({
            index,
            offset,
            length: total,
            startNs: times?.getBigUint64(0, true) ?? 0n,
            endNs: times?.getBigUint64(8, true) ?? 0n,
            error: (err as Error).message,
          });
          offset += total;
          continue;
        }
        for (const r of records) {
          known.note(r);
          visit(r);
        }
      } else {
        let records: McapTypes.TypedMcapRecord[];
        try {
          records = parseTopLevel(known, bytes);
        } catch (err) {
          return { complete: false, chunks, damaged, truncation: `the file is damaged after its last readable record, at byte ${offset} (${(err as Error).message})` };
        }
        for (const r of records) {
          known.note(r);
          visit(r);
        }
      }
      offset += total;
    }
  } finally {
    fs.closeSync(fd);
  }
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
      // The summary is not enough: a chunk whose bytes were hit is only found by reading it.
      const read = new Map<number, number>();
      let readMessages = 0;
      const scan = scanRecords(path, (r) => {
        if (r.type !== "Message") return;
        readMessages++;
        read.set(r.channelId, (read.get(r.channelId) ?? 0) + 1);
      });
      const damaged = scan.damaged.length > 0;
      const counts = reader.statistics?.channelMessageCounts;
      const count = (id: number): number => (damaged ? (read.get(id) ?? 0) : Number(counts?.get(id) ?? 0n));
      const channels = [...reader.channelsById.values()].map((c) => channelInfo(c, reader.schemasById.get(c.schemaId), count(c.id)));
      const metadata: McapTypes.Metadata[] = [];
      for await (const m of reader.readMetadata()) metadata.push(m);
      const stated = Number(reader.statistics?.messageCount ?? 0n);
      return {
        damagedChunks: scan.damaged,
        ...(damaged ? { statedMessageCount: stated } : {}),
        path,
        bytes,
        profile: reader.header.profile,
        library: reader.header.library,
        complete: true,
        channels,
        messageCount: damaged ? readMessages : stated,
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
  let start = -1n;
  let end = 0n;
  const result = scanRecords(path, (r) => {
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
    chunkCount: result.chunks,
    startNs: start < 0n ? 0n : start,
    endNs: end,
    metadata: metadataOf(metadata),
    damagedChunks: result.damaged,
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
 * ros2msg/cdr are skipped. `recordByRecord` reads the file in file order without its index,
 * skipping damaged chunks (see `RecordingSummary.damagedChunks`); through the index a damaged
 * chunk throws when it is reached.
 */
export async function* readMessages(path: string, options: { topics?: readonly string[]; recordByRecord?: boolean } = {}): AsyncGenerator<DecodedMessage> {
  await zstd.isLoaded;
  const wanted = options.topics ? new Set(options.topics) : undefined;
  const decoders = new Decoders();
  const indexed = options.recordByRecord ? undefined : await openIndexed(path);
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
  scanRecords(path, (r) => {
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
