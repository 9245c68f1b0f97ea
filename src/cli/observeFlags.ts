/**
 * The flags that observe a run (`--record`, `--foxglove`, `--foxglove-host`) and the observers
 * they open. The observers (MCAP, WebSocket) load only when a flag asks for them.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { HttpMountable } from "../observability/dashboard/DashboardRoutes.js";
import type { RecorderStats } from "../observability/McapRecorder.js";
import type { RunObservers } from "../observability/RunObservers.js";
import { UsageError } from "./errors.js";

export const DEFAULT_FOXGLOVE_PORT = 8765;

export interface ObserveFlags {
  record?: string;
  foxglove?: string | true;
  foxgloveHost: string;
}

/** Adds --record, --foxglove and --foxglove-host to a run command. */
export function addObserveOptions(command: Command): Command {
  return command
    .option("--record <file>", "record every topic of the ROS 2 profile to an MCAP file (ros2 bag play/info, Foxglove; `tendon info`, `tendon report`)")
    .option("--foxglove [port]", `live view for Foxglove over its WebSocket protocol on PORT (default ${DEFAULT_FOXGLOVE_PORT}); open docs/foxglove-layout.json there`)
    .option("--foxglove-host <addr>", "address the Foxglove live view binds to", "127.0.0.1");
}

/** The port `--foxglove [port]` asks for, or a usage error's message. */
export function foxglovePort(value: string | true): number | string {
  if (value === true) return DEFAULT_FOXGLOVE_PORT;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) return `--foxglove needs a port number 0-65535, got '${value}'.`;
  return n;
}

/**
 * The observers a run command's flags ask for (undefined: none), the dashboard mounted on the
 * `--serve` server when there is one. Throws a `UsageError` for a bad --foxglove port, a port
 * that cannot be bound or a recording that cannot be written.
 */
export async function observersFromFlags(
  flags: ObserveFlags,
  context: { command: "sim" | "plan" | "play" | "hw" | "node"; coverageBins?: number; serve?: HttpMountable; log?: (line: string) => void },
): Promise<RunObservers | undefined> {
  const port = flags.foxglove === undefined ? undefined : foxglovePort(flags.foxglove);
  if (typeof port === "string") throw new UsageError(port);
  if (flags.record === undefined && port === undefined && !context.serve) return undefined;
  if (flags.record !== undefined) checkWritable(flags.record);
  const [{ RunObservers }, { FoxgloveLiveError }] = await Promise.all([import("../observability/RunObservers.js"), import("../observability/FoxgloveLive.js")]);
  let observers: RunObservers;
  try {
    observers = await RunObservers.open({
      record: flags.record,
      foxglove: port === undefined ? undefined : { host: flags.foxgloveHost, port },
      command: context.command,
      coverageBins: context.coverageBins,
      log: context.log,
    });
  } catch (err) {
    if (err instanceof FoxgloveLiveError) throw new UsageError(err.message);
    if (flags.record !== undefined && (err as NodeJS.ErrnoException).code) throw new UsageError(`cannot record to '${flags.record}': ${(err as Error).message}`);
    throw err;
  }
  if (context.serve) observers.mountDashboard(context.serve);
  return observers;
}

function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new UsageError(`cannot record to '${file}': folder '${dir}' does not exist`);
}

/** The summary line of a recording. */
export function formatRecording(r: RecorderStats): string {
  const mb = (r.bytes / 1e6).toFixed(2);
  const dropped = r.dropped > 0 ? `; ${r.dropped} messages dropped (the writer fell behind)` : "";
  const error = r.error ? `; INCOMPLETE: ${r.error}` : "";
  return `  recording      ${r.path}: ${r.messages} messages in ${r.chunks} chunks, ${mb} MB${dropped}${error}\n`;
}
