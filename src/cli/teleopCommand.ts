/**
 * `tendon teleop --keyboard`: drive muscle groups of a running pipeline (`tendon sim --serve`,
 * `tendon hw --serve`) from a terminal. Keys go raw to `KeyboardTeleop`; its messages go over the
 * pipeline's WebSocket (/api/teleop); a heartbeat every 100 ms keeps held groups (the deadman: if
 * this program stops, the groups go back to DEP after the teleop timeout).
 */
import type { Command } from "commander";
import WebSocket from "ws";
import { isLoopback } from "../api/ApiServer.js";
import { readRunToken } from "../api/runToken.js";
import { DEFAULT_SERVE_PORT } from "./serveFlags.js";
import { KEY_HELP, KeyboardTeleop, splitKeys } from "../safety/KeyboardTeleop.js";
import { UsageError } from "./errors.js";

interface TeleopFlags {
  keyboard: boolean;
  url: string;
  token?: string;
}

export function registerTeleopCommand(program: Command): void {
  program
    .command("teleop")
    .description("take over muscle groups of a running pipeline (tendon sim --serve) from the keyboard")
    .option("--keyboard", "raw-mode keys drive muscle groups (the only input so far)", false)
    .option("--url <url>", "the pipeline's API", `http://127.0.0.1:${DEFAULT_SERVE_PORT}`)
    .option("--token <token>", "the API's token, if it has one (default $TENDON_TOKEN)")
    .action(async (flags: TeleopFlags) => {
      if (!flags.keyboard) throw new UsageError("tendon teleop needs an input: --keyboard");
      await keyboardTeleop(flags);
    });
}

async function keyboardTeleop(flags: TeleopFlags): Promise<void> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new UsageError("--keyboard needs a terminal (stdin is not a TTY)");
  let base: URL;
  try {
    base = new URL(flags.url);
  } catch {
    throw new UsageError(`--url must be a URL like http://127.0.0.1:${DEFAULT_SERVE_PORT}, got '${flags.url}'`);
  }
  // Without one given, the token a server on this machine wrote for this user (src/api/runToken.ts).
  const token = flags.token ?? process.env.TENDON_TOKEN ?? (isLoopback(base.hostname.replace(/^\[|\]$/g, "")) ? readRunToken(Number(base.port || 80)) : undefined);
  const wsUrl = new URL("/api/teleop", base);
  wsUrl.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(wsUrl, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const hello = await new Promise<Record<string, any>>((resolve, reject) => {
    ws.once("message", (d) => resolve(JSON.parse(String(d))));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`${wsUrl.href}: HTTP ${res.statusCode}${res.statusCode === 401 ? " (give --token: the run prints its token at start)" : res.statusCode === 403 ? " (refused: wrong Host or Origin)" : ""}`)));
    ws.once("error", (err) => reject(new Error(`cannot reach the pipeline at ${base.href}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
  });
  if (!hello.ready) throw new Error("the pipeline is not running yet; try again in a moment");
  const teleop = new KeyboardTeleop(Object.keys(hello.groups as Record<string, string[]>));
  const out = process.stdout;
  const render = (): void => void out.write(`\r\u001b[2K${teleop.statusLine()}`);
  out.write(`tendon teleop: ${base.href} (${teleop.groups.length} groups)\n${KEY_HELP}\n`);

  const status = (await (await fetch(new URL("/api/status", base), token ? { headers: { authorization: `Bearer ${token}` } } : {})).json()) as Record<string, any>;
  Object.assign(teleop.owners, status.owners ?? {});
  teleop.estop = Boolean(status.estop?.latched);
  render();

  await new Promise<void>((resolve) => {
    const send = (m: Record<string, unknown>): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const heartbeat = setInterval(() => {
      const m = teleop.heartbeat();
      if (m) send(m);
    }, 100);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      stdin.off("data", onKey);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      out.write("\n");
      ws.close();
      resolve();
    };
    const onKey = (data: string): void => {
      for (const key of splitKeys(data)) {
        for (const a of teleop.key(key)) {
          if (a.kind === "send") send(a.message);
          else if (a.kind === "quit") return finish();
        }
      }
      render();
    };
    ws.on("message", (d) => {
      const m = JSON.parse(String(d)) as Record<string, any>;
      if (m.type === "event") teleop.onEvent(m.event);
      else if (m.type === "error") out.write(`\r\u001b[2Kserver: ${m.message}\n`);
      render();
    });
    ws.on("close", () => {
      if (done) return;
      out.write("\r\u001b[2Kthe pipeline closed the connection\n");
      finish();
    });
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.on("data", onKey);
    stdin.resume();
  });
}
