/**
 * `npm run experiment:world-models`: β-NLL against Gaussian NLL against MSE ensembles on DEP data
 * from the built-in arm (arm2j6m) and from one MyoSuite model (myoelbow_1dof6muscles), over seeds.
 * Per (body, seed) a child process collects DEP transitions (episodes from different start poses;
 * whole episodes held out), fits one ensemble per loss and measures: held-out NLL, the fraction of
 * held-out deltas inside the predicted 1σ / 2σ, normalized MSE, and the open-loop error after
 * `--horizon` steps. On the arm it also fits a β-NLL ensemble on half of the shoulder's range only
 * and compares its disagreement on held-out states from that half with states from the other end
 * of the range (epistemic uncertainty). Results: docs/world-models.md and docs/world-models.json.
 *
 *   npm run experiment:world-models                           5 seeds, 3 x 128 members
 *   npm run experiment:world-models -- --seeds 5 --hidden 256 --steps 1500 --jobs 2
 *   npm run experiment:world-models -- --quick                a smoke run (to test-artifacts/)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Disagreement } from "../src/intrinsic/Disagreement.js";
import { initBackend } from "../src/learner/tf/backend.js";
import { evaluateEnsemble, fitEnsemble, multiStepError, subset, type TransitionSet } from "../src/models/EnsembleTrainer.js";
import { ENSEMBLE_LOSSES, ProbabilisticEnsemble, type EnsembleLoss } from "../src/models/ProbabilisticEnsemble.js";
import type { StateLayout } from "../src/models/types.js";
import { collectDepTransitions } from "./depTransitions.js";
import { experimentFlags } from "./flags.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const { num: flag } = experimentFlags(args);

const BODIES = [
  { name: "arm2j6m", model: "arm2j6m", spec: "joint_angle:*,joint_velocity:*,muscle_length:*,muscle_force:*,muscle_activation:*,site_position:fingertip" },
  {
    name: "myoelbow_1dof6muscles",
    model: path.resolve(root, "..", "shared", "data", "myo_sim", "elbow", "myoelbow_1dof6muscles.xml"),
    spec: "joint_angle:*,joint_velocity:*,muscle_length:*,muscle_force:*,muscle_activation:*",
  },
] as const;

interface LossResult {
  readonly loss: EnsembleLoss;
  readonly nll: number;
  readonly within1: number;
  readonly within2: number;
  readonly normalizedMse: number;
  /** RMSE per state group, raw units (one step). */
  readonly rmse1: Record<string, number>;
  /** RMSE per state group after `horizon` steps, raw units. */
  readonly rmseH: Record<string, number>;
  readonly steps: number;
  readonly bestStep: number;
  readonly fitSec: number;
}

interface RunResult {
  readonly body: string;
  readonly seed: number;
  readonly rows: number;
  readonly holdoutRows: number;
  readonly horizon: number;
  readonly hidden: number;
  readonly backend: string;
  readonly wallSec: number;
  readonly losses: LossResult[];
  readonly epistemic?: { inDist: number; outDist: number; ratio: number; inRows: number; outRows: number };
}

/** RMS over the entries of each state group. */
function perGroup(layout: StateLayout, rmse: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of layout.groups) {
    let s = 0;
    for (let k = g.offset; k < g.offset + g.size; k++) s += rmse[k] * rmse[k];
    out[g.kind] = Math.sqrt(s / g.size);
  }
  return out;
}

async function one(bodyName: string, seed: number, out: string): Promise<void> {
  const t0 = performance.now();
  const backend = await initBackend("auto");
  const body = BODIES.find((b) => b.name === bodyName)!;
  const quick = args.includes("--quick");
  const hidden = flag("--hidden", 128);
  const maxSteps = flag("--steps", quick ? 200 : 800);
  const horizon = flag("--horizon", 10);
  const episodes = flag("--episodes", quick ? 4 : 10);
  const c = await collectDepTransitions({ model: body.model, stateSpec: body.spec, episodes, stepsPerEpisode: flag("--episode-steps", quick ? 300 : 800), seed: seed + 1 });
  const losses: LossResult[] = [];
  let holdoutRows = 0;
  for (const loss of ENSEMBLE_LOSSES) {
    const model = new ProbabilisticEnsemble(c.layout, c.set.actionDim, { hidden: [hidden, hidden, hidden], loss }, seed);
    const fit = fitEnsemble(model, c.set, { maxSteps, evalEvery: 100, patience: 3, seed, holdoutFraction: 0.2 });
    holdoutRows = fit.holdoutRows;
    const ev = evaluateEnsemble(model, fit.holdout);
    const ms = multiStepError(model, fit.holdout, horizon);
    losses.push({
      loss,
      nll: ev.nll,
      within1: ev.within1,
      within2: ev.within2,
      normalizedMse: ev.normalizedMse,
      rmse1: perGroup(c.layout, ev.rmse),
      rmseH: perGroup(c.layout, ms.rmse),
      steps: fit.steps,
      bestStep: fit.bestStep,
      fitSec: fit.wallSec,
    });
    process.stderr.write(`  ${bodyName} seed ${seed} ${loss}: NLL ${ev.nll.toFixed(3)}, 1σ ${ev.within1.toFixed(3)}, 2σ ${ev.within2.toFixed(3)}, ${fit.steps} steps in ${fit.wallSec.toFixed(0)} s\n`);
    model.dispose();
  }
  let epistemic: RunResult["epistemic"];
  if (bodyName === "arm2j6m") epistemic = epistemicCheck(c.set, c.layout, hidden, maxSteps, seed);
  const result: RunResult = { body: bodyName, seed, rows: c.set.rows, holdoutRows, horizon, hidden, backend: backend.name, wallSec: (performance.now() - t0) / 1000, losses, epistemic };
  fs.writeFileSync(out, JSON.stringify(result));
}

/** Fits on states whose first joint angle is below its 40th percentile; disagreement there vs above the 85th. */
function epistemicCheck(set: TransitionSet, layout: StateLayout, hidden: number, maxSteps: number, seed: number): RunResult["epistemic"] {
  const d = set.stateDim;
  const q = Array.from({ length: set.rows }, (_, i) => set.states[i * d]).sort((x, y) => x - y);
  const lo = q[Math.floor(0.4 * q.length)];
  const hi = q[Math.floor(0.85 * q.length)];
  const inside: number[] = [];
  const outside: number[] = [];
  for (let i = 0; i < set.rows; i++) {
    const x = set.states[i * d];
    if (x < lo) inside.push(i);
    else if (x > hi) outside.push(i);
  }
  // Every fifth in-range row is kept out of training, to measure in-distribution disagreement on unseen rows.
  const trainIdx = inside.filter((_, k) => k % 5 !== 0);
  const testIn = inside.filter((_, k) => k % 5 === 0);
  const train = subset(set, Int32Array.from(trainIdx));
  const model = new ProbabilisticEnsemble(layout, set.actionDim, { hidden: [hidden, hidden, hidden], loss: "beta-nll" }, seed + 100);
  fitEnsemble(model, { ...train, segment: undefined }, { maxSteps, evalEvery: 100, patience: 3, seed, holdoutFraction: 0.1 });
  const dis = new Disagreement(model, { scale: model.targetNorm.std });
  const mean = (idx: number[]): number => {
    const b = subset(set, Int32Array.from(idx));
    const o = new Float64Array(b.rows);
    dis.compute(b, o);
    return o.reduce((s, v) => s + v, 0) / b.rows;
  };
  const inDist = mean(testIn);
  const outDist = mean(outside);
  model.dispose();
  process.stderr.write(`  arm2j6m seed ${seed} epistemic: disagreement in ${inDist.toFixed(3)}, out ${outDist.toFixed(3)} (${(outDist / inDist).toFixed(1)}x)\n`);
  return { inDist, outDist, ratio: outDist / inDist, inRows: testIn.length, outRows: outside.length };
}

if (args[0] === "--one") {
  await one(args[1], Number(args[2]), args[3]);
  process.exit(0);
}

// ---- the parent: children, then the aggregate ----

/** Mean and 95 % CI half-width (t distribution) of a sample. */
function meanCi(xs: readonly number[]): { mean: number; ci: number } {
  const n = xs.length;
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, ci: NaN };
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const t = [0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228][n - 1] ?? 1.96;
  return { mean, ci: (t * sd) / Math.sqrt(n) };
}

const fmt = (x: { mean: number; ci: number }, digits = 3): string => `${x.mean.toFixed(digits)} ± ${Number.isFinite(x.ci) ? x.ci.toFixed(digits) : "n/a"}`;

const quick = args.includes("--quick");
const seeds = flag("--seeds", quick ? 1 : 5);
const jobs = flag("--jobs", 2);
const outDir = quick ? path.join(root, "test-artifacts", "experiment-world-models") : path.join(root, "docs");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-wm-"));
const passThrough = args.filter((a, i) => a !== "--quick" && !["--seeds", "--jobs"].includes(a) && !["--seeds", "--jobs"].includes(args[i - 1]));
const tasks = BODIES.flatMap((b) => Array.from({ length: seeds }, (_, s) => ({ body: b.name, seed: s })));
const results: RunResult[] = [];
const failed: string[] = [];
const started = performance.now();

async function runChild(task: { body: string; seed: number }): Promise<void> {
  const file = path.join(work, `${task.body}-${task.seed}.json`);
  const t0 = performance.now();
  process.stderr.write(`experiment: ${task.body} seed ${task.seed} started\n`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("nice", ["-n", "10", process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--one", task.body, String(task.seed), file, ...(quick ? ["--quick"] : []), ...passThrough], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    failed.push(`${task.body} seed ${task.seed} (exit ${code})`);
    return;
  }
  results.push(JSON.parse(fs.readFileSync(file, "utf8")));
  process.stderr.write(`experiment: ${task.body} seed ${task.seed} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

const queue = [...tasks];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) await runChild(t);
  }),
);
const wallSec = (performance.now() - started) / 1000;

const lines: string[] = [];
const command = `npm run experiment:world-models -- ${args.join(" ")}`.trim();
lines.push(`Command: \`${command}\` — ${results.length} runs (${seeds} seeds per body, ${jobs} at a time), wall time ${(wallSec / 60).toFixed(1)} min on a shared 2-core machine, backend ${results[0]?.backend ?? "?"}, members 3 x ${results[0]?.hidden ?? "?"} SiLU, 5 per ensemble. Seeds 0..${seeds - 1} (seed s: model init and bootstrap s, DEP episodes from bridge seeds ${"1000·(s+1)+episode"}).`);
if (failed.length) lines.push(`Failed runs: ${failed.join(", ")}.`);
lines.push("");
for (const body of BODIES) {
  const rs = results.filter((r) => r.body === body.name).sort((a, b) => a.seed - b.seed);
  if (rs.length === 0) continue;
  const h = rs[0].horizon;
  lines.push(`### ${body.name} (${rs[0].rows} transitions per seed, ${rs[0].holdoutRows} held out as whole episodes)`);
  lines.push("");
  lines.push(`| loss | held-out NLL (nats/entry, z-scored Δ) | inside 1σ (0.683) | inside 2σ (0.954) | normalized MSE | joint angle RMSE, 1 step (rad) | joint angle RMSE, ${h} steps (rad) |${body.name === "arm2j6m" ? ` fingertip RMSE, ${h} steps (m) |` : ""}`);
  lines.push(`|---|---|---|---|---|---|---|${body.name === "arm2j6m" ? "---|" : ""}`);
  for (const loss of ENSEMBLE_LOSSES) {
    const ls = rs.map((r) => r.losses.find((l) => l.loss === loss)!);
    const cells = [
      fmt(meanCi(ls.map((l) => l.nll))),
      fmt(meanCi(ls.map((l) => l.within1))),
      fmt(meanCi(ls.map((l) => l.within2))),
      fmt(meanCi(ls.map((l) => l.normalizedMse)), 4),
      fmt(meanCi(ls.map((l) => l.rmse1.joint_angle)), 4),
      fmt(meanCi(ls.map((l) => l.rmseH.joint_angle)), 4),
    ];
    if (body.name === "arm2j6m") cells.push(fmt(meanCi(ls.map((l) => l.rmseH.site_position)), 4));
    lines.push(`| ${loss} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  const wins = (metric: (l: LossResult) => number, a: EnsembleLoss, b: EnsembleLoss): number => rs.filter((r) => metric(r.losses.find((l) => l.loss === a)!) < metric(r.losses.find((l) => l.loss === b)!)).length;
  const calib = (l: LossResult): number => Math.abs(l.within1 - 0.6827) + Math.abs(l.within2 - 0.9545);
  lines.push(`Per seed: β-NLL has the lower held-out NLL than NLL in ${wins((l) => l.nll, "beta-nll", "nll")} of ${rs.length} seeds; calibration error |1σ − 0.683| + |2σ − 0.954| lower than NLL in ${wins(calib, "beta-nll", "nll")} and lower than MSE in ${wins(calib, "beta-nll", "mse")} of ${rs.length}.`);
  lines.push("");
  const ep = rs.filter((r) => r.epistemic).map((r) => r.epistemic!);
  if (ep.length) {
    lines.push(`Epistemic check (β-NLL ensemble fitted on the lower 40 % of the shoulder's range): mean disagreement on unseen in-range states ${fmt(meanCi(ep.map((e) => e.inDist)))}, on states above the 85th percentile ${fmt(meanCi(ep.map((e) => e.outDist)))}; ratio ${fmt(meanCi(ep.map((e) => e.ratio)), 1)} (per seed: ${ep.map((e) => e.ratio.toFixed(1)).join(", ")}).`);
    lines.push("");
  }
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, "world-models-results.md"), `${lines.join("\n")}\n`);
fs.writeFileSync(path.join(outDir, "world-models.json"), `${JSON.stringify({ command, wallSec, seeds, failed, results }, null, 2)}\n`);
console.log(lines.join("\n"));
