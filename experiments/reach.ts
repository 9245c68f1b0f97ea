/**
 * `npm run experiment:reach`: DEP-RL (StochSwitch) against MPO with its own Gaussian exploration
 * and MPO with temporally correlated (OU) noise, on the reach task of the simulated arm, at equal
 * environment steps, over several seeds. Each run is a child process (`nice`d, `--jobs` at a
 * time) that writes its result to the work folder, so an interrupted experiment keeps its
 * finished runs and a second call only runs the missing ones. The aggregate (means, 95 %
 * confidence intervals, Welch t-tests) goes to docs/experiment-reach.md (table),
 * docs/experiment-reach.svg (plot) and docs/experiment-reach.json (every curve).
 *
 *   npm run experiment:reach                                   5 seeds x 3 methods, 80k steps, reference MPO sizes
 *   npm run experiment:reach -- --seeds 5 --steps 100000 --jobs 2
 *   npm run experiment:reach -- --hidden 64,64 --batch 100 --iterations 10 --between 50
 *   npm run experiment:reach -- --aggregate                    only rebuild the report from the finished runs
 *   npm run experiment:reach -- --quick                        a smoke run (short, 1 seed, to test-artifacts/)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLearn, type LearnConfig } from "../src/learner/runLearn.js";
import { linePlotSvg, type PlotSeries } from "../src/learner/logging/LearningCurve.js";
import { ci95, mean, welchTTest } from "../src/learner/logging/stats.js";
import type { CurveRow } from "../src/learner/Trainer.js";
import { experimentFlags } from "./flags.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const { num: flag, text: textFlag } = experimentFlags(args);

const METHODS = [
  { mode: "dep-rl", label: "DEP-RL (DEP pre-training + StochSwitch)", color: "#d62728" },
  { mode: "rl", label: "MPO, Gaussian (white) noise", color: "#1f77b4" },
  { mode: "rl-ou", label: "MPO, colored noise (OU, 10 steps)", color: "#2ca02c" },
  { mode: "dep-rl-ou", label: "DEP-RL with OU policy noise (10 steps)", color: "#9467bd" },
] as const;

interface RunResult {
  readonly mode: string;
  readonly seed: number;
  readonly steps: number;
  readonly wallSec: number;
  readonly updates: number;
  readonly backend: string;
  readonly config: LearnConfig;
  readonly curve: CurveRow[];
}

if (args[0] === "--one") {
  // A single run, in a child process: the configuration as JSON, the output file.
  const [, json, out] = args;
  const cfg = JSON.parse(json) as Partial<LearnConfig>;
  const r = await runLearn({ ...cfg, backend: "auto" });
  const result: RunResult = { mode: r.config.mode, seed: r.config.seed, steps: r.config.steps, wallSec: r.state.wallSec, updates: r.updates, backend: r.backend.name, config: r.config, curve: r.state.curve };
  fs.writeFileSync(`${out}.part`, JSON.stringify(result));
  fs.renameSync(`${out}.part`, out);
  process.exit(0);
}

const quick = args.includes("--quick");
const aggregateOnly = args.includes("--aggregate");
const seeds = flag("--seeds", quick ? 1 : 5);
const steps = flag("--steps", quick ? 6000 : 80_000);
const jobs = flag("--jobs", 2);
const niceness = flag("--nice", 15);
const hidden = textFlag("--hidden", "256,256").split(",").map(Number);
// The depRL MyoSuite settings: batch 256, 30 updates every 1000 steps, 3-step returns.
const run: Partial<LearnConfig> = {
  hiddenSizes: hidden,
  batchSize: flag("--batch", 256),
  batchIterations: flag("--iterations", 30),
  stepsBetweenBatches: flag("--between", 1000),
  stepsBeforeBatches: flag("--before", quick ? 2000 : 10_000),
  returnSteps: flag("--return-steps", 3),
  envs: flag("--envs", 4),
  epochSteps: flag("--epoch", quick ? 2000 : 4000),
  testEpisodes: flag("--test-episodes", 20),
  preset: textFlag("--preset", "default"),
  ouCorrelationSteps: flag("--ou-steps", 10),
  // DEP and switch parameters over the preset (reference names), e.g. '{"intervention_proba":0.0004,"intervention_length":5}'.
  depParams: JSON.parse(textFlag("--dep-params", "{}")) as Record<string, unknown>,
};
// Only these methods (comma-separated modes), for a variant of one method.
const only = textFlag("--only", "").split(",").filter(Boolean);
const outDir = path.resolve(textFlag("--out", quick ? path.join(root, "test-artifacts", "experiment-reach") : path.join(root, "docs")));
const work = path.resolve(textFlag("--work", path.join(root, "test-artifacts", quick ? "experiment-reach-quick-runs" : "experiment-reach-runs")));
fs.mkdirSync(work, { recursive: true });

// Seed-major order: an interrupted experiment has every method at the same number of seeds.
const tasks = Array.from({ length: seeds }, (_, s) => METHODS.filter((m) => only.length === 0 || only.includes(m.mode)).map((m) => ({ mode: m.mode, seed: s }))).flat();
const fileOf = (t: { mode: string; seed: number }): string => path.join(work, `${t.mode}-${t.seed}-${steps}.json`);
const started = performance.now();
const childWall: number[] = [];

async function runChild(task: { mode: string; seed: number }): Promise<void> {
  const file = fileOf(task);
  const t0 = performance.now();
  process.stderr.write(`experiment: ${task.mode} seed ${task.seed} (${steps} steps) started\n`);
  const cfg = JSON.stringify({ ...run, mode: task.mode, seed: task.seed, steps });
  await new Promise<void>((resolve, reject) => {
    const child = spawn("nice", ["-n", String(niceness), process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--one", cfg, file], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${task.mode} seed ${task.seed} exited with ${code}`))));
  });
  childWall.push((performance.now() - t0) / 1000);
  process.stderr.write(`experiment: ${task.mode} seed ${task.seed} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

/**
 * Takes a task for this process: a `.claim` file holding our pid, created exclusively, so that
 * several experiment processes can share one work folder. A claim whose process is gone is taken over.
 */
function claim(task: { mode: string; seed: number }): boolean {
  const file = `${fileOf(task)}.claim`;
  if (fs.existsSync(fileOf(task))) return false;
  try {
    fs.writeFileSync(file, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    const pid = Number(fs.readFileSync(file, "utf8"));
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      fs.writeFileSync(file, String(process.pid));
      return true;
    }
  }
}

if (!aggregateOnly) {
  const queue = tasks.filter((t) => !fs.existsSync(fileOf(t)));
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        if (!claim(t)) continue;
        await runChild(t);
        fs.rmSync(`${fileOf(t)}.claim`, { force: true });
      }
    }),
  );
}
const results: RunResult[] = tasks.filter((t) => fs.existsSync(fileOf(t))).map((t) => JSON.parse(fs.readFileSync(fileOf(t), "utf8")) as RunResult);
if (results.length === 0) {
  process.stderr.write(`experiment: no finished runs in ${work}\n`);
  process.exit(2);
}
// With --aggregate, --total-sec says how long the runs took (from the run's log).
const totalSec = aggregateOnly ? flag("--total-sec", NaN) : (performance.now() - started) / 1000;

// Aggregate.
/** Mean of the last `k` evaluations of a run: less noisy than the last one alone. */
const tail = (c: CurveRow[], key: keyof CurveRow, k = 4): number => mean(c.slice(-k).map((r) => Number(r[key])));
/** Mean test return over the whole run (area under the curve per evaluation). */
const auc = (c: CurveRow[]): number => mean(c.map((r) => r.testReturn));
const fmt = (a: number[], d = 2): string => `${mean(a).toFixed(d)} ± ${ci95(a).toFixed(d)}`;
const fmtP = (p: number): string => (p < 0.001 ? "< 0.001" : p.toFixed(3));

const byMode = new Map(METHODS.map((m) => [m.mode, results.filter((r) => r.mode === m.mode).sort((a, b) => a.seed - b.seed)]));
const table: string[] = [
  "| method | seeds | final test return | final test success | final distance (m) | mean test return over the run | DEP share of training steps | wall time per run (s) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
const series: PlotSeries[] = [];
for (const m of METHODS) {
  const runs = byMode.get(m.mode)!;
  if (runs.length === 0) continue;
  const depShare = runs.map((r) => mean(r.curve.map((c) => c.depShare)));
  table.push(
    `| ${m.label} | ${runs.length} | ${fmt(runs.map((r) => tail(r.curve, "testReturn")))} | ${fmt(runs.map((r) => tail(r.curve, "testSuccess")))} | ${fmt(runs.map((r) => tail(r.curve, "testDistanceM")), 3)} | ${fmt(runs.map((r) => auc(r.curve)))} | ${mean(depShare).toFixed(2)} | ${mean(runs.map((r) => r.wallSec)).toFixed(0)} |`,
  );
  const n = Math.min(...runs.map((r) => r.curve.length));
  const x = runs[0].curve.slice(0, n).map((r) => r.steps);
  const at = (i: number): number[] => runs.map((r) => r.curve[i].testReturn);
  series.push({
    label: `${m.label} (mean, band 95 % CI over ${runs.length} seeds)`,
    color: m.color,
    x,
    y: x.map((_, i) => mean(at(i))),
    lo: x.map((_, i) => mean(at(i)) - ci95(at(i))),
    hi: x.map((_, i) => mean(at(i)) + ci95(at(i))),
  });
}

const tests: string[] = ["| comparison | measure | difference of means | Welch t | df | p (two-sided) |", "| --- | --- | --- | --- | --- | --- |"];
// DEP-RL against each other method; DEP-RL with OU policy noise against OU noise alone (what DEP adds to colored noise).
const pairs: [string, string][] = [...METHODS.filter((m) => m.mode !== "dep-rl").map((m): [string, string] => ["dep-rl", m.mode]), ["dep-rl-ou", "rl-ou"]];
const labelOf = (mode: string): string => (mode === "dep-rl" ? "DEP-RL" : METHODS.find((m) => m.mode === mode)!.label);
for (const [a, b] of pairs) {
  const ra = byMode.get(a as (typeof METHODS)[number]["mode"])!;
  const rb = byMode.get(b as (typeof METHODS)[number]["mode"])!;
  if (ra.length < 2 || rb.length < 2) continue;
  for (const [name, f] of [
    ["final test return", (r: RunResult) => tail(r.curve, "testReturn")],
    ["final test success", (r: RunResult) => tail(r.curve, "testSuccess")],
    ["mean test return over the run", (r: RunResult) => auc(r.curve)],
  ] as const) {
    const w = welchTTest(ra.map(f), rb.map(f));
    tests.push(`| ${labelOf(a)} − ${labelOf(b)} | ${name} | ${w.meanDiff.toFixed(3)} | ${w.t.toFixed(2)} | ${w.df.toFixed(1)} | ${fmtP(w.p)} |`);
  }
}

const perSeed: string[] = ["| method | seed | final test return | final success | final distance (m) | updates | wall (s) |", "| --- | --- | --- | --- | --- | --- | --- |"];
for (const r of [...results].sort((a, b) => a.mode.localeCompare(b.mode) || a.seed - b.seed)) {
  perSeed.push(`| ${r.mode} | ${r.seed} | ${tail(r.curve, "testReturn").toFixed(2)} | ${tail(r.curve, "testSuccess").toFixed(2)} | ${tail(r.curve, "testDistanceM").toFixed(3)} | ${r.updates} | ${r.wallSec.toFixed(0)} |`);
}

const c = results[0].config;
const seedsDone = Math.min(...METHODS.filter((m) => byMode.get(m.mode)!.length > 0).map((m) => byMode.get(m.mode)!.length));
const cmd = `npm run experiment:reach -- ${args.filter((a, i) => a !== "--aggregate" && a !== "--total-sec" && args[i - 1] !== "--total-sec").join(" ")}`.trim();
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(
  path.join(outDir, "experiment-reach.svg"),
  linePlotSvg(series, { title: `Reach on arm2j6m: greedy test return (${steps} steps, ${seedsDone} seeds)`, xLabel: "environment steps", yLabel: "test episode return" }),
);
const previous = aggregateOnly && fs.existsSync(path.join(outDir, "experiment-reach.json")) ? (JSON.parse(fs.readFileSync(path.join(outDir, "experiment-reach.json"), "utf8")) as { totalSec?: number }) : undefined;
const wall = Number.isFinite(totalSec) ? totalSec : (previous?.totalSec ?? NaN);
fs.writeFileSync(
  path.join(outDir, "experiment-reach.json"),
  `${JSON.stringify({ command: cmd, steps, seeds, jobs, totalSec: wall, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, results }, null, 1)}\n`,
);
const md = `# Experiment: DEP-RL against white and colored noise exploration on the reach task

Generated by \`${cmd}\` (experiments/reach.ts). ${seedsDone} seeds per method (seeds 0..${seedsDone - 1}), ${steps} environment steps per run,
${jobs} runs at a time under \`nice -n ${niceness}\`, ${Number.isFinite(wall) ? `${(wall / 60).toFixed(1)} minutes` : "(wall time not measured by this call)"} in all on a ${os.cpus().length}-core machine shared with other work
(TensorFlow.js backend: ${results[0]?.backend ?? "?"}). Every curve is in experiment-reach.json; the runs' files stay in \`${path.relative(root, work)}\` (not committed), and \`--aggregate\` rebuilds this page from them.

## Setup

- Task: the reach task (src/learner/environments/ReachTask.ts) on the built-in arm \`arm2j6m\` (2 joints, 6 muscles) at
  ${c.rateHz} Hz, episodes of 50 steps (1 s), a random reachable target per episode, success when the fingertip ends
  within 5 cm. Reward per step: −distance/reach − 0.1·mean(activation²) + [d < 10 cm] + [d < 5 cm].
- All methods: the same MPO learner with the same numbers: actor and critic ${c.hiddenSizes.join(" x ")} ReLU, batch ${c.batchSize},
  ${c.batchIterations} updates every ${c.stepsBetweenBatches} environment steps after ${c.stepsBeforeBatches} steps${
    c.hiddenSizes.join(",") === "256,256" && c.batchIterations === 30 && c.stepsBetweenBatches === 1000
      ? " (the depRL MyoSuite schedule, at the reference's 2 x 256 network size rather than MyoSuite's 2 x 1024)"
      : " (smaller than the reference's 2 x 256, batch 256, 30 updates per 1000 steps: those did not fit this machine's budget, see below)"
  }, ${c.returnSteps}-step returns, discount ${c.discount},
  Adam ${c.actorLearningRate} (actor), ${c.criticLearningRate} (critic), ${c.dualLearningRate} (duals), 20 action samples, ε = 0.1, ε_mean = 1e-3,
  ε_std = 1e-6, Polyak 0.005; ${c.envs} environments stepped together.
- DEP-RL: DEP (preset "${c.preset}"${Object.keys(c.depParams).length ? `, with ${JSON.stringify(c.depParams)}` : ""}) acts alone for the first ${c.stepsBeforeBatches} steps, filling the replay; then the
  policy acts, DEP keeps learning on every step and takes over for ${String(c.depParams.intervention_length ?? 20)} steps with probability ${String(c.depParams.intervention_proba ?? 0.01)} per step${
    c.depParams.intervention_proba === undefined ? " (the paper's reacher switch)" : ""
  }; every third episode is a greedy episode (policy alone).
- MPO, white noise: the policy's own Gaussian (mean + std·ε, ε independent per step), the untrained policy during the first
  ${c.stepsBeforeBatches} steps.
- MPO, colored noise: the same Gaussian, but ε is an Ornstein–Uhlenbeck process per environment and muscle with unit
  variance and a correlation time of ${c.ouCorrelationSteps} steps (${((c.ouCorrelationSteps / c.rateHz) * 1000).toFixed(0)} ms), carried across episodes
  (src/learner/explorations/OuNoise.ts).
- Evaluation every ${c.epochSteps} steps: ${c.testEpisodes} greedy episodes (the policy's mean action) on the same fixed targets.
  "Final" is the mean of the last 4 evaluations of a run. ± is the half-width of the 95 % confidence interval of the
  mean over seeds (Student t).

## Result

${table.join("\n")}

Welch t-tests (DEP-RL against each other method, and DEP-RL with OU policy noise against OU noise alone; per-seed values):

${tests.join("\n")}

Per seed:

${perSeed.join("\n")}

![greedy test return against environment steps](experiment-reach.svg)
`;
// The hand-written discussion of the result, kept beside the page, is appended to it.
const discussion = path.join(outDir, "experiment-reach.discussion.md");
fs.writeFileSync(path.join(outDir, "experiment-reach.md"), fs.existsSync(discussion) ? `${md}\n${fs.readFileSync(discussion, "utf8")}` : md);
process.stderr.write(`experiment: ${results.length} runs aggregated${Number.isFinite(totalSec) ? ` after ${(totalSec / 60).toFixed(1)} min` : ""}; wrote ${path.relative(root, path.join(outDir, "experiment-reach.md"))}\n`);
