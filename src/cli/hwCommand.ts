/**
 * `tendon hw`: DEP on muscle boards over serial ports, through the same pipeline as `tendon sim`
 * (real-time loop, limits, DEP with the "linear" output mapping over the command range). Prints
 * the same summary as `tendon sim` plus the link's counters; `--json` ends stdout with one JSON line.
 */
import fs from "node:fs";
import { Option, type Command } from "commander";
import { runHw, DEFAULT_HW_RATE_HZ, type HwRunResult } from "../app/runHw.js";
import { DEP_PRESET_NAMES, type DepPresetName } from "../dep/params.js";
import type { ControlLoop } from "../loop/ControlLoop.js";
import { NodeTimer, TIMING_MODES, type TimingMode } from "../loop/ticks.js";
import { hardwareOptions } from "../../hardware/configFile.js";
import type { LinkCounters } from "../../hardware/MuscleBoardBridge.js";
import { COMMAND_MODES, commandRangeProblem, MODE_INFO, resolveMuscleCalibration, type CommandModeName, type MuscleBoardBridgeOptions } from "../../hardware/options.js";
import { portProblem } from "../../hardware/portAdvice.js";
import { UsageError } from "./errors.js";
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber, readDepParamsFile } from "./parse.js";
import { addServeOptions, servePort, serveSessionFromFlags, type ServeFlags } from "./serveFlags.js";
import { addObserveOptions, formatRecording, observersFromFlags, type ObserveFlags } from "./observeFlags.js";
import { closePlugins } from "../loop/extension.js";
import { formatSummary, jsonSummary } from "./simCommand.js";
import { runIdentityMetadata, runIdentityOf } from "../app/runIdentity.js";
import { RUN_IDENTITY_METADATA, type RunIdentity } from "../observability/runMetadata.js";

interface HwFlags extends ServeFlags, ObserveFlags {
  port: string[];
  boards: string[];
  config?: string;
  mode?: CommandModeName;
  min?: number;
  max?: number;
  preset?: DepPresetName;
  params?: string;
  mapping: "linear" | "sigmoid";
  duration: number;
  rate: number;
  seed: number;
  hostWatchdogMs?: number;
  boardWatchdogMs?: number;
  bins: number;
  json: boolean;
  progress: boolean;
  listPorts: boolean;
  timing: TimingMode;
}

export function registerHwCommand(program: Command): void {
  const hw = program
    .command("hw")
    .description("explore muscle boards with DEP over serial ports (try it with `tendon board-sim`)")
    .option("--port <path>", "serial device of the boards (repeat for several ports)", collect, [])
    .option("--boards <ids>", "board ids on the port, comma-separated, e.g. 1,2 (repeat per --port; default: every board that answers)", collect, [])
    .option("--config <file>", "hardware configuration (JSON or YAML; config/arm.hw.yaml is an example): ports, mode, range, calibration, gains, joints, timing")
    .addOption(new Option("--mode <name>", "control mode of every muscle (default pwm)").argParser(oneOf("--mode", COMMAND_MODES)))
    .option("--min <value>", "lowest command, in the mode's unit (pwm: %, force: N, ...)", finiteNumber("--min"))
    .option("--max <value>", "highest command, in the mode's unit (default pwm: 50 %)", finiteNumber("--max"))
    .addOption(new Option("-p, --preset <name>", "DEP parameter preset").argParser(oneOf("--preset", DEP_PRESET_NAMES)))
    .option("--params <file>", "DEP parameters as JSON, with the reference implementation's names, applied over the preset; or what a previous hw run ran (tendon info --params REC.mcap > p.json), to repeat it")
    .addOption(new Option("--mapping <name>", "DEP's output to the command range: linear, or sigmoid (MyoSuite's curve, as tendon sim moves activations)").argParser(oneOf("--mapping", ["linear", "sigmoid"] as const)).default("linear"))
    .option("-d, --duration <sec>", "seconds to run", positiveNumber("--duration"), 10)
    .option("-r, --rate <hz>", "control rate in Hz", positiveNumber("--rate"), DEFAULT_HW_RATE_HZ)
    .option("-s, --seed <n>", "seed, reported in the summary", nonNegativeInteger("--seed"), 0)
    .option("--host-watchdog-ms <ms>", "a board silent this long is lost and reconnected (default 100)", positiveNumber("--host-watchdog-ms"))
    .option("--board-watchdog-ms <ms>", "boards turn their muscles off after this long without a command (default 100)", positiveInteger("--board-watchdog-ms"))
    .option("--bins <n>", "cells per joint of the coverage grid", positiveInteger("--bins"), 20)
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no status line on stderr")
    .option("--list-ports", "list the serial devices of this machine and exit", false)
    .addOption(new Option("--timing <mode>", "precise: poll the last 1 ms before each tick (a busy core at 500 Hz); low-cpu: sleep until 0.7 ms before it").argParser(oneOf("--timing", TIMING_MODES)).default("precise"));
  addServeOptions(addObserveOptions(hw)).action(async (flags: HwFlags, cmd: Command) => {
    const given = (name: string): boolean => cmd.getOptionValueSource(name) !== undefined && cmd.getOptionValueSource(name) !== "default";
    await hwAction(repeatFrom(flags, given), given("duration"));
  });
}

type RepeatFlags = HwFlags & { depParams?: Record<string, unknown>; repeats?: RunIdentity };

/**
 * Flags with a run identity's values where `--params` names one (a `tendon hw` run's, from its
 * recording): its DEP parameters, preset, mapping, seed and rate, each unless the command line
 * gives it. The parameters are those the run resolved, so they are used as they are. The boards
 * and their configuration come from the command line, as always.
 */
export function repeatFrom(flags: HwFlags, given: (name: string) => boolean): RepeatFlags {
  if (!flags.params) return flags;
  const file = readDepParamsFile(flags.params);
  const id = runIdentityOf(file);
  if (!id) return { ...flags, depParams: file };
  if (id.command !== "hw") throw new UsageError(`--params file '${flags.params}' is what a 'tendon ${id.command}' run ran; tendon hw repeats 'tendon hw' runs`);
  if (id.mapping !== undefined && id.mapping !== "linear" && id.mapping !== "sigmoid") throw new UsageError(`--params file '${flags.params}': mapping '${id.mapping}' is not one of tendon hw's (linear, sigmoid)`);
  return {
    ...flags,
    repeats: id,
    depParams: { ...id.params },
    preset: given("preset") ? flags.preset : (id.preset as DepPresetName | undefined),
    mapping: given("mapping") ? flags.mapping : ((id.mapping as HwFlags["mapping"] | undefined) ?? flags.mapping),
    seed: given("seed") ? flags.seed : id.seed,
    rate: given("rate") ? flags.rate : id.rateHz,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function finiteNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number, got '${value}'`);
    return n;
  };
}

/** Flags and the configuration file combined into bridge options; flags win. */
export function hwBridgeOptions(flags: Pick<HwFlags, "port" | "boards" | "config" | "mode" | "min" | "max" | "hostWatchdogMs" | "boardWatchdogMs">): MuscleBoardBridgeOptions {
  if (flags.boards.length > 0 && flags.boards.length !== flags.port.length) {
    throw new UsageError(`--boards is given ${flags.boards.length} time(s) for ${flags.port.length} --port(s): give it once per port, in the same order`);
  }
  const ports = flags.port.map((path, k) => ({ path, boards: flags.boards[k] !== undefined ? parseIds(flags.boards[k]) : undefined }));
  const options: MuscleBoardBridgeOptions = hardwareOptions(
    flags.config,
    { ports, commandMode: flags.mode, commandMin: flags.min, commandMax: flags.max, hostWatchdogMs: flags.hostWatchdogMs, boardWatchdogMs: flags.boardWatchdogMs },
    { what: "--config file", noPorts: "give the boards' serial device with --port PATH (or ports in --config); `tendon board-sim` makes one to try" },
  );
  checkCommandRanges(options, flags);
  return options;
}

/** Every command range (the default one and each muscle's) usable in the mode: a usage error at start, before any port is opened. */
function checkCommandRanges(o: MuscleBoardBridgeOptions, flags: Pick<HwFlags, "config" | "min" | "max">): void {
  const mode = o.commandMode ?? "pwm";
  const info = MODE_INFO[mode];
  const min = o.commandMin ?? info.min;
  const max = o.commandMax ?? info.max;
  const where = flags.min !== undefined || flags.max !== undefined ? "--min/--max" : flags.config && (o.commandMin !== undefined || o.commandMax !== undefined) ? `${flags.config}: commandMin/commandMax` : `mode ${mode}'s default range`;
  const bad = commandRangeProblem(mode, min, max, where, resolveMuscleCalibration(o, -1));
  if (bad) throw new UsageError(bad);
  for (const [i, m] of (o.muscles ?? []).entries()) {
    if (m.commandMin === undefined && m.commandMax === undefined && !m.calibration) continue;
    const problem = commandRangeProblem(mode, m.commandMin ?? min, m.commandMax ?? max, `${flags.config ?? "--config"}: muscles.${i}`, resolveMuscleCalibration(o, i));
    if (problem) throw new UsageError(problem);
  }
}

function parseIds(text: string): number[] {
  const ids = text.split(",").map((s) => Number(s.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1 || id > 254)) {
    throw new UsageError(`--boards needs board ids in 1..254 separated by commas, e.g. 1,2; got '${text}'`);
  }
  return ids;
}

async function hwAction(flags: RepeatFlags, durationGiven: boolean): Promise<void> {
  if (flags.listPorts) return listPorts();
  const bridge = hwBridgeOptions(flags);
  // Before anything starts: a device that is not there or not ours is a usage error with advice.
  for (const p of bridge.ports) {
    const problem = portProblem(p.path);
    if (problem) throw new UsageError(problem);
  }
  const depParams = flags.depParams;
  if (flags.min !== undefined && flags.max !== undefined && !(flags.min <= flags.max)) throw new UsageError(`--min ${flags.min} is above --max ${flags.max}`);
  // --serve: the API on this run, until stopped unless a duration is given.
  const port = flags.serve === undefined ? undefined : servePort(flags.serve);
  if (typeof port === "string") throw new UsageError(port);
  const serve = port === undefined ? undefined : await serveSessionFromFlags(flags, port);
  // --record, --foxglove, and the dashboard with --serve.
  const observers = await observersFromFlags(flags, { command: "hw", coverageBins: flags.bins, serve: serve?.server }).catch(async (err: unknown) => {
    await serve?.close();
    throw err;
  });
  const hooks = observers?.hooks("dep");
  // Observers first: their taps see the controller's own command, before arbitration.
  const plugins = [hooks, serve].filter((x) => x !== undefined);
  const durationSec = serve && !durationGiven ? Infinity : flags.duration;
  let stopLoop: (() => void) | undefined;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    stopLoop?.();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tty = Boolean(process.stderr.isTTY) && flags.progress;
  let timer: NodeJS.Timeout | undefined;
  let run: HwRunResult | undefined;
  let recording: Awaited<ReturnType<NonNullable<typeof observers>["close"]>>;
  try {
    if (flags.progress && !flags.json && !tty && !serve) process.stderr.write(`hw: running DEP on the boards for ${flags.duration} s...\n`);
    run = await runHw({
      bridge,
      dep: { preset: flags.preset, params: depParams, outputMapping: flags.mapping },
      timer: NodeTimer.forMode(flags.timing),
      durationSec,
      plugins,
      rateHz: flags.rate,
      seed: flags.seed,
      coverageBins: flags.bins,
      configSource: flags.config && fs.existsSync(flags.config) ? fs.readFileSync(flags.config, "utf8") : undefined,
      onStart: (identity) => observers?.addMetadata(RUN_IDENTITY_METADATA, runIdentityMetadata(identity)),
      // A lost link is said at once, whatever else is on the terminal.
      onEvent: (e) => {
        if (e.type !== "problem" || (e.code !== "link_lost" && e.code !== "link_restored")) return;
        hooks?.problem(e);
        if (tty && !serve) process.stderr.write("\r\x1b[K");
        process.stderr.write(e.code === "link_lost" ? `tendon hw: WARNING: ${e.message}\n` : `tendon hw: ${e.message}\n`);
      },
      onLoop: (loop: ControlLoop, totalTicks, b) => {
        stopLoop = () => loop.stop();
        if (interrupted) loop.stop();
        if (!tty || serve) return;
        timer = setInterval(() => {
          const c = b.linkCounters();
          process.stderr.write(
            `\rhw: ${((loop.stats.ticks / totalTicks) * 100).toFixed(0).padStart(3)}% | ${c.statusFrames} status, ${c.crcErrors} CRC errors, ${c.drops} drops, ${c.reconnects} reconnects   `,
          );
        }, 200);
      },
    });
  } finally {
    await closePlugins(plugins);
    recording = await observers?.close(run ? hwJsonSummary(run, flags.seed) : undefined);
    if (timer) {
      clearInterval(timer);
      process.stderr.write("\r\x1b[K");
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const out = process.stdout;
  out.write(formatSummary(run, undefined, { seed: flags.seed, realtime: true, command: "hw" }));
  out.write(formatLink(run.link, run));
  if (interrupted) out.write(`  interrupted    yes: stopped by a signal after ${run.loop.wallSec.toFixed(2)} s\n`);
  if (recording) out.write(formatRecording(recording));
  if (flags.json) out.write(`${JSON.stringify({ ...hwJsonSummary(run, flags.seed), ...(interrupted ? { interrupted: true } : {}), ...(recording ? { recording } : {}) })}\n`);
  if (flags.repeats && flags.repeats.modelSha256 !== run.identity.modelSha256) {
    process.stderr.write(`tendon hw: the boards' configuration is not the one the --params run ran (sha256 ${run.identity.modelSha256.slice(0, 12)}, was ${flags.repeats.modelSha256.slice(0, 12)})\n`);
  }
  if (run.linkAtEnd.level === "error") {
    process.stderr.write(`tendon hw: the run ended with the link down: ${run.linkAtEnd.message}; check the cable, the power and the board (and \`tendon board-sim\` if it was simulated)\n`);
  }
  if (interrupted) process.exitCode = 130;
  else if (run.linkAtEnd.level === "error") process.exitCode = 1;
}

async function listPorts(): Promise<void> {
  const { SerialLink } = await import("../../hardware/SerialLink.js");
  // serialport lists through udev; without udevadm (containers), the device names do.
  const ports = await SerialLink.list().catch(() => serialDeviceNames());
  if (ports.length === 0) {
    process.stdout.write("no serial devices found (is the board plugged in? `tendon board-sim` makes a simulated one)\n");
    return;
  }
  for (const p of ports) process.stdout.write(`${p.path}${p.description ? `  ${p.description}` : ""}\n`);
}

function serialDeviceNames(): { path: string; description: string }[] {
  const out: { path: string; description: string }[] = [];
  const byId = "/dev/serial/by-id";
  for (const name of safeReaddir(byId)) out.push({ path: `${byId}/${name}`, description: `-> ${safeRealpath(`${byId}/${name}`)}` });
  for (const name of safeReaddir("/dev")) if (/^tty(ACM|USB)\d+$/.test(name)) out.push({ path: `/dev/${name}`, description: "" });
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return "?";
  }
}

export function formatLink(c: LinkCounters, run: Pick<HwRunResult, "boardEvents" | "linkAtEnd">): string {
  const rt = c.roundTrip;
  const lines = [
    `  link           ${c.ports} port(s), ${c.boards} board(s): ${c.statusFrames} status frames, ${c.commandsSent} commands; ${c.crcErrors} CRC errors, ${c.resyncs} resyncs, ${c.drops} drops`,
    `  round trip     command to status: p50 ${rt.p50Ms.toFixed(3)} ms, p99 ${rt.p99Ms.toFixed(3)} ms, max ${rt.maxMs.toFixed(3)} ms (${rt.samples} samples)`,
    `  recovery       ${c.reconnects} reconnects, ${c.boardResets} board resets, ${c.watchdogTrips} host watchdog trips, ${c.faults} fault reports${run.boardEvents.length > 0 ? `: ${run.boardEvents[0].message}` : ""}`,
    run.linkAtEnd.level === "ok" ? `  link at end    up: ${run.linkAtEnd.message}` : `  link at end    DOWN: ${run.linkAtEnd.message}`,
  ];
  return `${lines.join("\n")}\n`;
}

export function hwJsonSummary(run: HwRunResult, seed: number): Record<string, unknown> {
  return {
    ...jsonSummary(run, undefined, { seed }),
    commandUnit: run.commandUnit,
    unrangedJoints: run.unrangedJoints,
    link: run.link,
    linkAtEnd: run.linkAtEnd,
    boards: run.boards,
  };
}
