/**
 * `npm run experiment:reach`: DEP-RL (StochSwitch) against MPO with its own Gaussian exploration
 * on the reach task of the simulated arm, at equal environment steps, over several seeds. Each
 * run is a child process (`nice`d, `--jobs` at a time); the aggregate goes to
 * docs/experiment-reach.md (table), docs/experiment-reach.svg (plot) and
 * docs/experiment-reach.json (every curve).
 *
 *   npm run experiment:reach                        3 seeds x 2 methods, 60k steps each
 *   npm run experiment:reach -- --seeds 5 --steps 100000 --jobs 2
 *   npm run experiment:reach -- --quick             a smoke run (short, 1 seed, to test-artifacts/)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLearn, LEARN_DEFAULTS } from "../src/learner/runLearn.js";
import { linePlotSvg, type PlotSeries } from "../src/learner/logging/LearningCurve.js";
import type { CurveRow } from "../src/learner/Trainer.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};

const METHODS = [
  { mode: "dep-rl", label: "DEP-RL (DEP pre-training + StochSwitch)", color: "#d62728" },
  { mode: "rl", label: "MPO, Gaussian exploration", color: "#1f77b4" },
] as const;

interface RunResult {
  readonly mode: string;
  readonly seed: number;
  readonly steps: number;
  readonly wallSec: number;
  readonly updates: number;
  readonly backend: string;
  readonly curve: CurveRow[];
}

if (args[0] === "--one") {
  // A single run, in a child process: mode, seed, steps, output file.
  const [, mode, seed, steps, out] = args;
  const r = await runLearn({ mode: mode as never, seed: Number(seed), steps: Number(steps), backend: "auto" });
  const result: RunResult = { mode, seed: Number(seed), steps: Number(steps), wallSec: r.state.wallSec, updates: r.updates, backend: r.backend.name, curve: r.state.curve };
  fs.writeFileSync(out, JSON.stringify(result));
  process.exit(0);
}

const quick = args.includes("--quick");
const seeds = flag("--seeds", quick ? 1 : 3);
const steps = flag("--steps", quick ? 8000 : 60_000);
const jobs = flag("--jobs", 2);
const outDir = quick ? path.join(root, "test-artifacts", "experiment-reach") : path.join(root, "docs");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-reach-"));

const tasks = METHODS.flatMap((m) => Array.from({ length: seeds }, (_, s) => ({ mode: m.mode, seed: s })));
const results: RunResult[] = [];
const started = performance.now();

async function runChild(task: { mode: string; seed: number }): Promise<void> {
  const file = path.join(work, `${task.mode}-${task.seed}.json`);
  const t0 = performance.now();
  process.stderr.write(`experiment: ${task.mode} seed ${task.seed} (${steps} steps) started\n`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn("nice", ["-n", "10", process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--one", task.mode, String(task.seed), String(steps), file], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${task.mode} seed ${task.seed} exited with ${code}`))));
  });
  results.push(JSON.parse(fs.readFileSync(file, "utf8")));
  process.stderr.write(`experiment: ${task.mode} seed ${task.seed} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

const queue = [...tasks];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) await runChild(t);
  }),
);
const totalSec = (performance.now() - started) / 1000;

// Aggregate.
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a: number[]): number => (a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0);
const fmt = (a: number[], d = 2): string => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;
/** Mean of the last `k` evaluations of a run: less noisy than the last one alone. */
const tail = (c: CurveRow[], key: keyof CurveRow, k = 4): number => mean(c.slice(-k).map((r) => r[key]));
/** Area under the test-return curve per evaluation (mean test return over the whole run). */
const auc = (c: CurveRow[]): number => mean(c.map((r) => r.testReturn));

const table: string[] = [
  "| method | seeds | final test return | final test success | final distance (m) | mean test return over the run | wall time per run (s) |",
  "| --- | --- | --- | --- | --- | --- | --- |",
];
const series: PlotSeries[] = [];
for (const m of METHODS) {
  const runs = results.filter((r) => r.mode === m.mode).sort((a, b) => a.seed - b.seed);
  if (runs.length === 0) continue;
  table.push(
    `| ${m.label} | ${runs.length} | ${fmt(runs.map((r) => tail(r.curve, "testReturn")))} | ${fmt(runs.map((r) => tail(r.curve, "testSuccess")))} | ${fmt(runs.map((r) => tail(r.curve, "testDistanceM")), 3)} | ${fmt(runs.map((r) => auc(r.curve)))} | ${mean(runs.map((r) => r.wallSec)).toFixed(0)} |`,
  );
  const n = Math.min(...runs.map((r) => r.curve.length));
  const x = runs[0].curve.slice(0, n).map((r) => r.steps);
  const at = (i: number): number[] => runs.map((r) => r.curve[i].testReturn);
  series.push({
    label: `${m.label} (mean, band min..max over ${runs.length} seeds)`,
    color: m.color,
    x,
    y: x.map((_, i) => mean(at(i))),
    lo: x.map((_, i) => Math.min(...at(i))),
    hi: x.map((_, i) => Math.max(...at(i))),
  });
}
const perSeed: string[] = ["| method | seed | final test return | final success | final distance (m) | updates |", "| --- | --- | --- | --- | --- | --- |"];
for (const r of [...results].sort((a, b) => a.mode.localeCompare(b.mode) || a.seed - b.seed)) {
  perSeed.push(`| ${r.mode} | ${r.seed} | ${tail(r.curve, "testReturn").toFixed(2)} | ${tail(r.curve, "testSuccess").toFixed(2)} | ${tail(r.curve, "testDistanceM").toFixed(3)} | ${r.updates} |`);
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(
  path.join(outDir, "experiment-reach.svg"),
  linePlotSvg(series, { title: `Reach on arm2j6m: greedy test return (${steps} steps, ${seeds} seeds)`, xLabel: "environment steps", yLabel: "test episode return" }),
);
fs.writeFileSync(
  path.join(outDir, "experiment-reach.json"),
  `${JSON.stringify({ steps, seeds, jobs, totalSec, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, results }, null, 1)}\n`,
);
const c = LEARN_DEFAULTS;
const md = `# Experiment: DEP-RL against Gaussian exploration on the reach task

Generated by \`npm run experiment:reach\` (experiments/reach.ts). ${seeds} seeds per method, ${steps} environment steps per run,
${jobs} runs at a time under \`nice\`, ${(totalSec / 60).toFixed(1)} minutes in all on a ${os.cpus().length}-core machine
(TensorFlow.js backend: ${results[0]?.backend ?? "?"}).

## Setup

- Task: the reach task (src/learner/environments/ReachTask.ts) on the built-in arm \`arm2j6m\` (2 joints, 6 muscles) at
  ${c.rateHz} Hz, episodes of ${50} steps (1 s), a random reachable target per episode, success when the fingertip ends
  within 5 cm. Reward per step: −distance/reach − 0.1·mean(activation²) + [d < 10 cm] + [d < 5 cm].
- Both methods: the same MPO learner with the same numbers: actor and critic ${c.hiddenSizes.join(" x ")} ReLU (smaller than the
  reference's 2 x 256, to fit the budget), batch ${c.batchSize}, ${c.batchIterations} updates every ${c.stepsBetweenBatches} steps after
  ${c.stepsBeforeBatches} steps, ${c.returnSteps}-step returns, discount ${c.discount}, Adam ${c.actorLearningRate} (actor), ${c.criticLearningRate} (critic),
  ${c.dualLearningRate} (duals), 20 action samples, ε = 0.1, ε_mean = 1e-3, ε_std = 1e-6, Polyak 0.005; ${c.envs} environments.
- DEP-RL: DEP (preset "default": κ 100, τ 20) acts alone for the first ${c.stepsBeforeBatches} steps, filling the replay; then
  the policy acts, DEP keeps learning on every step and takes over for 20 steps with probability 0.01 per step; every
  third episode is a greedy episode (policy alone).
- Gaussian: the untrained policy acts (samples from its Gaussian) for the first ${c.stepsBeforeBatches} steps, then the learning policy.
- Evaluation every ${c.epochSteps} steps: ${c.testEpisodes} greedy episodes (the policy's mean action) on the same fixed targets.
  "Final" is the mean of the last 4 evaluations of a run; ± is the standard deviation over seeds.

## Result

${table.join("\n")}

Per seed:

${perSeed.join("\n")}

![greedy test return against environment steps](experiment-reach.svg)
`;
fs.writeFileSync(path.join(outDir, "experiment-reach.md"), md);
fs.rmSync(work, { recursive: true, force: true });
process.stderr.write(`experiment: done in ${(totalSec / 60).toFixed(1)} min; wrote ${path.relative(root, path.join(outDir, "experiment-reach.md"))}\n`);
