/**
 * `npm run experiment:free-play`: free play (CEE-US: iCEM maximising ensemble disagreement, the
 * model retrained online) against DEP and uniform random actions, the same number of steps each,
 * then zero-shot tasks by planning on models trained on each data set, with MuJoCo itself as the
 * planner's model for the upper bound. Per seed (one child process, `nice`d):
 *
 *   1. collect `--steps` steps with each explorer (0.1 s per step, rounds of `--round` steps from a
 *      reset), and measure coverage: joint grid cells (20 x 20 over the joint ranges) and fingertip
 *      cells (2 cm x 2 cm in the plane) visited;
 *   2. fit a fresh ensemble (5 x 2 x 128, MSE, the same Adam steps) on each data set;
 *   3. zero-shot: `--targets` reach targets and as many poses, drawn from the seed, each an episode of
 *      2 s planned by iCEM (`--zs-population` x H `--zs-horizon`, `--zs-iterations` iterations; 32 x
 *      H 10 x 3 by default; the members' mean) with the task cost on each model; and the same
 *      episodes planned on MuJoCo (5 ms timestep). Play's own planner keeps `--population`,
 *      `--horizon` (32 x H 10 x 3).
 *
 * The aggregate (mean and 95 % CI over seeds) goes to docs/experiment-free-play.json and a markdown
 * table on stdout.
 *
 *   npm run experiment:free-play -- --seeds 3 --steps 1500 --targets 4 --jobs 2
 *   npm run experiment:free-play -- --seeds 3 --steps 600 --targets 4 --zs-population 128 --zs-iterations 6
 *   npm run experiment:free-play -- --model /path/to/myoelbow_1dof6muscles.xml --site none --seeds 1
 *   npm run experiment:free-play -- --quick
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { experimentFlags } from "./flags.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { MujocoRolloutModel } from "../sim/MujocoRolloutModel.js";
import { resolveModelSource } from "../sim/modelSource.js";
import { Rng } from "../src/core/rng.js";
import { ci95, mean } from "../src/learner/logging/stats.js";
import { initBackend } from "../src/learner/tf/backend.js";
import { EnsembleRollout } from "../src/models/EnsembleRollout.js";
import { fitEnsemble, type TransitionSet } from "../src/models/EnsembleTrainer.js";
import { ProbabilisticEnsemble } from "../src/models/ProbabilisticEnsemble.js";
import { entryRange } from "../src/models/StateLayout.js";
import { FREE_PLAY_ENSEMBLE, runFreePlay, type Explorer } from "../src/planning/freePlay.js";
import { IcemPlanner } from "../src/planning/IcemPlanner.js";
import { planEpisode } from "../src/planning/planEpisode.js";
import { Task } from "../src/tasks/Task.js";
import type { TaskSpec } from "../src/tasks/TaskSpec.js";
import type { RolloutModel } from "../src/models/types.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const { num, text } = experimentFlags(args);
const quick = args.includes("--quick");
const config = {
  model: text("--model", "arm2j6m"),
  site: text("--site", "fingertip"),
  seeds: num("--seeds", quick ? 1 : 3),
  steps: num("--steps", quick ? 200 : 1500),
  roundSteps: num("--round", 100),
  trainStepsPerRound: num("--train-per-round", quick ? 50 : 150),
  fitSteps: num("--fit-steps", quick ? 200 : 1000),
  targets: num("--targets", quick ? 1 : 4),
  population: num("--population", 32),
  horizon: num("--horizon", 10),
  zsPopulation: num("--zs-population", 32),
  zsHorizon: num("--zs-horizon", 10),
  zsIterations: num("--zs-iterations", 3),
  stepSec: 0.1,
  episodeSec: 2,
  explorers: ["curious", "dep", "random"] as Explorer[],
};
const hasSite = config.site !== "none";
const stateSpec = `joint_angle:*,joint_velocity:*,muscle_activation:*${hasSite ? `,site_position:${config.site}` : ""}`;

interface SeedResult {
  readonly seed: number;
  readonly wallSec: number;
  readonly explorers: Record<string, { jointCells: number; siteCells: number; playSec: number; fitSec: number; holdoutMse: number; reach: number[]; pose: number[]; reachErr: number[]; poseErr: number[]; meanDisagreement: number[] }>;
  readonly truth: { reach: number[]; pose: number[]; reachErr: number[]; poseErr: number[] };
}

function coverage(set: TransitionSet, ranges: Array<[number, number]>, siteOffset: number): { jointCells: number; siteCells: number } {
  const d = set.stateDim;
  const bins = 20;
  const joints = ranges.length;
  const cells = new Set<string>();
  const site = new Set<string>();
  for (let r = 0; r < set.rows; r++) {
    const key: number[] = [];
    for (let j = 0; j < joints; j++) {
      const [lo, hi] = ranges[j];
      key.push(Math.min(bins - 1, Math.max(0, Math.floor(((set.next[r * d + j] - lo) / (hi - lo)) * bins))));
    }
    cells.add(key.join(","));
    if (siteOffset >= 0) site.add(`${Math.floor(set.next[r * d + siteOffset] / 0.02)},${Math.floor(set.next[r * d + siteOffset + 1] / 0.02)},${Math.floor(set.next[r * d + siteOffset + 2] / 0.02)}`);
  }
  return { jointCells: cells.size, siteCells: site.size };
}

async function runSeed(seed: number): Promise<SeedResult> {
  const t0 = performance.now();
  await initBackend("auto");
  const source = resolveModelSource(config.model);
  const bridge = new MujocoBridge({ source, frameSkip: 50, seed: 500 + seed });
  await bridge.configure();
  await bridge.activate();
  const truth = await MujocoRolloutModel.create({ source, stateSpec, stepSec: config.stepSec });
  const mjModel = await MujocoRolloutModel.create({ source, stateSpec, stepSec: config.stepSec, timestepSec: 0.005 });
  const ranges = truth.names.joints.map((j) => truth.jointRange(j));
  const siteOffset = hasSite ? entryRange(truth.layout, "site_position", config.site)[0] : -1;
  // The same tasks for every model of this seed.
  const rng = new Rng(4242 + seed);
  const tasks: TaskSpec[] = [];
  for (let k = 0; k < config.targets; k++) {
    if (hasSite) tasks.push({ kind: "reach", site: config.site, target: truth.randomSitePosition(config.site, rng), episodeSec: config.episodeSec });
    const joints: Record<string, number> = {};
    truth.names.joints.forEach((j, i) => (joints[j] = rng.uniform(ranges[i][0] + 0.2 * (ranges[i][1] - ranges[i][0]), ranges[i][1] - 0.2 * (ranges[i][1] - ranges[i][0]))));
    tasks.push({ kind: "pose", joints, episodeSec: config.episodeSec });
  }
  const evaluate = (model: RolloutModel, plannerSeed: number): { reach: number[]; pose: number[]; reachErr: number[]; poseErr: number[] } => {
    const out = { reach: [] as number[], pose: [] as number[], reachErr: [] as number[], poseErr: [] as number[] };
    tasks.forEach((spec, i) => {
      const task = new Task(spec, truth.layout);
      const planner = new IcemPlanner(model, task, { population: config.zsPopulation, horizon: config.zsHorizon, iterations: config.zsIterations, seed: plannerSeed * 100 + i });
      bridge.reset();
      const r = planEpisode({ bridge, truth, planner, task, startState: (s) => (model === mjModel ? (mjModel.syncFrom(bridge), s) : s) });
      (spec.kind === "reach" ? out.reach : out.pose).push(r.success ? 1 : 0);
      (spec.kind === "reach" ? out.reachErr : out.poseErr).push(r.metric);
      process.stderr.write(`experiment: seed ${seed} ${model === mjModel ? "MuJoCo" : "ensemble"} ${spec.kind} ${i}: ${r.success ? "success" : "miss"} (${r.metric.toFixed(3)}, ${r.planMsMean.toFixed(0)} ms/step)\n`);
    });
    return out;
  };
  // The upper bound first: what the planner does with the true model, at these settings.
  const truthEval = evaluate(mjModel, seed);
  process.stderr.write(`experiment: seed ${seed} MuJoCo planner: reach ${mean(truthEval.reach).toFixed(2)} pose ${mean(truthEval.pose).toFixed(2)}\n`);
  const explorers: SeedResult["explorers"] = {};
  for (const explorer of config.explorers) {
    const tp = performance.now();
    const play = await runFreePlay({ model: config.model, stateSpec, steps: config.steps, roundSteps: config.roundSteps, stepSec: config.stepSec, rateHz: 50, explorer, seed, trainStepsPerRound: config.trainStepsPerRound, planner: { population: config.population, horizon: config.horizon } });
    const playSec = (performance.now() - tp) / 1000;
    play.ensemble?.dispose();
    const cov = coverage(play.set, ranges, siteOffset);
    // The same fit for every data set, from scratch.
    const tf = performance.now();
    const ensemble = new ProbabilisticEnsemble(play.layout, play.set.actionDim, FREE_PLAY_ENSEMBLE, seed);
    const fit = fitEnsemble(ensemble, play.set, { maxSteps: config.fitSteps, holdoutFraction: 0.1, bootstrap: false, seed, patience: 1000 });
    const fitSec = (performance.now() - tf) / 1000;
    const rollout = new EnsembleRollout(ensemble, { propagation: "mean", actionLow: play.actionLow, actionHigh: play.actionHigh, stepSec: play.stepSec, seed });
    const ev = evaluate(rollout, seed);
    const holdoutMse = fit.curve.at(-1)?.holdoutMse ?? Number.NaN;
    explorers[explorer] = { ...cov, playSec, fitSec, holdoutMse, ...ev, meanDisagreement: play.rounds.map((r) => r.meanDisagreement) };
    ensemble.dispose();
    process.stderr.write(`experiment: seed ${seed} ${explorer}: ${cov.jointCells} joint cells, ${cov.siteCells} site cells; zero-shot reach ${mean(ev.reach).toFixed(2)} pose ${mean(ev.pose).toFixed(2)} (play ${playSec.toFixed(0)} s, fit ${fitSec.toFixed(0)} s)\n`);
  }
  truth.delete();
  mjModel.delete();
  await bridge.shutdown();
  return { seed, wallSec: (performance.now() - t0) / 1000, explorers, truth: truthEval };
}

if (args[0] === "--one") {
  const r = await runSeed(Number(args[1]));
  fs.writeFileSync(`${args[2]}.part`, JSON.stringify(r));
  fs.renameSync(`${args[2]}.part`, args[2]);
  process.exit(0);
}

// The default zero-shot planner keeps the names of the first runs; a bigger one is named in the files.
const zsTag = config.zsPopulation === 32 && config.zsHorizon === 10 && config.zsIterations === 3 ? "" : `-zs${config.zsPopulation}x${config.zsHorizon}x${config.zsIterations}`;
const bodyTag = path.basename(config.model).replace(/\.xml$/, "") + zsTag;
const work = path.resolve(text("--work", path.join(root, "test-artifacts", quick ? "experiment-free-play-quick" : `experiment-free-play-${bodyTag}`)));
fs.mkdirSync(work, { recursive: true });
const fileOf = (s: number): string => path.join(work, `seed${s}-${config.steps}.json`);
const started = performance.now();
if (!args.includes("--aggregate")) {
  const queue = Array.from({ length: config.seeds }, (_, s) => s).filter((s) => !fs.existsSync(fileOf(s)));
  await Promise.all(
    Array.from({ length: Math.min(num("--jobs", 2), queue.length) }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        const seed = s;
        await new Promise<void>((resolve, reject) => {
          const child = spawn("nice", ["-n", "10", process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--one", String(seed), fileOf(seed), ...args], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
          child.on("error", reject);
          child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`seed ${seed} exited with ${code}`))));
        });
      }
    }),
  );
}
const runs = Array.from({ length: config.seeds }, (_, s) => s)
  .filter((s) => fs.existsSync(fileOf(s)))
  .map((s) => JSON.parse(fs.readFileSync(fileOf(s), "utf8")) as SeedResult);
if (runs.length === 0) {
  process.stderr.write(`experiment: no finished seeds in ${work}\n`);
  process.exit(2);
}
const fmt = (xs: number[], scale = 1, digits = 0): string => `${(mean(xs) * scale).toFixed(digits)} ± ${(runs.length > 1 ? ci95(xs) * scale : 0).toFixed(digits)}`;
const lines = [
  "| data | joint cells (of 400) | fingertip cells (2 cm) | held-out MSE (z-scored) | zero-shot reach success | zero-shot pose success | reach final error (cm) | pose final error (rad) |",
  "|---|---|---|---|---|---|---|---|",
];
const table: Record<string, unknown> = {};
for (const ex of config.explorers) {
  const per = runs.map((r) => r.explorers[ex]);
  const row = {
    jointCells: per.map((p) => p.jointCells),
    siteCells: per.map((p) => p.siteCells),
    holdoutMse: per.map((p) => p.holdoutMse),
    reach: per.map((p) => mean(p.reach)),
    pose: per.map((p) => mean(p.pose)),
    reachErr: per.map((p) => mean(p.reachErr)),
    poseErr: per.map((p) => mean(p.poseErr)),
  };
  table[ex] = row;
  lines.push(`| ${ex === "curious" ? "curious free play (iCEM, −disagreement)" : ex === "dep" ? "DEP" : "uniform random"} | ${fmt(row.jointCells)} | ${hasSite ? fmt(row.siteCells) : "—"} | ${fmt(row.holdoutMse, 1, 3)} | ${hasSite ? fmt(row.reach, 100) + " %" : "—"} | ${fmt(row.pose, 100)} % | ${hasSite ? fmt(row.reachErr, 100, 1) : "—"} | ${fmt(row.poseErr, 1, 3)} |`);
}
const truthRow = { reach: runs.map((r) => mean(r.truth.reach)), pose: runs.map((r) => mean(r.truth.pose)), reachErr: runs.map((r) => mean(r.truth.reachErr)), poseErr: runs.map((r) => mean(r.truth.poseErr)) };
lines.push(`| MuJoCo as the model (upper bound) | | | | ${hasSite ? fmt(truthRow.reach, 100) + " %" : "—"} | ${fmt(truthRow.pose, 100)} % | ${hasSite ? fmt(truthRow.reachErr, 100, 1) : "—"} | ${fmt(truthRow.poseErr, 1, 3)} |`);
const summary = { config, stateSpec, seeds: runs.map((r) => r.seed), seedWallSec: runs.map((r) => r.wallSec), totalWallSec: args.includes("--aggregate") ? null : (performance.now() - started) / 1000, table, truth: truthRow, runs };
const outFile = quick ? path.join(work, "summary.json") : path.join(root, "docs", `experiment-free-play-${bodyTag}.json`);
fs.writeFileSync(outFile, JSON.stringify(summary, null, 1));
process.stdout.write(`${lines.join("\n")}\n\n${runs.length} seeds; per seed ${runs.map((r) => r.wallSec.toFixed(0)).join(", ")} s -> ${path.relative(root, outFile)}\n`);
