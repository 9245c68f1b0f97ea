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
 * No web page from elsewhere may command the arm (cross-site request forgery, WebSocket hijacking,
 * DNS rebinding), whatever the browser it runs in can reach:
 * - Host: every request must name this server (on loopback: 127.0.0.1, localhost or [::1] with
 *   its port); a page served under another name that resolves here (DNS rebinding) is refused.
 * - Origin: a request that changes anything (every POST, every WebSocket upgrade) carrying an
 *   Origin must come from this server's own origin or one of `allowedOrigins`. Programs that send
 *   no Origin (curl, `tendon teleop`) are not browsers and pass this check.
 * - Credentials: without a configured token the server makes one per run (`token`), and what
 *   moves the arm (POST /api/reset, the teleop WebSocket) needs it or the session cookie that
 *   this server sets on a page navigated to directly (the dashboard). Status, e-stop and stop stay
 *   open on loopback: they only read, or make the arm safe. With a configured token, everything
 *   needs the token or the cookie.
 *
 * The server may start before the pipeline exists (to print its address at once): until
 * `attach()`, status answers 503 {"ready": false} and commands are refused.
 *
 * Deadman: a teleop connection keeps its groups by sending commands or {"type": "heartbeat"}
 * within the teleop source's timeout; after that the source expires and the next priority (DEP)
 * takes the groups back, ramping. A connection that closes releases its groups at once.
 */
import { UserError } from "../core/errors.js";
import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Subscription } from "rxjs";
import { WebSocketServer, type WebSocket } from "ws";
import { TELEOP_SOURCE } from "../safety/config.js";
import type { ArbiterEvent } from "../safety/events.js";
import { groupEffortCommand, type JoyTeleop } from "../safety/JoyTeleop.js";
import type { SafetyLayer } from "../safety/SafetyLayer.js";
import { removeRunToken, writeRunToken } from "./runToken.js";

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
  /**
   * Origins besides the server's own whose pages may command it (`http://lab-pc:8080`): a page
   * of yours served elsewhere. Default none.
   */
  readonly allowedOrigins?: readonly string[];
  /** Without `token`: write the per-run token to a private file (see runToken.ts). Default true. */
  readonly publishToken?: boolean;
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

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/** `origin` as a browser writes it (scheme://host[:port]), or a usage error's message. */
export function normalizeOrigin(origin: string): string | { error: string } {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return { error: `an allowed origin is a URL like http://lab-pc:8080, got '${origin}'` };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return { error: `an allowed origin is http:// or https://, got '${origin}'` };
  return u.origin;
}

/** Why a request was refused: HTTP status and a one-line reason. */
interface Refusal {
  readonly code: 401 | 403;
  readonly message: string;
}

export class ApiServer {
  readonly host: string;
  readonly port: number;
  readonly #server: http.Server;
  readonly #wss: WebSocketServer;
  readonly #token: Buffer;
  /** The token was given (`--token`): every endpoint needs it. Otherwise it is this run's own. */
  readonly #tokenConfigured: boolean;
  readonly #session: Buffer;
  readonly #cookieName: string;
  readonly #allowedHosts: Set<string> | undefined;
  readonly #allowedOrigins: Set<string>;
  readonly #tokenFile: string | undefined;
  readonly #onStop: (() => void) | undefined;
  readonly #recent: ArbiterEvent[] = [];
  readonly #mounts: MountedHandler[] = [];
  #pipeline: ApiPipeline | undefined;
  #events: Subscription | undefined;
  #closed = false;
  #refused = 0;

  private constructor(server: http.Server, wss: WebSocketServer, host: string, port: number, options: ApiServerOptions) {
    this.#server = server;
    this.#wss = wss;
    this.host = host;
    this.port = port;
    this.#tokenConfigured = Boolean(options.token);
    const token = options.token || randomBytes(18).toString("base64url");
    this.#token = Buffer.from(token);
    this.#session = Buffer.from(randomBytes(18).toString("base64url"));
    // Cookies are scoped by host, not port: one name per port keeps two servers apart.
    this.#cookieName = `tendon_session_${port}`;
    this.#allowedHosts = allowedHosts(host, port);
    this.#allowedOrigins = new Set<string>();
    for (const o of options.allowedOrigins ?? []) {
      const n = normalizeOrigin(o);
      if (typeof n !== "string") throw new ApiServerError(n.error);
      this.#allowedOrigins.add(n);
    }
    this.#tokenFile = !this.#tokenConfigured && options.publishToken !== false ? writeRunToken(port, token) : undefined;
    this.#onStop = options.onStop;
  }

  /** The token: the configured one, or this run's own (what moves the arm needs it, or the session cookie). */
  get token(): string {
    return this.#token.toString();
  }

  /** The private file holding this run's own token, where one was written. */
  get tokenFile(): string | undefined {
    return this.#tokenFile;
  }

  /** One line for the person who started the run: what the API needs from a client. */
  describeAccess(): string {
    if (this.#tokenConfigured) return `the API needs the token for every request; open ${this.url}/dashboard/?token=TOKEN`;
    const where = this.#tokenFile ? ` (also in ${this.#tokenFile}, which tendon teleop reads)` : "";
    return `dashboard ${this.url}/dashboard/; reset and teleop need this run's token ${this.token}${where}; web pages from other origins are refused`;
  }

  /** Starts listening. Throws `ApiServerError` for a non-loopback host without a token, or a port in use. */
  static async start(options: ApiServerOptions = {}): Promise<ApiServer> {
    const host = options.host ?? "127.0.0.1";
    if (!isLoopback(host) && !options.token) {
      throw new ApiServerError(`refusing to serve on ${host} without a token: anyone who can reach it could drive the arm; give --token (or TENDON_TOKEN), or bind 127.0.0.1`);
    }
    for (const o of options.allowedOrigins ?? []) {
      const n = normalizeOrigin(o);
      if (typeof n !== "string") throw new ApiServerError(n.error);
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
    if (this.#tokenFile) removeRunToken(this.#tokenFile, this.token);
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
      teleopRefused: this.#refused,
      lastCommand: p.safety.lastCommandJson(),
      recentEvents: [...this.#recent],
    };
  }

  /** The request carries the token (header or ?token=) or this run's session cookie. */
  #credentialed(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    const given = header?.startsWith("Bearer ") ? header.slice(7) : url.searchParams.get("token");
    if (given !== null && given !== undefined && equalSecret(Buffer.from(given), this.#token)) return true;
    const cookie = readCookie(req.headers.cookie, this.#cookieName);
    return cookie !== undefined && equalSecret(Buffer.from(cookie), this.#session);
  }

  /** Host and Origin checks: undefined when the request may come from where it comes from. */
  #whereFrom(req: http.IncomingMessage, changes: boolean): Refusal | undefined {
    const host = req.headers.host;
    if (host !== undefined && this.#allowedHosts && !this.#allowedHosts.has(host.toLowerCase())) {
      return { code: 403, message: `Host '${host}' is not this server (${this.url}): requests under another name are refused (DNS rebinding)` };
    }
    const origin = req.headers.origin;
    if (!changes || origin === undefined) return undefined;
    if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return undefined;
    if (this.#allowedOrigins.has(origin)) return undefined;
    return { code: 403, message: `a page from ${origin} may not command this arm: only the server's own pages (and --allow-origin) may` };
  }

  /** Whether what moves the arm is allowed: the token or the session cookie. */
  #mayMove(req: http.IncomingMessage, url: URL): Refusal | undefined {
    if (this.#credentialed(req, url)) return undefined;
    if (this.#tokenConfigured) return { code: 401, message: "a valid token is required (Authorization: Bearer TOKEN)" };
    return {
      code: 401,
      message: `this needs the run's token (printed at start${this.#tokenFile ? `, in ${this.#tokenFile}` : ""}; Authorization: Bearer TOKEN) or the dashboard's session`,
    };
  }

  /** A page navigated to directly on this server (the dashboard) gets the session cookie. */
  #issueSession(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    if (req.method !== "GET" || !this.#credentialedOrOpen(req, url)) return;
    const site = req.headers["sec-fetch-site"];
    const dest = req.headers["sec-fetch-dest"];
    if (dest !== "document" || (site !== "none" && site !== "same-origin")) return;
    res.setHeader("set-cookie", `${this.#cookieName}=${this.#session.toString()}; Path=/; HttpOnly; SameSite=Strict`);
  }

  #credentialedOrOpen(req: http.IncomingMessage, url: URL): boolean {
    return !this.#tokenConfigured || this.#credentialed(req, url);
  }

  #request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
      res.writeHead(code, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(`${text}\n`);
    };
    const changes = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
    const from = this.#whereFrom(req, changes);
    if (from) return send(from.code, { error: from.message });
    const authorized = this.#credentialedOrOpen(req, url);
    // Extra routes (the dashboard) outside /api/; they decide what needs the token themselves.
    if (!url.pathname.startsWith("/api/")) {
      this.#issueSession(req, res, url);
      for (const handler of this.#mounts) if (handler(req, res, url, authorized)) return;
    }
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
    // Releasing the e-stop lets the arm move again.
    const refused = this.#mayMove(req, url);
    if (refused) return send(refused.code, { error: refused.message });
    const released = arbiter.reset("api");
    return send(200, { released, estop: arbiter.estopState });
  }

  #upgrade(req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const refuse = (code: number, text: string, reason?: string): void => {
      const body = reason ? `${reason}\n` : "";
      socket.end(`HTTP/1.1 ${code} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    if (url.pathname !== "/api/teleop") return refuse(404, "Not Found");
    // Browsers send an Origin with every WebSocket handshake, and no preflight protects it.
    const refusal = this.#whereFrom(req, true) ?? this.#mayMove(req, url);
    if (refusal) return refuse(refusal.code, refusal.code === 401 ? "Unauthorized" : "Forbidden", refusal.message);
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

  /** Teleop commands refused for a value out of range (see status `teleopRefused`). */
  get teleopRefused(): number {
    return this.#refused;
  }

  /** Counts a refused command and throws its reason (sent back to the client). */
  #refuse(reason: string): never {
    this.#refused++;
    throw new Error(reason);
  }

  /** `v` when it is a number within the muscle's command range; refused otherwise (never quietly clamped). */
  #inRange(muscle: { readonly name: string; readonly commandMin: number; readonly commandMax: number }, v: unknown): number {
    if (typeof v !== "number" || !Number.isFinite(v) || v < muscle.commandMin || v > muscle.commandMax) {
      this.#refuse(`${muscle.name}: ${JSON.stringify(v)} is outside its command range [${muscle.commandMin}, ${muscle.commandMax}]; nothing was applied`);
    }
    return v;
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
            values[i] = this.#inRange(arbiter.spec.muscles[i], v);
            groups.add(arbiter.groups.groupOf[i]);
          }
          arbiter.submitMuscles(TELEOP_SOURCE, values, [...groups]);
          for (const g of groups) mine.add(g);
          return;
        }
        const g = typeof m.group === "string" ? arbiter.groupIndex(m.group) : -1;
        if (g < 0) throw new Error(`'group' must name a muscle group (${arbiter.groups.names.join(", ")})`);
        if (Array.isArray(m.values)) {
          const members = arbiter.groups.muscles[g];
          if (m.values.length !== members.length) this.#refuse(`group '${m.group}' has ${members.length} muscles (${Array.from(members, (i) => arbiter.spec.muscles[i].name).join(", ")}): give one value each, got ${m.values.length}`);
          arbiter.submitGroup(TELEOP_SOURCE, g, m.values.map((v, k) => this.#inRange(arbiter.spec.muscles[members[k]], v)));
        } else if (m.effort !== undefined) {
          const e = m.effort;
          if (typeof e !== "number" || !Number.isFinite(e) || e < -1 || e > 1) this.#refuse(`effort must be a number in [-1, 1], got ${JSON.stringify(e)}; nothing was applied`);
          arbiter.submitGroup(TELEOP_SOURCE, g, groupEffortCommand(arbiter.spec, arbiter.groups, g, e));
        }
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

/** Host header values that name a server bound to `host`:`port`; undefined (any) for a wildcard bind, which needs a token anyway. */
function allowedHosts(host: string, port: number): Set<string> | undefined {
  if (WILDCARD.has(host)) return undefined;
  const names = new Set<string>([host.includes(":") ? `[${host}]` : host]);
  if (isLoopback(host)) for (const n of ["127.0.0.1", "localhost", "[::1]"]) names.add(n);
  const hosts = new Set<string>();
  for (const n of names) {
    hosts.add(`${n.toLowerCase()}:${port}`);
    if (port === 80) hosts.add(n.toLowerCase());
  }
  return hosts;
}

function equalSecret(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
