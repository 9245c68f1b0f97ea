/**
 * `--serve` for a run (`tendon sim`, `tendon hw`): the API server, started before the run so its
 * address is printed at once, and the safety layer (arbiter, limits, joystick mapping) put into
 * the run's loop once the bridge's spec is known.
 *
 * A served run without --duration runs until it is stopped: Ctrl-C or SIGTERM (exit 130, as any
 * interrupted run), or `POST /api/stop` (exit 0). Either way the loop ends after its current tick
 * and writes the safe command.
 */
import { NodeTimer } from "../loop/ticks.js";
import { Option, type Command } from "commander";
import type { ControlLoop } from "../loop/ControlLoop.js";
import { readSafetyConfig, defaultSafetyConfig, JOY_SOURCE, type SafetyConfig } from "../safety/config.js";
import type { ArbiterEvent } from "../safety/events.js";
import { JoyTeleop, readJoyMapping, type JoyMapping } from "../safety/JoyTeleop.js";
import type { ExtendLoop } from "../safety/loopExtension.js";
import { SafetyLayer } from "../safety/SafetyLayer.js";
import { ApiServer, type ApiServerOptions } from "./ApiServer.js";

export const DEFAULT_SERVE_PORT = 7400;

/** The flags `--serve` brings, as commander parses them. */
export interface ServeFlags {
  serve?: string | true;
  host: string;
  token?: string;
  safety?: string;
  joyMap?: string;
}

/** Adds --serve, --host, --token, --safety and --joy-map to a run command. */
export function addServeOptions(command: Command): Command {
  return command
    .option("--serve [port]", `serve the HTTP/WebSocket API (status, e-stop, reset, teleop) on PORT (default ${DEFAULT_SERVE_PORT}; 0 picks a free one); runs in real time, until stopped unless --duration is given`)
    .option("--host <addr>", "address the API binds to; anything but loopback needs --token", "127.0.0.1")
    .addOption(new Option("--token <token>", "token the API requires (Authorization: Bearer TOKEN)").env("TENDON_TOKEN"))
    .option("--safety <file>", "arbitration and limits configuration (YAML or JSON): sources, priorities, timeouts, locks, muscle groups, safe command")
    .option("--joy-map <file>", "joystick mapping (YAML or JSON): axes and buttons to muscle groups or joints, deadman button");
}

/** The port `--serve [port]` asks for, or a usage error's message. */
export function servePort(value: string | true): number | string {
  if (value === true) return DEFAULT_SERVE_PORT;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) return `--serve needs a port number 0-65535, got '${value}'.`;
  return n;
}

export interface ServeSessionOptions extends ApiServerOptions {
  readonly safety?: SafetyConfig;
  readonly joyMapping?: JoyMapping;
  /** Where "serving on URL" and event lines go (default stdout / stderr). */
  readonly out?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export class ServeSession {
  readonly server: ApiServer;
  readonly #options: ServeSessionOptions;
  #layer: SafetyLayer | undefined;
  #loop: ControlLoop | undefined;
  #problems = 0;
  #stopRequested = false;

  private constructor(server: ApiServer, options: ServeSessionOptions) {
    this.server = server;
    this.#options = options;
  }

  /** Reads the files the flags name (throwing their errors), starts the server, prints its address. */
  static async fromFlags(flags: ServeFlags, port: number): Promise<ServeSession> {
    const safety = flags.safety ? readSafetyConfig(flags.safety) : undefined;
    const joyMapping = flags.joyMap ? readJoyMapping(flags.joyMap) : undefined;
    return ServeSession.start({ host: flags.host, port, token: flags.token, safety, joyMapping });
  }

  static async start(options: ServeSessionOptions): Promise<ServeSession> {
    let session: ServeSession | undefined;
    const server = await ApiServer.start({ ...options, onStop: () => session?.stop() });
    session = new ServeSession(server, options);
    (options.out ?? ((l) => process.stdout.write(`${l}\n`)))(`serving on ${server.url}`);
    return session;
  }

  /** Whether the run was ended through the API. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  get safety(): SafetyLayer | undefined {
    return this.#layer;
  }

  /** For the run's `extendLoop`: builds the safety layer for the spec and connects the API to it. */
  readonly extendLoop: ExtendLoop = (ctx) => {
    // Without a file, the loop's controller source carries the controller's name ("dep").
    const config = this.#options.safety ?? defaultSafetyConfig(ctx.controllerName);
    // In real time, the loop's timer polls the event loop while it waits for the next tick: a
    // WebSocket or HTTP request that arrives then is handled before the tick, not after.
    const timer = ctx.clock ? new NodeTimer() : undefined;
    const layer = new SafetyLayer({ spec: ctx.spec, config, clock: timer });
    this.#layer = layer;
    const joy = layer.arbiter.sourceIndex(JOY_SOURCE) >= 0 ? new JoyTeleop({ arbiter: layer.arbiter, mapping: this.#options.joyMapping }) : undefined;
    this.server.attach({ safety: layer, joy, problems: () => this.#problems });
    const log = this.#options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    layer.events$.subscribe((e) => log(describeEvent(e)));
    return { ...layer.loopOptions(), timer };
  };

  /** For the run's `onLoop`: follows the loop (status, stop). */
  attachLoop(loop: ControlLoop): void {
    this.#loop = loop;
    this.#layer?.attach(loop);
    // An e-stop from the API (HTTP or WebSocket, handled between ticks) writes the safe command at
    // once; the latched e-stop keeps every following tick safe until reset.
    this.#layer?.events$.subscribe((e) => {
      if (e.type === "estop") loop.writeSafeNow(`e-stop by ${e.by}: ${e.reason}`);
    });
    loop.events$.subscribe((e) => {
      if (e.type === "problem") this.#problems++;
    });
    if (this.#stopRequested) loop.stop();
  }

  /** Ends the run after its current tick. */
  stop(): void {
    this.#stopRequested = true;
    this.#loop?.stop();
  }

  async close(): Promise<void> {
    await this.server.close();
    this.#layer?.dispose();
  }
}

/** One line for a person watching the run. */
export function describeEvent(e: ArbiterEvent): string {
  const t = Number.isFinite(e.stampSec) ? `${e.stampSec.toFixed(3)} s` : "";
  switch (e.type) {
    case "owner":
      return `[${t}] ${e.group}: ${e.from} -> ${e.to} (${e.reason})`;
    case "handover_complete":
      return `[${t}] ${e.group}: hand-over to ${e.owner} complete`;
    case "estop":
      return `[${t}] E-STOP latched by ${e.by}: ${e.reason}`;
    case "estop_reset":
      return `[${t}] e-stop reset by ${e.by}`;
    case "problem":
      return `[${t}] problem: ${e.message}`;
  }
}
