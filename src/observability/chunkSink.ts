/**
 * Where the recorder's finished chunks go: a worker thread (the default: compression and disk
 * I/O off the control loop's thread) or the caller's own thread (`inline`, for tools and tests).
 * Both end in a `McapFileWriter`.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { McapTypes } from "@mcap/core";
import { McapFileWriter, type McapFileStats, type McapFileWriterOptions } from "./McapFileWriter.js";
import type { RobotSpec } from "../core/spec.js";
import type { TickRingBuffers } from "./TickRing.js";
import type { DiagnosticStatusMsg } from "../transport/messages.js";

/** The file and the ring of a `LoopRecorder`. */
export interface LoopRecorderFile {
  readonly path: string;
  readonly originNs: bigint;
  readonly ring: TickRingBuffers;
  readonly chunkSize?: number;
  readonly flushIntervalMs?: number;
}

/** What the ticks in the ring are (see `LoopRecorder.configure`). */
export interface LoopRecorderSetup {
  readonly spec: RobotSpec;
  readonly controllerName: string;
  readonly simulated: boolean;
  readonly epochOffsetSec: number;
  readonly matrix: boolean;
  readonly stats: boolean;
  readonly diagnosticsExtra: Readonly<Record<string, string | number | boolean>>;
  /** A planner's topics (records with FLAG_PLAN carry a plan). */
  readonly planner?: { readonly horizon: number; readonly columns: readonly string[] };
  /** Added to the loop time of every tick. */
  readonly timeOffsetSec?: number;
  /** Vector topics published between ticks ("vector" requests): name and dim[0] label. */
  readonly vectors?: readonly VectorTopic[];
}

/** A std_msgs/Float64MultiArray vector topic published on demand (/learner/model_loss), with its dim[0] label. */
export interface VectorTopic {
  readonly name: string;
  readonly label: string;
}

export type WorkerRequest =
  | { type: "open"; options: McapFileWriterOptions }
  | { type: "loop"; file: LoopRecorderFile }
  | { type: "configure"; setup: LoopRecorderSetup }
  | { type: "channel"; schema: McapTypes.Schema | undefined; channel: McapTypes.Channel }
  | { type: "chunk"; buffer: ArrayBuffer; length: number }
  | { type: "metadata"; name: string; entries: [string, string][] }
  | { type: "diagnostic"; tSec: number; status: DiagnosticStatusMsg }
  | { type: "vector"; tSec: number; topic: string; values: number[] }
  | { type: "close" };

export type WorkerReply =
  | { type: "opened" }
  | { type: "chunk_done"; buffer: ArrayBuffer }
  | { type: "closed"; stats: McapFileStats & { dropped: number } }
  | { type: "error"; message: string };

export interface ChunkSink {
  addChannel(schema: McapTypes.Schema | undefined, channel: McapTypes.Channel): void;
  /**
   * Takes `bytes[0, length)` as one chunk. The sink owns `bytes` from now on; a buffer it is done
   * with comes back through `onFree` (possibly later) for reuse.
   */
  writeChunk(bytes: Uint8Array, length: number): void;
  writeMetadata(name: string, metadata: ReadonlyMap<string, string>): void;
  /** Chunks handed over and not yet written. */
  readonly pending: number;
  /** The first error the writing side met (the file is then incomplete), if any. */
  readonly error: Error | undefined;
  close(): Promise<McapFileStats>;
}

export class InlineChunkSink implements ChunkSink {
  readonly #w: McapFileWriter;
  readonly #onFree: (b: Uint8Array) => void;
  #error: Error | undefined;
  readonly pending = 0;

  private constructor(w: McapFileWriter, onFree: (b: Uint8Array) => void) {
    this.#w = w;
    this.#onFree = onFree;
  }

  static async open(options: McapFileWriterOptions, onFree: (b: Uint8Array) => void): Promise<InlineChunkSink> {
    return new InlineChunkSink(await McapFileWriter.open(options), onFree);
  }

  get error(): Error | undefined {
    return this.#error;
  }

  addChannel(schema: McapTypes.Schema | undefined, channel: McapTypes.Channel): void {
    this.#w.addChannel(schema, channel);
  }

  writeChunk(bytes: Uint8Array, length: number): void {
    try {
      this.#w.writeChunk(bytes.subarray(0, length));
    } catch (err) {
      this.#error ??= err as Error;
    }
    this.#onFree(bytes);
  }

  writeMetadata(name: string, metadata: ReadonlyMap<string, string>): void {
    this.#w.writeMetadata(name, metadata);
  }

  async close(): Promise<McapFileStats> {
    return this.#w.close();
  }
}

/**
 * The worker thread: recorderWorker.js beside this file when compiled. When running from the
 * TypeScript source (tests, `node --import tsx`), Node 20 does not pass tsx's loader on to worker
 * threads, so the worker loads recorderWorker.ts through tsx's API itself.
 */
export function startRecorderWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./recorderWorker.js", import.meta.url));
  const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
  const entry = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports["./esm/api"].import.default;
  const api = pathToFileURL(path.join(path.dirname(pkg), entry)).href;
  const target = new URL("./recorderWorker.ts", import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target)}, ${JSON.stringify(import.meta.url)}))`, { eval: true });
}

export class WorkerChunkSink implements ChunkSink {
  readonly #worker: Worker;
  readonly #onFree: (b: Uint8Array) => void;
  #pending = 0;
  #error: Error | undefined;
  #closed: ((stats: McapFileStats) => void) | undefined;
  #closeFailed: ((err: Error) => void) | undefined;

  private constructor(worker: Worker, onFree: (b: Uint8Array) => void) {
    this.#worker = worker;
    this.#onFree = onFree;
  }

  static async open(options: McapFileWriterOptions, onFree: (b: Uint8Array) => void): Promise<WorkerChunkSink> {
    const worker = startRecorderWorker();
    const sink = new WorkerChunkSink(worker, onFree);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (r: WorkerReply): void => {
        if (r.type === "opened") resolve();
        else if (r.type === "error") reject(new Error(r.message));
        else sink.#onReply(r);
      };
      worker.once("error", reject);
      worker.on("message", onMessage);
      const req: WorkerRequest = { type: "open", options };
      worker.postMessage(req);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    worker.on("error", (err) => {
      sink.#error ??= err;
      sink.#closeFailed?.(err);
    });
    // The worker must not keep the process alive on its own.
    worker.unref();
    return sink;
  }

  #onReply(r: WorkerReply): void {
    switch (r.type) {
      case "chunk_done":
        this.#pending--;
        this.#onFree(new Uint8Array(r.buffer));
        break;
      case "closed":
        this.#closed?.(r.stats);
        break;
      case "error":
        this.#error ??= new Error(r.message);
        // A failure while closing ends the wait for "closed".
        this.#closeFailed?.(new Error(r.message));
        break;
    }
  }

  get pending(): number {
    return this.#pending;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  addChannel(schema: McapTypes.Schema | undefined, channel: McapTypes.Channel): void {
    this.#post({ type: "channel", schema, channel });
  }

  writeChunk(bytes: Uint8Array, length: number): void {
    // The whole buffer moves to the worker (no copy) and comes back when written.
    const buffer = bytes.buffer as ArrayBuffer;
    this.#pending++;
    this.#worker.postMessage({ type: "chunk", buffer, length } satisfies WorkerRequest, [buffer]);
  }

  writeMetadata(name: string, metadata: ReadonlyMap<string, string>): void {
    this.#post({ type: "metadata", name, entries: [...metadata.entries()] });
  }

  async close(): Promise<McapFileStats> {
    this.#worker.ref();
    try {
      return await new Promise<McapFileStats>((resolve, reject) => {
        this.#closed = resolve;
        this.#closeFailed = reject;
        this.#post({ type: "close" });
      });
    } finally {
      await this.#worker.terminate();
    }
  }

  #post(req: WorkerRequest): void {
    this.#worker.postMessage(req);
  }
}
