/**
 * The file side of the MCAP recorder: takes chunks of serialized records (Schema, Channel and
 * Message records, as `McapRecorder` frames them on the control loop's thread), compresses each
 * into a Chunk record with its MessageIndex records, and appends them to the file with one
 * synchronous write; on `close()` it writes DataEnd, the summary (schemas, channels, Statistics,
 * metadata and chunk indexes), summary offsets and the footer, as @mcap/core's `McapWriter` does.
 *
 * Everything written before a crash stays readable: each chunk reaches the file whole or is the
 * last, incomplete record, which streaming readers stop at. It runs in the recorder's worker
 * thread (recorderWorker.ts) or, inline, on the caller's.
 */
import fs from "node:fs";
import zlib from "node:zlib";
import zstd from "@foxglove/wasm-zstd";
import { McapRecordBuilder, Opcode, type McapTypes } from "@mcap/core";

export type ChunkCompression = "zstd" | "none";

export interface McapFileWriterOptions {
  readonly path: string;
  readonly profile: string;
  readonly library: string;
  readonly compression: ChunkCompression;
  /** zstd level (default 1: fast; a control-rate stream compresses well anyway). */
  readonly level?: number;
}

export interface McapFileStats {
  readonly messages: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly uncompressedBytes: number;
}

type ChunkIndex = McapTypes.ChunkIndex;
type MetadataIndex = McapTypes.MetadataIndex;

export class McapFileWriter {
  readonly #o: McapFileWriterOptions;
  readonly #fd: number;
  readonly #rb = new McapRecordBuilder();
  #position = 0n;
  readonly #schemas = new Map<number, McapTypes.Schema>();
  readonly #channels = new Map<number, McapTypes.Channel>();
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #metadataIndexes: MetadataIndex[] = [];
  readonly #channelCounts = new Map<number, number>();
  #messageCount = 0n;
  #startTime = 0n;
  #endTime = 0n;
  #uncompressed = 0;
  #closed = false;

  private constructor(o: McapFileWriterOptions, fd: number) {
    this.#o = o;
    this.#fd = fd;
  }

  /** Creates (or truncates) the file and writes the magic and header. */
  static async open(o: McapFileWriterOptions): Promise<McapFileWriter> {
    if (o.compression === "zstd") await zstd.isLoaded;
    const fd = fs.openSync(o.path, "w");
    const w = new McapFileWriter(o, fd);
    w.#rb.writeMagic();
    w.#rb.writeHeader({ profile: o.profile, library: o.library });
    w.#flushBuilder();
    return w;
  }

  get stats(): McapFileStats {
    return { messages: Number(this.#messageCount), chunks: this.#chunkIndexes.length, bytes: Number(this.#position), uncompressedBytes: this.#uncompressed };
  }

  /** Remembers a schema and a channel for the summary (their records travel in the chunks). */
  addChannel(schema: McapTypes.Schema | undefined, channel: McapTypes.Channel): void {
    if (schema && !this.#schemas.has(schema.id)) this.#schemas.set(schema.id, schema);
    this.#channels.set(channel.id, channel);
  }

  /** Appends one chunk made of `records` (complete MCAP records, back to back). */
  writeChunk(records: Uint8Array): void {
    if (this.#closed || records.length === 0) return;
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    // Per channel, the (log time, offset) of each message, as 32-bit words: no BigInt per message.
    const index = new Map<number, number[]>();
    let startHi = Infinity;
    let startLo = 0;
    let endHi = -1;
    let endLo = 0;
    let count = 0;
    for (let p = 0; p + 9 <= records.length; ) {
      const op = records[p];
      const len = view.getUint32(p + 1, true) + view.getUint32(p + 5, true) * 4294967296;
      if (op === Opcode.MESSAGE) {
        const channelId = view.getUint16(p + 9, true);
        const lo = view.getUint32(p + 15, true);
        const hi = view.getUint32(p + 19, true);
        let list = index.get(channelId);
        if (!list) index.set(channelId, (list = []));
        list.push(lo, hi, p);
        if (hi < startHi || (hi === startHi && lo < startLo)) (startHi = hi), (startLo = lo);
        if (hi > endHi || (hi === endHi && lo > endLo)) (endHi = hi), (endLo = lo);
        this.#channelCounts.set(channelId, (this.#channelCounts.get(channelId) ?? 0) + 1);
        count++;
      }
      p += 9 + len;
    }
    const start = count > 0 ? (BigInt(startHi) << 32n) | BigInt(startLo) : 0n;
    const end = count > 0 ? (BigInt(endHi) << 32n) | BigInt(endLo) : 0n;
    if (count > 0) {
      if (this.#messageCount === 0n || start < this.#startTime) this.#startTime = start;
      if (end > this.#endTime) this.#endTime = end;
      this.#messageCount += BigInt(count);
    }
    const compressed = this.#o.compression === "zstd" ? zstd.compress(records, this.#o.level ?? 1) : records;
    // The Chunk record: its header here, the (compressed) records written from where they are.
    const compression = this.#o.compression === "zstd" ? "zstd" : "";
    const head = new Uint8Array(9 + 8 + 8 + 8 + 4 + 4 + compression.length + 8);
    const hv = new DataView(head.buffer);
    const contentLength = head.length - 9 + compressed.length;
    hv.setUint8(0, Opcode.CHUNK);
    hv.setBigUint64(1, BigInt(contentLength), true);
    hv.setBigUint64(9, start, true);
    hv.setBigUint64(17, end, true);
    hv.setBigUint64(25, BigInt(records.length), true);
    hv.setUint32(33, zlib.crc32(records), true);
    hv.setUint32(37, compression.length, true);
    for (let i = 0; i < compression.length; i++) head[41 + i] = compression.charCodeAt(i);
    hv.setBigUint64(41 + compression.length, BigInt(compressed.length), true);
    const chunkStart = this.#position;
    this.#write(head);
    this.#write(compressed);
    const chunkLength = BigInt(9 + contentLength);
    // MessageIndex records (opcode, length, channel id, byte length of the entries, entries of
    // u64 log time + u64 offset), written directly.
    const channels = [...index.keys()].sort((a, b) => a - b);
    let size = 0;
    for (const id of channels) size += 9 + 2 + 4 + (index.get(id)!.length / 3) * 16;
    const out = new Uint8Array(size);
    const ov = new DataView(out.buffer);
    const messageIndexOffsets = new Map<number, bigint>();
    let q = 0;
    for (const id of channels) {
      const list = index.get(id)!;
      const entries = (list.length / 3) * 16;
      messageIndexOffsets.set(id, this.#position + BigInt(q));
      ov.setUint8(q, Opcode.MESSAGE_INDEX);
      ov.setUint32(q + 1, 2 + 4 + entries, true);
      ov.setUint32(q + 5, 0, true);
      ov.setUint16(q + 9, id, true);
      ov.setUint32(q + 11, entries, true);
      q += 15;
      for (let i = 0; i < list.length; i += 3, q += 16) {
        ov.setUint32(q, list[i], true);
        ov.setUint32(q + 4, list[i + 1], true);
        ov.setUint32(q + 8, list[i + 2], true);
        ov.setUint32(q + 12, 0, true);
      }
    }
    this.#write(out);
    this.#uncompressed += records.length;
    this.#chunkIndexes.push({
      messageStartTime: start,
      messageEndTime: end,
      chunkStartOffset: chunkStart,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength: BigInt(size),
      compression,
      compressedSize: BigInt(compressed.length),
      uncompressedSize: BigInt(records.length),
    });
  }

  /** A Metadata record in the data section (between chunks). */
  writeMetadata(name: string, metadata: ReadonlyMap<string, string>): void {
    if (this.#closed) return;
    const offset = this.#position;
    const length = this.#rb.writeMetadata({ name, metadata: new Map(metadata) });
    this.#flushBuilder();
    this.#metadataIndexes.push({ offset, length, name });
  }

  /** Writes the summary and the footer and closes the file. Idempotent. */
  close(): McapFileStats {
    if (this.#closed) return this.stats;
    const rb = this.#rb;
    rb.writeDataEnd({ dataSectionCrc: 0 });
    this.#flushBuilder();
    const summaryStart = this.#position;
    const offsets: McapTypes.SummaryOffset[] = [];
    const group = (opcode: Opcode, write: () => bigint): void => {
      const groupStart = this.#position + BigInt(rb.length);
      const groupLength = write();
      if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
    };
    group(Opcode.SCHEMA, () => [...this.#schemas.values()].reduce((n, s) => n + rb.writeSchema(s), 0n));
    group(Opcode.CHANNEL, () => [...this.#channels.values()].reduce((n, c) => n + rb.writeChannel(c), 0n));
    group(Opcode.STATISTICS, () =>
      rb.writeStatistics({
        messageCount: this.#messageCount,
        schemaCount: this.#schemas.size,
        channelCount: this.#channels.size,
        attachmentCount: 0,
        metadataCount: this.#metadataIndexes.length,
        chunkCount: this.#chunkIndexes.length,
        messageStartTime: this.#startTime,
        messageEndTime: this.#endTime,
        channelMessageCounts: new Map([...this.#channels.keys()].map((id) => [id, BigInt(this.#channelCounts.get(id) ?? 0)])),
      }),
    );
    group(Opcode.METADATA_INDEX, () => this.#metadataIndexes.reduce((n, m) => n + rb.writeMetadataIndex(m), 0n));
    group(Opcode.CHUNK_INDEX, () => this.#chunkIndexes.reduce((n, c) => n + rb.writeChunkIndex(c), 0n));
    const summaryOffsetStart = this.#position + BigInt(rb.length);
    for (const o of offsets) rb.writeSummaryOffset(o);
    // The summary CRC covers the summary, the summary offsets and the footer up to the CRC field.
    const footerHead = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
    footerHead.setUint8(0, Opcode.FOOTER);
    footerHead.setBigUint64(1, 8n + 8n + 4n, true);
    const hasSummary = summaryOffsetStart > summaryStart;
    footerHead.setBigUint64(9, hasSummary ? summaryStart : 0n, true);
    footerHead.setBigUint64(17, summaryOffsetStart, true);
    const summaryCrc = zlib.crc32(new Uint8Array(footerHead.buffer), zlib.crc32(rb.buffer));
    rb.writeFooter({ summaryStart: hasSummary ? summaryStart : 0n, summaryOffsetStart, summaryCrc });
    rb.writeMagic();
    this.#flushBuilder();
    fs.closeSync(this.#fd);
    this.#closed = true;
    return this.stats;
  }

  #flushBuilder(): void {
    this.#write(this.#rb.buffer);
    this.#rb.reset();
  }

  #write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.#fd, bytes, off, bytes.length - off);
    this.#position += BigInt(bytes.length);
  }
}
