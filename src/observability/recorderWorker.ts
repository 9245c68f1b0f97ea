/**
 * The recorder's worker thread: compresses and writes the chunks the control loop's thread
 * hands over (see `McapFileWriter`), so that neither compression nor disk I/O ever runs on the
 * loop's thread. Messages from the parent are handled in order; each chunk buffer goes back to
 * the parent for reuse.
 */
import { parentPort } from "node:worker_threads";
import { McapFileWriter } from "./McapFileWriter.js";
import type { WorkerRequest, WorkerReply } from "./chunkSink.js";

const port = parentPort;
if (!port) throw new Error("recorderWorker.ts runs as a worker thread");
let writer: McapFileWriter | undefined;
let queue: Promise<void> = Promise.resolve();

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
        case "channel":
          writer?.addChannel(req.schema, req.channel);
          break;
        case "chunk":
          writer?.writeChunk(new Uint8Array(req.buffer, 0, req.length));
          reply({ type: "chunk_done", buffer: req.buffer }, [req.buffer]);
          break;
        case "metadata":
          writer?.writeMetadata(req.name, new Map(req.entries));
          break;
        case "close":
          reply({ type: "closed", stats: writer?.close() ?? { messages: 0, chunks: 0, bytes: 0, uncompressedBytes: 0 } });
          break;
      }
    } catch (err) {
      reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  });
});
