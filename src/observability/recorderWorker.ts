/**
 * The recorder's worker thread: compresses and writes the chunks the control loop's thread
 * hands over (see `McapFileWriter`), so that neither compression nor disk I/O ever runs on the
 * loop's thread. Messages from the parent are handled in order; each chunk buffer goes back to
 * the parent for reuse.
 *
 * The thread runs at a lower priority (nice 10; on Linux this affects this thread only): when
 * the cores are busy, the control loop comes first, and a writer that falls behind makes the
 * recorder drop (and count) messages rather than slow the loop.
 */
import os from "node:os";
import { parentPort } from "node:worker_threads";
import { McapFileWriter } from "./McapFileWriter.js";
import type { LoopRecorderFile, LoopRecorderSetup, WorkerRequest, WorkerReply } from "./chunkSink.js";
import { FLAG_MATRIX, FLAG_OWN, FLAG_PLAN, FLAG_STATS, STATS_FIELDS } from "./LoopRecorder.js";
import { LoopTopics } from "./LoopTopics.js";
import { McapRecorder } from "./McapRecorder.js";
import { TickRing } from "./TickRing.js";
import { createMuscleCommand, createSensorFrame } from "../core/frames.js";
import { createCycle } from "../loop/operators.js";
import type { LoopStatsSummary } from "../loop/LoopStats.js";
import type { DiagnosticStatusMsg } from "../transport/messages.js";

const port = parentPort;
if (!port) throw new Error("recorderWorker.ts runs as a worker thread");
try {
  os.setPriority(0, 10);
} catch {
  // not allowed here: the writer keeps the default priority
}
let writer: McapFileWriter | undefined;
let loop: LoopWriter | undefined;
let queue: Promise<void> = Promise.resolve();

/**
 * Loop mode: ticks from the ring become the profile's messages (`LoopTopics`) in a recorder that
 * encodes and writes here, on this thread.
 */
class LoopWriter {
  readonly #ring: TickRing;
  readonly #recorder: McapRecorder;
  #topics: LoopTopics | undefined;
  #cycle: ReturnType<typeof createCycle> | undefined;
  #n = 0;
  #j = 0;
  #matrix: Float64Array | undefined;
  #stats: LoopStatsSummary | undefined;
  #planSize = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(file: LoopRecorderFile, recorder: McapRecorder) {
    this.#ring = new TickRing(file.ring);
    this.#recorder = recorder;
  }

  static async open(file: LoopRecorderFile): Promise<LoopWriter> {
    const recorder = await McapRecorder.open({ path: file.path, originNs: file.originNs, worker: false, chunkSize: file.chunkSize, flushIntervalMs: file.flushIntervalMs });
    return new LoopWriter(file, recorder);
  }

  configure(setup: LoopRecorderSetup): void {
    const spec = setup.spec;
    this.#n = spec.muscles.length;
    this.#j = spec.joints.length;
    this.#cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
    this.#topics = new LoopTopics({
      spec,
      controllerName: setup.controllerName,
      simulated: setup.simulated,
      epochOffsetSec: setup.epochOffsetSec,
      // The loop's thread decided when: each record carries them, or not.
      matrix: setup.matrix ? () => this.#matrix! : undefined,
      stats: setup.stats ? () => this.#stats! : undefined,
      matrixPeriodSec: 0,
      diagnosticsPeriodSec: 0,
      onlyWhenGiven: true,
      diagnosticsExtra: setup.diagnosticsExtra,
      planner: setup.planner,
      timeOffsetSec: setup.timeOffsetSec,
      vectors: setup.vectors,
    });
    this.#planSize = setup.planner ? 2 + setup.planner.horizon * setup.planner.columns.length : 0;
    this.#topics.addSink(this.#recorder);
    this.#timer ??= setInterval(() => this.drain(), 10);
  }

  drain(): void {
    const c = this.#cycle;
    const topics = this.#topics;
    if (!c || !topics) return;
    const f = c.frame;
    const n = this.#n;
    const j = this.#j;
    this.#ring.drain((r) => {
      let p = 1;
      c.tick.startSec = r[p++];
      const flags = r[p++];
      f.jointAngleRad.set(r.subarray(p, (p += j)));
      f.jointVelocityRadps.set(r.subarray(p, (p += j)));
      f.muscleLengthM.set(r.subarray(p, (p += n)));
      f.muscleVelocityMps.set(r.subarray(p, (p += n)));
      f.muscleForceN.set(r.subarray(p, (p += n)));
      c.command.values.set(r.subarray(p, (p += n)));
      const own = r.subarray(p, (p += n));
      this.#matrix = flags & FLAG_MATRIX ? r.subarray(p, (p += n * n)) : undefined;
      if (flags & FLAG_STATS) {
        const s: Record<string, number> = {};
        for (const k of STATS_FIELDS) s[k] = r[p++];
        this.#stats = s as unknown as LoopStatsSummary;
      } else {
        this.#stats = undefined;
      }
      if (flags & FLAG_PLAN) {
        topics.setPlan(r[p], r[p + 1], r.subarray(p + 2, p + this.#planSize));
        p += this.#planSize;
      }
      topics.setOwnCommand(flags & FLAG_OWN ? own : undefined);
      topics.onCycle(c);
    });
  }

  /** A /diagnostics message at loop time `tSec`, after the ticks already in the ring. */
  addDiagnostic(tSec: number, status: DiagnosticStatusMsg): void {
    this.drain();
    this.#topics?.writeDiagnostic(status, tSec);
  }

  /** A vector topic's message at loop time `tSec`, after the ticks already in the ring. */
  addVector(tSec: number, topic: string, values: number[]): void {
    this.drain();
    this.#topics?.writeVector(topic, values, tSec);
  }

  addMetadata(name: string, entries: [string, string][]): void {
    this.drain();
    this.#recorder.addMetadata(name, Object.fromEntries(entries));
  }

  async close(): Promise<McapFileStatsWithDrops> {
    clearInterval(this.#timer);
    this.drain();
    const s = await this.#recorder.close();
    return { messages: s.messages, chunks: s.chunks, bytes: s.bytes, uncompressedBytes: s.uncompressedBytes, dropped: s.dropped };
  }
}

type McapFileStatsWithDrops = { messages: number; chunks: number; bytes: number; uncompressedBytes: number; dropped: number };

function reply(r: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(r, transfer);
}

port.on("message", (req: WorkerRequest) => {
  queue = queue.then(async () => {
    try {
      switch (req.type) {
        case "open":
          writer = await McapFileWriter.open(req.options);
          reply({ type: "opened" });
          break;
        case "loop":
          loop = await LoopWriter.open(req.file);
          reply({ type: "opened" });
          break;
        case "configure":
          loop?.configure(req.setup);
          break;
        case "channel":
          writer?.addChannel(req.schema, req.channel);
          break;
        case "chunk":
          writer?.writeChunk(new Uint8Array(req.buffer, 0, req.length));
          reply({ type: "chunk_done", buffer: req.buffer }, [req.buffer]);
          break;
        case "metadata":
          writer?.writeMetadata(req.name, new Map(req.entries));
          loop?.addMetadata(req.name, req.entries);
          break;
        case "diagnostic":
          loop?.addDiagnostic(req.tSec, req.status);
          break;
        case "vector":
          loop?.addVector(req.tSec, req.topic, req.values);
          break;
        case "close":
          if (loop) reply({ type: "closed", stats: await loop.close() });
          else reply({ type: "closed", stats: { ...(writer?.close() ?? { messages: 0, chunks: 0, bytes: 0, uncompressedBytes: 0 }), dropped: 0 } });
          break;
      }
    } catch (err) {
      reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  });
});
