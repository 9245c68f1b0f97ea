/**
 * `tendon sim`: the main job. A MuJoCo arm explored by DEP for a given simulated duration,
 * faster than real time by default, with a progress bar and a summary; `--compare-noise` adds a
 * run with uniform noise exploration for comparison; `--json` ends stdout with one JSON line.
 */
import fs from "node:fs";
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { runSim, DEFAULT_RATE_HZ, type SimRunResult } from "../app/runSim.js";
import { DEP_PRESET_NAMES, type DepPresetName } from "../dep/params.js";
import { OUTPUT_MAPPINGS, type OutputMappingName } from "../dep/outputMappings.js";
import { DEFAULT_MODEL, BUILTIN_MODELS } from "../../sim/modelSource.js";
import type { ProblemEvent } from "../core/events.js";
import { UsageError } from "./errors.js";
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber, readDepParamsFile } from "./parse.js";
import type { ControlLoop } from "../loop/ControlLoop.js";
import { TIMING_MODES, type TimingMode } from "../loop/ticks.js";
import { addServeOptions, servePort, serveSessionFromFlags, type ServeFlags } from "./serveFlags.js";
import { addObserveOptions, formatRecording, observersFromFlags, type ObserveFlags } from "./observeFlags.js";
import { closePlugins } from "../loop/extension.js";
import { formatRunIdentity, runIdentityMetadata, runIdentityOf } from "../app/runIdentity.js";
import { RUN_IDENTITY_METADATA, type RunIdentity } from "../observability/runMetadata.js";

interface SimFlags extends ServeFlags, ObserveFlags {
  model: string;
  preset?: DepPresetName;
  params?: string;
  mapping?: OutputMappingName;
  duration: number;
  seed: number;
  rate: number;
  frameSkip?: number;
  realtime: boolean;
  timing: TimingMode;
  compareNoise: boolean;
  json: boolean;
  progress: boolean;
  bins: number;
}

export function registerSimCommand(program: Command): void {
  const sim = program
    .command("sim")
    .description("explore a simulated muscle arm with DEP (the main job)")
    .option("-m, --model <name|file|folder>", `built-in model (${Object.keys(BUILTIN_MODELS).join(", ")}), MJCF file, or folder with one model`, DEFAULT_MODEL)
    .addOption(new Option("-p, --preset <name>", "DEP parameter preset").argParser(oneOf("--preset", DEP_PRESET_NAMES)))
    .option("--params <file>", "DEP parameters as JSON, with the reference implementation's names (kappa, tau, ...), applied over the preset; or what a previous run ran (tendon info --params REC.mcap > p.json), to repeat it")
    .addOption(new Option("--mapping <name>", "map DEP's output y in [-1, 1] to muscle control").argParser(oneOf("--mapping", OUTPUT_MAPPINGS)))
    .option("-d, --duration <sec>", "simulated seconds to run", positiveNumber("--duration"), 60)
    .option("-s, --seed <n>", "random seed (initial state, noise exploration)", nonNegativeInteger("--seed"), 0)
    .option("-r, --rate <hz>", "control rate in Hz (sets the physics frame skip)", positiveNumber("--rate"), DEFAULT_RATE_HZ)
    .option("--frame-skip <n>", "physics steps per control tick (instead of --rate)", positiveInteger("--frame-skip"))
    .option("--realtime", "pace the loop on the wall clock instead of running as fast as possible", false)
    .addOption(new Option("--timing <mode>", "with --realtime: precise polls the last 1 ms before each tick (a busy core at 500 Hz); low-cpu sleeps until 0.7 ms before it").argParser(oneOf("--timing", TIMING_MODES)).default("precise"))
    .option("--compare-noise", "also run uniform noise exploration for the same duration and compare coverage", false)
    .option("--bins <n>", "cells per joint of the coverage grid", positiveInteger("--bins"), 20)
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no progress bar");
  addServeOptions(addObserveOptions(sim)).action(async (flags: SimFlags, cmd: Command) => {
    const given = (name: string): boolean => cmd.getOptionValueSource(name) !== undefined && cmd.getOptionValueSource(name) !== "default";
    await simAction(repeatFrom(flags, given), given("duration"), given("rate"));
  });
}

/**
 * Flags with a run identity's values where `--params` names one: its DEP parameters, preset and
 * mapping, seed, frame skip and model, each unless the command line gives it. The parameters are
 * those the run resolved, so they are used as they are (over their own preset).
 */
type RepeatFlags = SimFlags & { depParams?: Record<string, unknown>; repeats?: RunIdentity };

function repeatFrom(flags: SimFlags, given: (name: string) => boolean): RepeatFlags {
  if (!flags.params) return flags;
  const file = readDepParamsFile(flags.params);
  const id = runIdentityOf(file);
  if (!id) return { ...flags, depParams: file };
  if (id.command !== "sim") throw new UsageError(`--params file '${flags.params}' is what a 'tendon ${id.command}' run ran; tendon sim repeats 'tendon sim' runs`);
  const out: RepeatFlags = {
    ...flags,
    repeats: id,
    depParams: { ...id.params },
    preset: given("preset") ? flags.preset : (id.preset as DepPresetName | undefined),
    mapping: given("mapping") ? flags.mapping : (id.mapping as OutputMappingName | undefined),
    seed: given("seed") ? flags.seed : id.seed,
    model: given("model") ? flags.model : id.model,
    frameSkip: given("frameSkip") || given("rate") ? flags.frameSkip : id.frameSkip,
  };
  return out;
}

async function simAction(flags: RepeatFlags, durationGiven: boolean, rateGiven: boolean): Promise<void> {
  const dep = { preset: flags.preset, params: flags.depParams, outputMapping: flags.mapping };
  const out = process.stdout;
  // --serve: the API on the DEP run, in real time, until stopped unless a duration is given.
  const port = flags.serve === undefined ? undefined : servePort(flags.serve);
  if (typeof port === "string") throw new UsageError(port);
  if (port !== undefined && flags.compareNoise) throw new UsageError("--serve and --compare-noise cannot be combined: the API serves one run");
  const serve = port === undefined ? undefined : await serveSessionFromFlags(flags, port);
  // --record, --foxglove, and the dashboard with --serve.
  const observers = await observersFromFlags(flags, { command: "sim", coverageBins: flags.bins, serve: serve?.server }).catch(async (err: unknown) => {
    await serve?.close();
    throw err;
  });
  // Observers first: their taps see the controller's own command, before arbitration.
  const depPlugins = [observers?.hooks("dep"), serve].filter((x) => x !== undefined);
  const durationSec = serve && !durationGiven ? Infinity : flags.duration;
  const common = { model: flags.model, durationSec, seed: flags.seed, rateHz: flags.rate, frameSkip: flags.frameSkip, realtime: flags.realtime || serve !== undefined, timing: flags.timing, coverageBins: flags.bins };

  let depRun: SimRunResult;
  let noiseRun: SimRunResult | undefined;
  let recording: Awaited<ReturnType<NonNullable<typeof observers>["close"]>>;
  try {
    try {
      const runFlags = serve ? { ...flags, progress: false } : flags;
      depRun = await withProgress(runFlags, "DEP", (onLoop) =>
        runSim({
          ...common,
          explorer: "dep",
          dep,
          plugins: depPlugins,
          onStart: (identity) => observers?.addMetadata(RUN_IDENTITY_METADATA, runIdentityMetadata(identity)),
          onLoop,
        }),
      );
    } finally {
      await closePlugins(depPlugins);
    }
    const noisePlugins = [observers?.hooks("noise")].filter((x) => x !== undefined);
    noiseRun = flags.compareNoise
      ? await withProgress(flags, "noise", (onLoop) => runSim({ ...common, explorer: "noise", plugins: noisePlugins, onLoop }).finally(() => closePlugins(noisePlugins)))
      : undefined;
  } finally {
    recording = await observers?.close(depRun! ? jsonSummary(depRun, noiseRun, flags) : undefined);
  }

  const rounded = roundedRateNote(flags.rate, depRun, rateGiven && flags.frameSkip === undefined);
  if (rounded) process.stderr.write(`${rounded}\n`);
  if (flags.repeats && flags.repeats.modelSha256 !== depRun.identity.modelSha256) {
    process.stderr.write(`tendon sim: the model '${depRun.model}' is not the one the --params run ran (sha256 ${depRun.identity.modelSha256.slice(0, 12)}, was ${flags.repeats.modelSha256.slice(0, 12)})\n`);
  }
  out.write(formatSummary(depRun, noiseRun, flags));
  if (interrupted) out.write(`  interrupted    yes: stopped by a signal after ${f2(depRun.loop.simSec)} of ${f2(flags.duration)} s\n`);
  if (recording) out.write(formatRecording(recording));
  if (flags.json) out.write(`${JSON.stringify({ ...jsonSummary(depRun, noiseRun, flags), ...(interrupted ? { interrupted: true } : {}), ...(recording ? { recording } : {}) })}\n`);
  if (interrupted) process.exitCode = 130;
}

/**
 * The control period is a whole number of physics steps: a --rate that is not one was rounded
 * (200 Hz on a 2 ms step runs at 166.67 Hz). Says so, with rates that divide; undefined when the
 * rate ran as asked.
 */
export function roundedRateNote(requestedHz: number, run: Pick<SimRunResult, "rateHz" | "frameSkip" | "timestepSec">, given: boolean): string | undefined {
  if (!given || Math.abs(run.rateHz - requestedHz) <= 1e-9 * requestedHz) return undefined;
  const stepMs = run.timestepSec * 1000;
  const near = [run.frameSkip - 1, run.frameSkip, run.frameSkip + 1].filter((k) => k >= 1).map((k) => `${+(1 / (k * run.timestepSec)).toFixed(2)} Hz (frame skip ${k})`);
  return `tendon sim: --rate ${requestedHz} Hz is not a whole number of ${stepMs} ms physics steps: ran at ${f2(run.rateHz)} Hz (frame skip ${run.frameSkip}); rates that divide: ${near.join(", ")}, or give --frame-skip`;
}

let interrupted = false;

async function withProgress(
  flags: SimFlags,
  label: string,
  run: (onLoop: (loop: ControlLoop, totalTicks: number) => void) => Promise<SimRunResult>,
): Promise<SimRunResult> {
  const tty = Boolean(process.stderr.isTTY) && flags.progress;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: `${label.padEnd(5)} [{bar}] {percentage}% | {sim}/{totalSec} s simulated | {rtf}x real time`, hideCursor: true, stream: process.stderr, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopLoop: (() => void) | undefined;
  const onSignal = (): void => {
    interrupted = true;
    stopLoop?.();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const startMs = performance.now();
  try {
    if (!tty && flags.progress && !flags.json) process.stderr.write(`${label}: running ${flags.duration} s of simulated time...\n`);
    return await run((loop, totalTicks) => {
      stopLoop = () => loop.stop();
      if (interrupted) loop.stop();
      if (!bar) return;
      const periodSec = flags.duration / totalTicks;
      bar.start(totalTicks, 0, { sim: "0.0", totalSec: flags.duration.toFixed(1), rtf: "-" });
      timer = setInterval(() => {
        const ticks = loop.stats.ticks;
        const simSec = ticks * periodSec;
        const wallSec = (performance.now() - startMs) / 1000;
        bar.update(ticks, { sim: simSec.toFixed(1), totalSec: flags.duration.toFixed(1), rtf: wallSec > 0 ? (simSec / wallSec).toFixed(1) : "-" });
      }, 100);
    });
  } finally {
    if (timer) clearInterval(timer);
    bar?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * What the summary reads from a run: `tendon sim`'s, or `tendon hw`'s (real time on muscle boards:
 * no frame skip or physics step, and no coverage without joint sensors).
 */
export type SummaryRun = Omit<SimRunResult, "explorer" | "frameSkip" | "timestepSec" | "coverage" | "identity"> & {
  readonly identity?: RunIdentity;
  readonly frameSkip?: number;
  readonly timestepSec?: number;
  readonly coverage: number | null;
  /** Joints without a range (on the boards, none configured): their cells span [-pi, pi]. */
  readonly unrangedJoints?: readonly string[];
};

function realTimeFactor(r: SummaryRun): number {
  return r.loop.wallSec > 0 ? r.loop.simSec / r.loop.wallSec : 0;
}

const f2 = (x: number): string => x.toFixed(2);
/** "1 joint", "2 joints". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;
const f3 = (x: number): string => x.toFixed(3);

/** "6 muscles", or "2 actuators (1 muscle, 1 motor)" when some are motors. */
function actuators(r: SummaryRun): string {
  const motors = r.motors?.length ?? 0;
  if (motors === 0) return count(r.muscles.length, "muscle");
  return `${count(r.muscles.length, "actuator")} (${count(r.muscles.length - motors, "muscle")}, ${count(motors, "motor")})`;
}

export function formatSummary(dep: SummaryRun, noise: SummaryRun | undefined, flags: Pick<SimFlags, "seed" | "realtime"> & { command?: string }): string {
  const s = dep.loop.stats;
  const lines = [
    `tendon ${flags.command ?? "sim"}: ${dep.model} (${actuators(dep)}, ${count(dep.joints.length, "joint")}), ${dep.controllerName}, seed ${flags.seed}, ${dep.loop.mode}`,
    ...(dep.motors?.length
      ? [`  motors         ${dep.motors.join(", ")}: ${dep.motors.length === 1 ? "a motor" : "motors"}, not muscles (no muscle gain in the model); ${dep.controllerName} drives ${dep.motors.length === 1 ? "it" : "them"} as if ${dep.motors.length === 1 ? "it were a muscle" : "they were muscles"}`]
      : []),
    dep.frameSkip !== undefined && dep.timestepSec !== undefined
      ? `  simulated      ${f2(dep.loop.simSec)} s in ${dep.loop.ticks} ticks at ${f2(dep.rateHz)} Hz (frame skip ${dep.frameSkip} x ${dep.timestepSec * 1000} ms)`
      : `  ran            ${f2(dep.loop.wallSec)} s in ${dep.loop.ticks} ticks at ${f2(dep.rateHz)} Hz`,
    `  wall time      ${f2(dep.loop.wallSec)} s, real-time factor ${realTimeFactor(dep).toFixed(1)}x, CPU ${(dep.loop.cpuFraction * 100).toFixed(0)}% of a core`,
    `  loop compute   mean ${f3(s.meanComputeMs)} ms, p99 ${f3(s.p99ComputeMs)} ms, max ${f3(s.maxComputeMs)} ms (read + controller + limits + write)`,
    `  period error   p50 ${f3(s.p50PeriodErrorMs)} ms, p99 ${f3(s.p99PeriodErrorMs)} ms, max ${f3(s.maxPeriodErrorMs)} ms${dep.loop.mode === "lockstep" ? " (lockstep: every tick on its simulated deadline)" : ""}`,
    `  overruns       ${s.overruns} (${s.missedCycles} cycles skipped)`,
    dep.coverage === null
      ? `  coverage       n/a (no joint sensors)`
      : `  coverage       DEP ${f3(dep.coverage)}   (visited fraction of a ${dep.coverageBins}-cell-per-joint grid over the joint ranges${dep.joints.length > 2 ? ", mean over joint pairs" : ""})`,
  ];
  if (dep.coverage !== null && dep.unrangedJoints?.length) {
    const names = dep.unrangedJoints.join(", ");
    lines.push(`                 ${names} ${dep.unrangedJoints.length === 1 ? "has" : "have"} no range: [-pi, pi] counted, which an arm's motion fills far less than its limits (give joints' rangeRad in --config; tendon board-sim writes one)`);
  }
  if (noise && noise.coverage !== null) {
    lines.push(`                 noise ${f3(noise.coverage)}   (uniform random muscle commands every tick, same duration and seed)`);
  }
  if (dep.identity) lines.push(...formatRunIdentity(dep.identity));
  lines.push(...formatProblems(dep.loop.problems, dep.problemCounts, dep.problems));
  return `${lines.join("\n")}\n`;
}

/**
 * The problems line and one line per kind: its count and its first message (as far as the run
 * kept them), so that one kind of problem does not hide the others.
 */
export function formatProblems(total: number, counts: Readonly<Record<string, number | undefined>>, first: readonly ProblemEvent[]): string[] {
  const kinds = Object.entries(counts).filter((e): e is [string, number] => (e[1] ?? 0) > 0);
  if (total === 0 || kinds.length === 0) return [`  problems       ${total}`];
  kinds.sort((a, b) => b[1] - a[1]);
  const lines = [`  problems       ${total}: ${kinds.map(([code, n]) => `${code} x${n}`).join(", ")}`];
  for (const [code] of kinds) {
    const e = first.find((p) => p.code === code);
    if (e) lines.push(`    ${code.padEnd(19)}first: ${e.message}`);
  }
  return lines;
}

export function jsonSummary(dep: SummaryRun, noise: SummaryRun | undefined, flags: Pick<SimFlags, "seed">): Record<string, unknown> {
  return {
    model: dep.model,
    muscles: dep.muscles,
    ...(dep.motors?.length ? { motors: dep.motors } : {}),
    joints: dep.joints,
    controller: dep.controllerName,
    seed: flags.seed,
    mode: dep.loop.mode,
    rateHz: dep.rateHz,
    frameSkip: dep.frameSkip,
    timestepSec: dep.timestepSec,
    simSeconds: dep.loop.simSec,
    ticks: dep.loop.ticks,
    wallSeconds: dep.loop.wallSec,
    realTimeFactor: realTimeFactor(dep),
    cpuFraction: dep.loop.cpuFraction,
    coverage: noise ? { dep: dep.coverage, noise: noise.coverage } : dep.coverage,
    coverageBins: dep.coverageBins,
    loop: dep.loop.stats,
    problems: dep.loop.problems,
    problemCounts: dep.problemCounts,
    ...(dep.identity ? { identity: dep.identity } : {}),
    ...(noise ? { noise: { simSeconds: noise.loop.simSec, ticks: noise.loop.ticks, wallSeconds: noise.loop.wallSec, loop: noise.loop.stats } } : {}),
  };
}
