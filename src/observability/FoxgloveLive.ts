/**
 * The live view: a Foxglove WebSocket server (@foxglove/ws-protocol's `FoxgloveServer` over `ws`,
 * subprotocol "foxglove.websocket.v1") that advertises every topic as foxglove_bridge does
 * (encoding "cdr", schema encoding "ros2msg", the schema text of `schemaText`) and sends each
 * message to the clients subscribed to it, CDR-encoded, in a binary message frame (opcode 1,
 * u32 subscription id, u64 timestamp in ns, payload). Open it in Foxglove (or Lichtblick) with
 * "Open connection" -> Foxglove WebSocket -> ws://127.0.0.1:8765, and load docs/foxglove-layout.json.
 *
 * Nothing is encoded for a topic nobody subscribes to. Bound to 127.0.0.1 unless told otherwise.
 */
import type { AddressInfo } from "node:net";
import wsProtocol from "@foxglove/ws-protocol";
import { WebSocketServer } from "ws";
import { ByteBuffer, CdrEncoder } from "./CdrEncoder.js";
import { epochNowNs } from "./McapRecorder.js";
import { definitionsFor, MESSAGE_ENCODING, SCHEMA_ENCODING, schemaText, shortTypeName } from "./schemas.js";
import type { QosProfile } from "../transport/Transport.js";
import type { TopicSink } from "./TopicSink.js";

// A CommonJS package: its named exports come through the default import under Node's ESM.
const { FoxgloveServer } = wsProtocol;
type FoxgloveServer = InstanceType<typeof FoxgloveServer>;

export interface FoxgloveLiveOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port (the command line's default is 8765). */
  readonly port: number;
  readonly name?: string;
  /** Wall time (ns since the epoch) that time offsets count from (default: now). */
  readonly originNs?: bigint;
}

export class FoxgloveLiveError extends Error {
  override name = "FoxgloveLiveError";
}

interface LiveChannel {
  readonly id: number;
  readonly encoder: CdrEncoder;
  subscribed: boolean;
}

export class FoxgloveLive implements TopicSink {
  readonly host: string;
  readonly port: number;
  readonly originNs: bigint;
  readonly #server: FoxgloveServer;
  readonly #wss: WebSocketServer;
  readonly #byTopic = new Map<string, LiveChannel>();
  readonly #byId = new Map<number, LiveChannel>();
  readonly #scratch = new ByteBuffer(64 * 1024);
  #closed = false;

  private constructor(server: FoxgloveServer, wss: WebSocketServer, host: string, port: number, originNs: bigint) {
    this.#server = server;
    this.#wss = wss;
    this.host = host;
    this.port = port;
    this.originNs = originNs;
  }

  /** Starts listening. Throws `FoxgloveLiveError` when the port cannot be bound. */
  static async start(options: FoxgloveLiveOptions): Promise<FoxgloveLive> {
    const host = options.host ?? "127.0.0.1";
    const server = new FoxgloveServer({ name: options.name ?? "tendon", capabilities: [] });
    const wss = new WebSocketServer({ host, port: options.port, handleProtocols: (protocols) => server.handleProtocols(protocols) });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", () => resolve());
      wss.once("error", (err: NodeJS.ErrnoException) => reject(new FoxgloveLiveError(`cannot serve the Foxglove live view on ${host}:${options.port}: ${err.code ?? err.message}`)));
    });
    const port = (wss.address() as AddressInfo).port;
    const live = new FoxgloveLive(server, wss, host, port, options.originNs ?? epochNowNs());
    wss.on("connection", (conn, req) => server.handleConnection(conn, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
    server.on("subscribe", (id) => live.#setSubscribed(id, true));
    server.on("unsubscribe", (id) => live.#setSubscribed(id, false));
    // A client that misbehaves is the client's problem, never the run's.
    server.on("error", () => undefined);
    return live;
  }

  get url(): string {
    return `ws://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Connected clients. */
  get clients(): number {
    return this.#wss.clients.size;
  }

  advertise(topic: string, type: string, _qos: QosProfile): number {
    const known = this.#byTopic.get(topic);
    if (known) return known.id;
    const id = this.#server.addChannel({ topic, encoding: MESSAGE_ENCODING, schemaName: type, schema: schemaText(type), schemaEncoding: SCHEMA_ENCODING });
    const ch: LiveChannel = { id, encoder: new CdrEncoder(definitionsFor(shortTypeName(type))), subscribed: false };
    this.#byTopic.set(topic, ch);
    this.#byId.set(id, ch);
    return id;
  }

  write(channel: number, message: unknown, timeNs: number): void {
    const ch = this.#byId.get(channel);
    if (!ch?.subscribed || this.#closed) return;
    const b = this.#scratch;
    b.pos = 0;
    ch.encoder.encode(message, b);
    this.#server.sendMessage(channel, this.originNs + BigInt(Math.round(timeNs)), b.bytes.slice(0, b.pos));
  }

  #setSubscribed(id: number, on: boolean): void {
    const ch = this.#byId.get(id);
    if (ch) ch.subscribed = on;
  }

  /** Closes every connection and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
