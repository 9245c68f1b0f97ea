/**
 * `npm run experiment:planning`: iCEM against plain CEM with MuJoCo as the model, on reach with
 * the built-in arm (arm2j6m, fingertip), at equal sample budgets (population N = 32, 64, 128),
 * over several seeds; each seed draws its own reachable targets. Success: fingertip within 5 cm
 * of the target at the end of a 2 s episode. The simulation steps at the model's 2 ms; the
 * planner's MuJoCo copy at 5 ms (faster, 7 mm median error over 1.5 s: see the spec notes).
 *
 * One child process per seed (`nice`d, `--jobs` at a time) writes its episodes to the work
 * folder, so an interrupted experiment keeps its finished seeds and a second call runs only the
 * missing ones. The aggregate goes to docs/experiment-planning-icem.json and a markdown table on
 * stdout (pasted into docs/experiment-planning.md).
 *
 *   npm run experiment:planning                          5 seeds x 3 targets x {iCEM, CEM} x N {32, 64, 128}
 *   npm run experiment:planning -- --seeds 5 --targets 3 --budgets 32,64,128 --horizon 10 --jobs 2
 *   npm run experiment:planning -- --aggregate           only rebuild the table from the finished seeds
 *   npm run experiment:planning -- --quick               a smoke run (1 seed, 1 target, N 16)
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
import { IcemPlanner, type PlannerMode } from "../src/planning/IcemPlanner.js";
import { planEpisode } from "../src/planning/planEpisode.js";
import { Task } from "../src/tasks/Task.js";
import { ci95, mean } from "../src/learner/logging/stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const { num, text } = experimentFlags(args);

const quick = args.includes("--quick");
const config = {
  model: "arm2j6m",
  site: "fingertip",
  seeds: num("--seeds", quick ? 1 : 5),
  targets: num("--targets", quick ? 1 : 3),
  budgets: text("--budgets", quick ? "16" : "32,64,128").split(",").map(Number),
  horizon: num("--horizon", 10),
  stepSec: num("--step", 0.1),
  modelTimestepSec: num("--model-timestep", 0.005),
  episodeSec: num("--episode", 2),
  radiusM: 0.05,
  modes: ["icem", "cem"] as PlannerMode[],
};

interface EpisodeRow {
  readonly seed: number;
  readonly target: number;
  readonly mode: PlannerMode;
  readonly population: number;
  readonly success: boolean;
  readonly finalErrorM: number;
  readonly rolloutsPerStep: number;
  readonly planMsMean: number;
}

async function runSeed(seed: number): Promise<EpisodeRow[]> {
  const source = resolveModelSource(config.model);
  const stateSpec = `joint_angle:*,joint_velocity:*,muscle_activation:*,site_position:${config.site}`;
  const bridge = new MujocoBridge({ source, frameSkip: Math.round(config.stepSec / 0.002), seed });
  await bridge.configure();
  await bridge.activate();
  const truth = await MujocoRolloutModel.create({ source, stateSpec, stepSec: config.stepSec });
  const model = await MujocoRolloutModel.create({ source, stateSpec, stepSec: config.stepSec, timestepSec: config.modelTimestepSec });
  const rng = new Rng(1000 + seed);
  const rows: EpisodeRow[] = [];
  for (let t = 0; t < config.targets; t++) {
    const target = truth.randomSitePosition(config.site, rng);
    const task = new Task({ kind: "reach", site: config.site, target, radiusM: config.radiusM, episodeSec: config.episodeSec }, truth.layout);
    for (const population of config.budgets) {
      for (const mode of config.modes) {
        const planner = new IcemPlanner(model, task, { mode, population, horizon: config.horizon, seed: seed * 100 + t });
        bridge.reset();
        const r = planEpisode({ bridge, truth, planner, task, startState: (s) => (model.syncFrom(bridge), s) });
        rows.push({ seed, target: t, mode, population, success: r.success, finalErrorM: r.metric, rolloutsPerStep: r.rolloutsPerStep, planMsMean: r.planMsMean });
        process.stderr.write(`experiment: seed ${seed} target ${t} ${mode} N ${population}: ${r.success ? "success" : "miss"} (${(r.metric * 100).toFixed(1)} cm)\n`);
      }
    }
  }
  truth.delete();
  model.delete();
  await bridge.shutdown();
  return rows;
}

if (args[0] === "--one") {
  const seed = Number(args[1]);
  const out = args[2];
  const t0 = performance.now();
  const rows = await runSeed(seed);
  fs.writeFileSync(`${out}.part`, JSON.stringify({ seed, wallSec: (performance.now() - t0) / 1000, rows }));
  fs.renameSync(`${out}.part`, out);
  process.exit(0);
}

const work = path.resolve(text("--work", path.join(root, "test-artifacts", quick ? "experiment-planning-quick" : "experiment-planning-icem")));
fs.mkdirSync(work, { recursive: true });
const tag = `${config.targets}t-${config.budgets.join("_")}-h${config.horizon}`;
const fileOf = (seed: number): string => path.join(work, `seed${seed}-${tag}.json`);
const started = performance.now();
if (!args.includes("--aggregate")) {
  const queue = Array.from({ length: config.seeds }, (_, s) => s).filter((s) => !fs.existsSync(fileOf(s)));
  const jobs = num("--jobs", 2);
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        const seed = s;
        await new Promise<void>((resolve, reject) => {
          const child = spawn("nice", ["-n", String(num("--nice", 10)), process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--one", String(seed), fileOf(seed), ...args], {
            cwd: root,
            stdio: ["ignore", "inherit", "inherit"],
          });
          child.on("error", reject);
          child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`seed ${seed} exited with ${code}`))));
        });
      }
    }),
  );
}
const runs = Array.from({ length: config.seeds }, (_, s) => s)
  .filter((s) => fs.existsSync(fileOf(s)))
  .map((s) => JSON.parse(fs.readFileSync(fileOf(s), "utf8")) as { seed: number; wallSec: number; rows: EpisodeRow[] });
if (runs.length === 0) {
  process.stderr.write(`experiment: no finished seeds in ${work}\n`);
  process.exit(2);
}
// Success rate per seed (over its targets), then mean and 95 % CI over seeds.
const table: Array<Record<string, unknown>> = [];
const lines = ["| planner | N | trajectories / step | success (mean over seeds) | 95 % CI | final error (cm) | plan ms / step |", "|---|---|---|---|---|---|---|"];
for (const population of config.budgets) {
  for (const mode of config.modes) {
    const perSeed = runs.map((r) => mean(r.rows.filter((x) => x.mode === mode && x.population === population).map((x) => (x.success ? 1 : 0))));
    const rows = runs.flatMap((r) => r.rows.filter((x) => x.mode === mode && x.population === population));
    const m = mean(perSeed);
    const ci = runs.length > 1 ? ci95(perSeed) : NaN;
    const err = mean(rows.map((x) => x.finalErrorM * 100));
    const traj = mean(rows.map((x) => x.rolloutsPerStep));
    const ms = mean(rows.map((x) => x.planMsMean));
    table.push({ mode, population, seeds: runs.length, episodes: rows.length, successMean: m, successCi95: ci, finalErrorCm: err, trajectoriesPerStep: traj, planMsPerStep: ms });
    lines.push(`| ${mode === "icem" ? "iCEM" : "CEM"} | ${population} | ${traj.toFixed(0)} | ${(m * 100).toFixed(0)} % | ±${(ci * 100).toFixed(0)} % | ${err.toFixed(1)} | ${ms.toFixed(0)} |`);
  }
}
const outFile = quick ? path.join(work, "summary.json") : path.join(root, "docs", "experiment-planning-icem.json");
// --aggregate only rebuilds the table: the wall time stays that of the run that computed the seeds.
const previousWall = args.includes("--aggregate") && fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, "utf8")) as { totalWallSec?: number }).totalWallSec : undefined;
const summary = { config, seeds: runs.map((r) => r.seed), seedWallSec: runs.map((r) => r.wallSec), totalWallSec: previousWall ?? (performance.now() - started) / 1000, table, episodes: runs.flatMap((r) => r.rows) };
fs.writeFileSync(outFile, JSON.stringify(summary, null, 1));
process.stdout.write(`${lines.join("\n")}\n\n${runs.length} seeds x ${config.targets} targets; wall ${summary.totalWallSec.toFixed(0)} s; per seed ${runs.map((r) => r.wallSec.toFixed(0)).join(", ")} s -> ${path.relative(root, outFile)}\n`);
