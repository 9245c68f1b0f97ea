/**
 * Records topics into an MCAP file that `ros2 bag info`, `ros2 bag play` and Foxglove open:
 * profile "ros2", one "ros2msg" schema per message type (with its dependencies), CDR payloads,
 * `offered_qos_profiles` on every channel, zstd chunks with message indexes, statistics and
 * chunk indexes in the summary.
 *
 * Cost on the caller's thread (the control loop's): `write` encodes the message straight into
 * the open chunk (`CdrEncoder`, no allocation) after a 31-byte record header. A full chunk (or,
 * every `flushIntervalMs`, a non-empty one) moves to a worker thread without a copy; compression,
 * indexing and the disk write happen there. If the worker falls `maxPendingChunks` behind,
 * messages are dropped and counted rather than stalling the loop.
 *
 * A process killed mid-run leaves a file readable up to its last complete chunk (no summary: read
 * it as a stream; `readRecording` does).
 *
 * Times are nanoseconds since `originNs` (wall time at `open` unless given): callers pass small
 * offsets (numbers, exact to 2^53 ns), the file gets absolute u64 log times.
 */
import { McapRecordBuilder, type McapTypes } from "@mcap/core";
import { ByteBuffer, CdrEncoder } from "./CdrEncoder.js";
import { InlineChunkSink, WorkerChunkSink, type ChunkSink } from "./chunkSink.js";
import type { ChunkCompression, McapFileStats } from "./McapFileWriter.js";
import { offeredQosProfiles } from "./qos.js";
import { definitionsFor, MESSAGE_ENCODING, SCHEMA_ENCODING, schemaText, shortTypeName } from "./schemas.js";
import type { QosProfile } from "../transport/Transport.js";
import type { TopicSink } from "./TopicSink.js";

export interface McapRecorderOptions {
  readonly path: string;
  /** Uncompressed chunk size that closes a chunk (bytes, default 1 MiB). */
  readonly chunkSize?: number;
  /** A non-empty chunk is closed at least this often (ms, default 1000): what a crash can lose. */
  readonly flushIntervalMs?: number;
  readonly compression?: ChunkCompression;
  /** Compress and write on a worker thread (default true). */
  readonly worker?: boolean;
  /** Chunks waiting for the worker before messages are dropped (default 64). */
  readonly maxPendingChunks?: number;
  /** Wall time (ns since the Unix epoch) that time offsets count from (default: now). */
  readonly originNs?: bigint;
  readonly library?: string;
}

export interface RecorderStats extends McapFileStats {
  readonly dropped: number;
  readonly path: string;
  /** The writer's first error (the file is then incomplete: read it as a truncated file). */
  readonly error?: string;
}

const RECORD_HEADER = 1 + 8 + 2 + 4 + 8 + 8;
const TWO32 = 4294967296;

interface ChannelState {
  readonly id: number;
  readonly topic: string;
  readonly encoder: CdrEncoder;
  sequence: number;
}

/** Wall time now, in ns since the Unix epoch. */
export function epochNowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export class McapRecorder implements TopicSink {
  readonly path: string;
  readonly originNs: bigint;
  readonly #sink: ChunkSink;
  readonly #chunkSize: number;
  readonly #maxPending: number;
  readonly #buf: ByteBuffer;
  readonly #free: Uint8Array[] = [];
  readonly #channels: ChannelState[] = [];
  readonly #byTopic = new Map<string, number>();
  readonly #schemaIds = new Map<string, number>();
  readonly #rb = new McapRecordBuilder();
  readonly #originLo: number;
  readonly #originHi: number;
  readonly #timer: NodeJS.Timeout;
  #dropped = 0;
  #closing: Promise<RecorderStats> | undefined;

  private constructor(o: McapRecorderOptions, sink: ChunkSink, free: Uint8Array[]) {
    this.path = o.path;
    this.#sink = sink;
    this.#free = free;
    this.#chunkSize = o.chunkSize ?? 1024 * 1024;
    this.#maxPending = o.maxPendingChunks ?? 64;
    this.#buf = new ByteBuffer(this.#chunkSize + 64 * 1024);
    this.originNs = o.originNs ?? epochNowNs();
    this.#originLo = Number(this.originNs & 0xffffffffn);
    this.#originHi = Number(this.originNs >> 32n);
    this.#timer = setInterval(() => this.flush(), o.flushIntervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Creates the file (truncating it) and writes its header. Throws when the file cannot be created. */
  static async open(o: McapRecorderOptions): Promise<McapRecorder> {
    const free: Uint8Array[] = [];
    const onFree = (b: Uint8Array): void => {
      if (free.length < 4) free.push(b);
    };
    const fileOptions = { path: o.path, profile: "ros2", library: o.library ?? "tendon", compression: o.compression ?? "zstd" } as const;
    const sink = (o.worker ?? true) ? await WorkerChunkSink.open(fileOptions, onFree) : await InlineChunkSink.open(fileOptions, onFree);
    return new McapRecorder(o, sink, free);
  }

  /**
   * Declares a topic (once per topic; again returns the same channel). Its Schema and Channel
   * records go into the open chunk, so a file read as a stream knows them before their messages.
   */
  advertise(topic: string, type: string, qos: QosProfile): number {
    const known = this.#byTopic.get(topic);
    if (known !== undefined) return known;
    let schema: McapTypes.Schema | undefined;
    let schemaId = this.#schemaIds.get(type);
    if (schemaId === undefined) {
      schemaId = this.#schemaIds.size + 1;
      this.#schemaIds.set(type, schemaId);
      schema = { id: schemaId, name: type, encoding: SCHEMA_ENCODING, data: new TextEncoder().encode(schemaText(type)) };
      this.#rb.writeSchema(schema);
    }
    // One encoder per channel: each keeps the bytes of its own name lists.
    const encoder = new CdrEncoder(definitionsFor(shortTypeName(type)));
    const id = this.#channels.length + 1;
    const channel: McapTypes.Channel = {
      id,
      schemaId,
      topic,
      messageEncoding: MESSAGE_ENCODING,
      metadata: new Map([["offered_qos_profiles", offeredQosProfiles(qos)]]),
    };
    this.#rb.writeChannel(channel);
    this.#append(this.#rb.buffer);
    this.#rb.reset();
    this.#sink.addChannel(schema, channel);
    this.#channels.push({ id, topic, encoder, sequence: 0 });
    this.#byTopic.set(topic, id);
    return id;
  }

  /**
   * Records `message` on `channel` at `timeNs` after `originNs` (log and publish time). The
   * message is encoded now: it may be reused by its owner as soon as this returns.
   */
  write(channel: number, message: unknown, timeNs: number): void {
    const ch = this.#channels[channel - 1];
    if (!ch || this.#closing) return;
    if (this.#sink.pending >= this.#maxPending) {
      this.#dropped++;
      return;
    }
    const b = this.#buf;
    const start = b.pos;
    b.ensure(RECORD_HEADER);
    const off = Math.round(timeNs);
    const offHi = Math.floor(off / TWO32);
    let lo = this.#originLo + (off - offHi * TWO32);
    let hi = this.#originHi + offHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
    let v = b.view;
    v.setUint8(start, 0x05);
    v.setUint16(start + 9, ch.id, true);
    v.setUint32(start + 11, ch.sequence++ >>> 0, true);
    v.setUint32(start + 15, lo, true);
    v.setUint32(start + 19, hi, true);
    v.setUint32(start + 23, lo, true);
    v.setUint32(start + 27, hi, true);
    b.pos = start + RECORD_HEADER;
    ch.encoder.encode(message, b);
    v = b.view;
    const len = b.pos - start - 9;
    v.setUint32(start + 1, len % TWO32, true);
    v.setUint32(start + 5, Math.floor(len / TWO32), true);
    if (b.pos >= this.#chunkSize) this.flush();
  }

  /** A Metadata record (written between chunks: the open chunk is closed first). */
  addMetadata(name: string, metadata: Readonly<Record<string, string>>): void {
    if (this.#closing) return;
    this.flush();
    this.#sink.writeMetadata(name, new Map(Object.entries(metadata)));
  }

  /** Closes the open chunk (if it holds anything) and hands it to the writer. */
  flush(): void {
    const b = this.#buf;
    if (b.pos === 0) return;
    const length = b.pos;
    const next = this.#free.pop() ?? new Uint8Array(b.bytes.length);
    const full = b.swap(next);
    this.#sink.writeChunk(full, length);
  }

  /** Messages dropped because the writer fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The writer's first error, if any (the file is then incomplete). */
  get error(): Error | undefined {
    return this.#sink.error;
  }

  /** Writes the last chunk, the summary and the footer. Idempotent. */
  close(): Promise<RecorderStats> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.flush();
      const stats = await this.#sink.close();
      const error = this.#sink.error?.message;
      return { ...stats, dropped: this.#dropped, path: this.path, ...(error ? { error } : {}) };
    })();
    return this.#closing;
  }

  #append(bytes: Uint8Array): void {
    const b = this.#buf;
    b.ensure(bytes.length);
    b.bytes.set(bytes, b.pos);
    b.pos += bytes.length;
  }
}
