/**
 * The HTTP + WebSocket API of a running pipeline: status, e-stop, reset, stop, and teleop commands
 * over a WebSocket with a deadman heartbeat. Node's `http` for the endpoints, `ws` for the socket.
 *
 *   GET  /api/status     owner per group, e-stop state, loop statistics, last command (JSON)
 *   POST /api/estop      latch the e-stop (optional ?reason=...)
 *   POST /api/reset      release a latched e-stop
 *   POST /api/stop       end the run: the safe command is written and the process exits
 *   WS   /api/teleop     teleop commands (JSON text frames, see `TeleopMessage`)
 *
 * Bound to 127.0.0.1 by default. A token (`Authorization: Bearer TOKEN`, or `?token=TOKEN` for the
 * WebSocket) is required when one is set, and one must be set to bind any other address: the
 * server refuses to start on a non-loopback address without it.
 *
 * The server may start before the pipeline exists (to print its address at once): until
 * `attach()`, status answers 503 {"ready": false} and commands are refused.
 *
 * Deadman: a teleop connection keeps its groups by sending commands or {"type": "heartbeat"}
 * within the teleop source's timeout; after that the source expires and the next priority (DEP)
 * takes the groups back, ramping. A connection that closes releases its groups at once.
 */
import { UserError } from "../core/errors.js";
import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Subscription } from "rxjs";
import { WebSocketServer, type WebSocket } from "ws";
import { TELEOP_SOURCE } from "../safety/config.js";
import type { ArbiterEvent } from "../safety/events.js";
import { groupEffortCommand, type JoyTeleop } from "../safety/JoyTeleop.js";
import type { SafetyLayer } from "../safety/SafetyLayer.js";

export class ApiServerError extends UserError {
  override name = "ApiServerError";
}

export interface ApiServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port (see `port` after start). Default 0. */
  readonly port?: number;
  /** Required on a non-loopback host. */
  readonly token?: string;
  /** POST /api/stop: end the run. Without it, the endpoint answers 404. */
  readonly onStop?: () => void;
}

/** What the pipeline gives the API. */
export interface ApiPipeline {
  readonly safety: SafetyLayer;
  /** Joystick messages over the WebSocket ({"type": "joy"}); absent: refused. */
  readonly joy?: JoyTeleop;
  /** Loop problems so far, for status. */
  readonly problems?: () => number;
}

/**
 * Client to server, JSON text frames on /api/teleop:
 * - {"type": "command", "group": "elbow", "values": [0.6, 0]}  one value per muscle of the group
 * - {"type": "command", "group": "elbow", "effort": 0.5}        effort in [-1, 1]: flexors + / extensors -
 * - {"type": "command", "muscles": {"elbow_flexor": 0.6}}        takes the groups of the muscles named; others in them get their safe command
 * - {"type": "heartbeat"}                                         keeps the groups this connection commands
 * - {"type": "release", "group": "elbow"}                         hands a group (default: all of this connection's) back
 * - {"type": "joy", "axes": [...], "buttons": [...]}              a sensor_msgs/Joy, through the joystick mapping
 * - {"type": "estop", "reason": "..."} / {"type": "reset"}
 * Server to client: {"type": "hello", ...} on connect, {"type": "event", "event": ...} for every
 * arbiter event, {"type": "error", "message": ...} for a refused message.
 */
export type TeleopMessage =
  | { type: "command"; group?: string; values?: number[]; effort?: number; muscles?: Record<string, number> }
  | { type: "heartbeat" }
  | { type: "release"; group?: string }
  | { type: "joy"; axes: number[]; buttons: number[] }
  | { type: "estop"; reason?: string }
  | { type: "reset" };

/** An extra route handler (see `ApiServer.mount`). */
export type MountedHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, authorized: boolean) => boolean;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export class ApiServer {
  readonly host: string;
  readonly port: number;
  readonly #server: http.Server;
  readonly #wss: WebSocketServer;
  readonly #token: Buffer | undefined;
  readonly #onStop: (() => void) | undefined;
  readonly #recent: ArbiterEvent[] = [];
  readonly #mounts: MountedHandler[] = [];
  #pipeline: ApiPipeline | undefined;
  #events: Subscription | undefined;
  #closed = false;

  private constructor(server: http.Server, wss: WebSocketServer, host: string, port: number, options: ApiServerOptions) {
    this.#server = server;
    this.#wss = wss;
    this.host = host;
    this.port = port;
    this.#token = options.token ? Buffer.from(options.token) : undefined;
    this.#onStop = options.onStop;
  }

  /** Starts listening. Throws `ApiServerError` for a non-loopback host without a token, or a port in use. */
  static async start(options: ApiServerOptions = {}): Promise<ApiServer> {
    const host = options.host ?? "127.0.0.1";
    if (!isLoopback(host) && !options.token) {
      throw new ApiServerError(`refusing to serve on ${host} without a token: anyone who can reach it could drive the arm; give --token (or TENDON_TOKEN), or bind 127.0.0.1`);
    }
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => reject(new ApiServerError(`cannot listen on ${host}:${options.port ?? 0}: ${err.code ?? err.message}`)));
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const api = new ApiServer(server, wss, host, port, options);
    server.on("request", (req, res) => api.#request(req, res));
    server.on("upgrade", (req, socket, head) => api.#upgrade(req, socket, head));
    return api;
  }

  get url(): string {
    return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Connects the pipeline; from now on status is ready and commands are taken. */
  attach(pipeline: ApiPipeline): void {
    this.#events?.unsubscribe();
    this.#pipeline = pipeline;
    this.#events = pipeline.safety.events$.subscribe((e) => {
      this.#recent.push(e);
      if (this.#recent.length > 20) this.#recent.shift();
      const text = JSON.stringify({ type: "event", event: e });
      for (const client of this.#wss.clients) if (client.readyState === client.OPEN) client.send(text);
    });
  }

  /**
   * Adds routes outside /api/ (the dashboard's page and feed): `handler` returns true for a
   * request it answered. It is told whether the request carried the token, and must refuse data
   * to one that did not.
   */
  mount(handler: MountedHandler): void {
    this.#mounts.push(handler);
  }

  /** Closes every connection and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events?.unsubscribe();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  status(): Record<string, unknown> {
    const p = this.#pipeline;
    if (!p) return { ready: false };
    const a = p.safety.arbiter.status();
    return {
      ready: true,
      estop: a.estop,
      owners: a.owners,
      groups: a.groups,
      sources: a.sources,
      locks: a.locks,
      safeMode: a.safeMode,
      transitionSec: a.transitionSec,
      loop: p.safety.loopStats() ?? null,
      problems: p.problems?.() ?? 0,
      lastCommand: p.safety.lastCommandJson(),
      recentEvents: [...this.#recent],
    };
  }

  #authorized(req: http.IncomingMessage, url: URL): boolean {
    if (!this.#token) return true;
    const header = req.headers.authorization;
    const given = header?.startsWith("Bearer ") ? header.slice(7) : (url.searchParams.get("token") ?? "");
    const b = Buffer.from(given);
    return b.length === this.#token.length && timingSafeEqual(b, this.#token);
  }

  #request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
      res.writeHead(code, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(`${text}\n`);
    };
    const authorized = this.#authorized(req, url);
    // Extra routes (the dashboard) outside /api/; they decide what needs the token themselves.
    if (!url.pathname.startsWith("/api/")) for (const handler of this.#mounts) if (handler(req, res, url, authorized)) return;
    if (!authorized) return send(401, { error: "a valid token is required (Authorization: Bearer TOKEN)" });
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /api/status") {
      const s = this.status();
      return send(s.ready ? 200 : 503, s);
    }
    const post = ["POST /api/estop", "POST /api/reset", "POST /api/stop"];
    if (!post.includes(route)) {
      const known = url.pathname === "/api/status" || post.some((r) => r.endsWith(url.pathname));
      return send(known ? 405 : 404, { error: known ? `${req.method} is not allowed on ${url.pathname}` : `no endpoint ${url.pathname}` });
    }
    const p = this.#pipeline;
    if (route === "POST /api/stop") {
      if (!this.#onStop) return send(404, { error: "this run cannot be stopped through the API" });
      send(202, { stopping: true });
      this.#onStop();
      return;
    }
    if (!p) return send(503, { ready: false, error: "the pipeline is not running yet" });
    const arbiter = p.safety.arbiter;
    if (route === "POST /api/estop") {
      // Latched as soon as the request line is in, before any body: the reason comes in the query.
      const reason = url.searchParams.get("reason") ?? "e-stop requested over HTTP";
      const latchedNow = arbiter.estop("api", reason);
      return send(200, { latchedNow, estop: arbiter.estopState });
    }
    const released = arbiter.reset("api");
    return send(200, { released, estop: arbiter.estopState });
  }

  #upgrade(req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const refuse = (code: number, text: string): void => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (url.pathname !== "/api/teleop") return refuse(404, "Not Found");
    if (!this.#authorized(req, url)) return refuse(401, "Unauthorized");
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connection(ws));
  }

  #connection(ws: WebSocket): void {
    ws.binaryType = "nodebuffer";
    // Groups this connection commands: released when it closes.
    const mine = new Set<number>();
    const p0 = this.#pipeline;
    const teleop = p0?.safety.arbiter.sources.find((s) => s.name === TELEOP_SOURCE);
    ws.send(
      JSON.stringify({
        type: "hello",
        ready: p0 !== undefined,
        source: TELEOP_SOURCE,
        heartbeatTimeoutSec: teleop?.timeoutSec ?? null,
        muscles: p0?.safety.spec.muscles.map((m) => ({ name: m.name, min: m.commandMin, max: m.commandMax, safe: m.safeCommand })) ?? [],
        groups: p0?.safety.arbiter.groups.toJSON() ?? {},
      }),
    );
    const fail = (message: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "error", message }));
    };
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const p = this.#pipeline;
      if (!p) return fail("the pipeline is not running yet");
      if (isBinary) return fail("messages are JSON text");
      let m: TeleopMessage;
      try {
        m = JSON.parse(data.toString("utf8")) as TeleopMessage;
      } catch {
        return fail("not JSON");
      }
      try {
        this.#handle(p, m, mine);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
    });
    ws.on("close", () => {
      const p = this.#pipeline;
      if (!p) return;
      for (const g of mine) p.safety.arbiter.release(TELEOP_SOURCE, g);
    });
    ws.on("error", () => ws.terminate());
  }

  #handle(p: ApiPipeline, m: TeleopMessage, mine: Set<number>): void {
    const arbiter = p.safety.arbiter;
    if (typeof m !== "object" || m === null) throw new Error("a message is a JSON object with a 'type'");
    switch (m.type) {
      case "heartbeat":
        arbiter.heartbeat(TELEOP_SOURCE);
        return;
      case "command": {
        if (m.muscles !== undefined) {
          const names = arbiter.spec.muscles.map((x) => x.name);
          const values = Array.from(arbiter.spec.muscles, (x) => x.safeCommand);
          const groups = new Set<number>();
          for (const [name, v] of Object.entries(m.muscles)) {
            const i = names.indexOf(name);
            if (i < 0) throw new Error(`no muscle '${name}' (muscles: ${names.join(", ")})`);
            values[i] = numberOrNaN(v);
            groups.add(arbiter.groups.groupOf[i]);
          }
          arbiter.submitMuscles(TELEOP_SOURCE, values, [...groups]);
          for (const g of groups) mine.add(g);
          return;
        }
        const g = typeof m.group === "string" ? arbiter.groupIndex(m.group) : -1;
        if (g < 0) throw new Error(`'group' must name a muscle group (${arbiter.groups.names.join(", ")})`);
        if (Array.isArray(m.values)) arbiter.submitGroup(TELEOP_SOURCE, g, m.values.map(numberOrNaN));
        else if (m.effort !== undefined) arbiter.submitGroup(TELEOP_SOURCE, g, groupEffortCommand(arbiter.spec, arbiter.groups, g, numberOrNaN(m.effort)));
        else throw new Error("a command needs 'values' (one per muscle of the group), 'effort' in [-1, 1], or 'muscles'");
        mine.add(g);
        return;
      }
      case "release": {
        if (m.group === undefined) {
          for (const g of mine) arbiter.release(TELEOP_SOURCE, g);
          mine.clear();
          return;
        }
        const g = arbiter.groupIndex(m.group);
        if (g < 0) throw new Error(`no muscle group '${m.group}'`);
        arbiter.release(TELEOP_SOURCE, g);
        mine.delete(g);
        return;
      }
      case "joy": {
        if (!p.joy) throw new Error("this pipeline has no joystick mapping");
        if (!Array.isArray(m.axes) || !Array.isArray(m.buttons)) throw new Error("a joy message needs 'axes' and 'buttons' arrays");
        p.joy.onJoy(m.axes.map(numberOrNaN), m.buttons.map(numberOrNaN));
        return;
      }
      case "estop":
        arbiter.estop("teleop", typeof m.reason === "string" ? m.reason : "e-stop from a teleop connection");
        return;
      case "reset":
        arbiter.reset("teleop");
        return;
      default:
        throw new Error(`unknown message type '${String((m as { type?: unknown }).type)}'`);
    }
  }
}

function numberOrNaN(v: unknown): number {
  return typeof v === "number" ? v : Number.NaN;
}
