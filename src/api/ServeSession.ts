/**
 * `--serve` for a run (`tendon sim`, `tendon hw`): the API server, started before the run so its
 * address is printed at once, and the safety layer (arbiter, limits, joystick mapping) put into
 * the run's loop once the bridge's spec is known.
 *
 * A served run without --duration runs until it is stopped: Ctrl-C or SIGTERM (exit 130, as any
 * interrupted run), or `POST /api/stop` (exit 0). Either way the loop ends after its current tick
 * and writes the safe command.
 */
import type { ControlLoop } from "../loop/ControlLoop.js";
import { defaultSafetyConfig, JOY_SOURCE, type SafetyConfig } from "../safety/config.js";
import type { ArbiterEvent } from "../safety/events.js";
import { JoyTeleop, type JoyMapping } from "../safety/JoyTeleop.js";
import type { LoopContext, LoopExtension, LoopPlugin } from "../loop/extension.js";
import { SafetyLayer } from "../safety/SafetyLayer.js";
import { ApiServer, type ApiServerOptions } from "./ApiServer.js";

export interface ServeSessionOptions extends ApiServerOptions {
  readonly safety?: SafetyConfig;
  readonly joyMapping?: JoyMapping;
  /** Where "serving on URL" and event lines go (default stdout / stderr). */
  readonly out?: (line: string) => void;
  readonly log?: (line: string) => void;
}

/** A loop plugin: the safety layer goes into the run's loop, the API follows the loop. */
export class ServeSession implements LoopPlugin {
  readonly server: ApiServer;
  readonly #options: ServeSessionOptions;
  #layer: SafetyLayer | undefined;
  #loop: ControlLoop | undefined;
  #problems = 0;
  #stopRequested = false;
  #closed: Promise<void> | undefined;

  private constructor(server: ApiServer, options: ServeSessionOptions) {
    this.server = server;
    this.#options = options;
  }

  static async start(options: ServeSessionOptions): Promise<ServeSession> {
    let session: ServeSession | undefined;
    const server = await ApiServer.start({ ...options, onStop: () => session?.stop() });
    session = new ServeSession(server, options);
    (options.out ?? ((l) => process.stdout.write(`${l}\n`)))(`serving on ${server.url}`);
    (options.log ?? ((l) => process.stderr.write(`${l}\n`)))(`tendon: ${server.describeAccess()}`);
    return session;
  }

  /** Whether the run was ended through the API. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  get safety(): SafetyLayer | undefined {
    return this.#layer;
  }

  /** Builds the safety layer for the spec and connects the API to it. */
  extend(ctx: LoopContext): LoopExtension {
    // Without a file, the loop's controller source carries the controller's name ("dep").
    const config = this.#options.safety ?? defaultSafetyConfig(ctx.controllerName);
    // The loop's own timer stamps the API's commands: in real time it polls the event loop while
    // it waits for the next tick, so a request that arrives then is handled before the tick.
    const layer = new SafetyLayer({ spec: ctx.spec, config, clock: ctx.clock });
    this.#layer = layer;
    // An e-stop from the API (HTTP or WebSocket, handled between ticks) writes the safe command at
    // once, before anyone is told (the API's clients, the log): this subscription comes first. The
    // latched e-stop keeps every following tick safe until reset.
    layer.events$.subscribe((e) => {
      if (e.type === "estop") this.#loop?.writeSafeNow(`e-stop by ${e.by}: ${e.reason}`);
    });
    const joy = layer.arbiter.sourceIndex(JOY_SOURCE) >= 0 ? new JoyTeleop({ arbiter: layer.arbiter, mapping: this.#options.joyMapping }) : undefined;
    this.server.attach({ safety: layer, joy, problems: () => this.#problems });
    const log = this.#options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    layer.events$.subscribe((e) => log(describeEvent(e)));
    return layer.loopOptions();
  }

  /** Follows the loop (status, stop). */
  attach(loop: ControlLoop): void {
    this.#loop = loop;
    this.#layer?.attach(loop);
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

  /** Closes the server and the safety layer; later calls wait for the first. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.server.close();
      this.#layer?.dispose();
    })();
    return this.#closed;
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
