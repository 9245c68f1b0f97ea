/**
 * The flags `--serve` brings to a run command (`tendon sim`, `tendon hw`) and the session they
 * start: the files they name are read here, so a bad file is a usage error before anything runs.
 */
import { Option, type Command } from "commander";
import type { ServeSession } from "../api/ServeSession.js";
import { readJoyMapping } from "../safety/JoyTeleop.js";
import { readSafetyConfig } from "../safety/config.js";

export const DEFAULT_SERVE_PORT = 7400;

/** The flags `--serve` brings, as commander parses them. */
export interface ServeFlags {
  serve?: string | true;
  host: string;
  token?: string;
  allowOrigin?: string[];
  safety?: string;
  joyMap?: string;
}

/** Adds --serve, --host, --token, --safety and --joy-map to a run command. */
export function addServeOptions(command: Command): Command {
  return command
    .option("--serve [port]", `serve the HTTP/WebSocket API (status, e-stop, reset, teleop) on PORT (default ${DEFAULT_SERVE_PORT}; 0 picks a free one); runs in real time, until stopped unless --duration is given`)
    .option("--host <addr>", "address the API binds to; anything but loopback needs --token", "127.0.0.1")
    .addOption(new Option("--token <token>", "token the API requires (Authorization: Bearer TOKEN)").env("TENDON_TOKEN"))
    .option("--allow-origin <url>", "a web origin besides the server's own whose pages may command the arm (repeatable)", (v: string, all: string[] = []) => [...all, v])
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

/** Reads the files the flags name (throwing their errors), starts the server, prints its address. */
export async function serveSessionFromFlags(flags: ServeFlags, port: number): Promise<ServeSession> {
  const safety = flags.safety ? readSafetyConfig(flags.safety) : undefined;
  const joyMapping = flags.joyMap ? readJoyMapping(flags.joyMap) : undefined;
  const { ServeSession } = await import("../api/ServeSession.js");
  return ServeSession.start({ host: flags.host, port, token: flags.token, allowedOrigins: flags.allowOrigin, safety, joyMapping });
}
