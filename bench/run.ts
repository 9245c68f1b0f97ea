/**
 * `npm run bench`: every benchmark of the project, a table on stdout and JSON in bench/out/bench.json.
 * Targets are printed beside the figures; they are checked here, never by timed tests.
 *
 *   npm run bench                 full run (a few minutes)
 *   npm run bench -- --quick      shorter durations, for a smoke check of the benchmark itself
 *   npm run bench -- --only dep,loop,realtime,hardware,ros,safety,observability,learner,cli,models,planning
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchDep } from "./dep.js";
import { benchRealtime, benchThroughput } from "./loop.js";
import { printRows, type Row } from "./rows.js";
import { NodeTimer } from "../src/loop/ticks.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1]?.split(",")) : undefined;
const want = (name: string): boolean => !only || only.has(name);

const rows: Row[] = [];
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  quick,
};

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

if (want("dep")) {
  progress("DEP per step at n = 6, 39, 80, 290");
  const dep = [6, 39, 80, 290].map((n) => benchDep(n));
  results.dep = dep;
  for (const d of dep) {
    const target = d.n === 6 ? 20 : d.n === 290 ? 1000 : undefined;
    rows.push({
      group: "DEP step",
      metric: `n = ${d.n}, median (p99)`,
      value: `${d.medianUsPerStep.toFixed(2)} us (${d.p99UsPerStep.toFixed(2)} us)`,
      target: target ? `<= ${target} us` : undefined,
      ok: target ? d.medianUsPerStep <= target : undefined,
    });
  }
}

if (want("loop")) {
  progress("lockstep pipeline vs bare mj_step on arm2j6m");
  const t = await benchThroughput({ simSeconds: quick ? 10 : 60, repetitions: quick ? 3 : 5 });
  results.lockstep = t;
  rows.push({ group: "lockstep", metric: `bare mj_step (${t.physicsSteps} steps)`, value: `${t.bareStepsPerSec} steps/s` });
  rows.push({ group: "lockstep", metric: `pipeline at ${t.rateHz} Hz, frame skip ${t.frameSkip}`, value: `${t.pipelineStepsPerSec} steps/s` });
  rows.push({ group: "lockstep", metric: "pipeline / bare", value: `${(t.ratio * 100).toFixed(1)} %`, target: ">= 80 %", ok: t.ratio >= 0.8 });
}

if (want("realtime")) {
  const seconds = quick ? 3 : 20;
  const rt = [];
  for (const hz of [100, 500, 1000]) {
    progress(`real-time loop at ${hz} Hz for ${seconds} s`);
    const r = await benchRealtime(hz, seconds);
    rt.push(r);
    const target = hz === 500;
    rows.push({
      group: "real time",
      metric: `${hz} Hz, ${seconds} s: p99 period error`,
      value: `${r.p99PeriodErrorMs.toFixed(3)} ms (p50 ${r.p50PeriodErrorMs.toFixed(3)}, max ${r.maxPeriodErrorMs.toFixed(3)})`,
      target: target ? "<= 0.5 ms" : undefined,
      ok: target ? r.p99PeriodErrorMs <= 0.5 : undefined,
    });
    rows.push({
      group: "real time",
      metric: `${hz} Hz: overruns, CPU`,
      value: `${r.overruns} overruns (${r.missedCycles} missed), CPU ${(r.cpuFraction * 100).toFixed(0)} % of a core`,
      target: target ? "0 overruns" : undefined,
      ok: target ? r.overruns === 0 : undefined,
    });
  }
  results.realtime = rt;
  // The low-CPU timer beside the default, at 500 Hz, one after the other in this run (a loaded
  // machine shifts both; compare them with each other).
  const modes: Record<string, unknown> = {};
  for (const [name, make] of [
    ["precise (default)", () => new NodeTimer()],
    ["low-cpu", () => NodeTimer.lowCpu()],
  ] as const) {
    progress(`real-time loop at 500 Hz for ${seconds} s, timer ${name}`);
    const r = await benchRealtime(500, seconds, make());
    modes[name] = r;
    rows.push({
      group: "real time",
      metric: `500 Hz, timer ${name}: p99 period error, CPU`,
      value: `${r.p99PeriodErrorMs.toFixed(3)} ms (p50 ${r.p50PeriodErrorMs.toFixed(3)}, max ${r.maxPeriodErrorMs.toFixed(3)}), ${r.overruns} overruns, CPU ${(r.cpuFraction * 100).toFixed(0)} % of a core`,
      target: "<= 0.5 ms",
      ok: r.p99PeriodErrorMs <= 0.5,
    });
  }
  results.timers = modes;
}

/** Benchmarks of optional parts, run when their module is present. */
async function optional(name: string, file: string, fn: string): Promise<void> {
  if (!want(name)) return;
  const full = path.join(here, file);
  if (!fs.existsSync(full)) return;
  progress(`${name} (${file})`);
  const mod = (await import(pathToFileURL(full).href)) as Record<string, (opts?: { quick?: boolean }) => Promise<Record<string, unknown>>>;
  const res = await mod[fn]({ quick });
  results[name] = res;
  const table = res.rows as Row[] | undefined;
  if (Array.isArray(table)) rows.push(...table);
}

await optional("hardware", "hardware.ts", "benchHardware");
await optional("ros", "ros.ts", "benchTransport");
await optional("safety", "safety.ts", "benchSafety");
await optional("observability", "observability.ts", "benchObservability");
await optional("learner", "learner.ts", "benchLearner");
await optional("models", "models.ts", "benchModels");
await optional("planning", "planning.ts", "benchPlanning");
await optional("cli", "cli.ts", "benchCli");

printRows(rows);
results.rows = rows;
const outDir = path.join(here, "out");
fs.mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, "bench.json");
fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), outFile)}`);
