/**
 * `node --import tsx experiments/plannerProbe.ts`: cheap single-seed probes of the MuJoCo (ground
 * truth) planner on the zero-shot tasks of `experiment:free-play` (the same tasks, bridge and start
 * poses as its seed `--seed`), to find which planner setting limits zero-shot success. Each
 * configuration is `name:key=value,...` with keys population, horizon, iterations, elites,
 * initStd, beta, effort (the task's effort weight), timestep (the planner's MuJoCo timestep, s;
 * 0 = the model's own), radius (reach success radius, m). Per episode it prints the final error,
 * the smallest error of the episode and the error after each second; everything goes to `--out`.
 *
 *   node --import tsx experiments/plannerProbe.ts --seed 0 --targets 4 \
 *     base:population=32,horizon=10 h20:population=32,horizon=20 n128:population=128,horizon=10
 */
import fs from "node:fs";
import { experimentFlags } from "./flags.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { MujocoRolloutModel } from "../sim/MujocoRolloutModel.js";
import { resolveModelSource } from "../sim/modelSource.js";
import { Rng } from "../src/core/rng.js";
import { mean } from "../src/learner/logging/stats.js";
import { IcemPlanner } from "../src/planning/IcemPlanner.js";
import { planEpisode } from "../src/planning/planEpisode.js";
import { Task } from "../src/tasks/Task.js";
import type { TaskSpec } from "../src/tasks/TaskSpec.js";

const args = process.argv.slice(2);
const { num, text } = experimentFlags(args);
const model = text("--model", "arm2j6m");
const site = text("--site", "fingertip");
const seed = num("--seed", 0);
const targets = num("--targets", 4);
const kinds = text("--kinds", "reach,pose").split(",");
const episodeSec = num("--episode", 2);
const out = text("--out", "test-artifacts/planner-probe.json");
const configs = args.filter((a) => /^[\w-]+:/.test(a) && !a.startsWith("--"));
const hasSite = site !== "none";
const stateSpec = `joint_angle:*,joint_velocity:*,muscle_activation:*${hasSite ? `,site_position:${site}` : ""}`;

const source = resolveModelSource(model);
// As experiments/freePlay.ts: 0.1 s per control step, bridge seed 500 + seed, tasks from 4242 + seed.
const bridge = new MujocoBridge({ source, frameSkip: 50, seed: 500 + seed });
await bridge.configure();
await bridge.activate();
const truth = await MujocoRolloutModel.create({ source, stateSpec, stepSec: 0.1 });
const ranges = truth.names.joints.map((j) => truth.jointRange(j));
const rng = new Rng(4242 + seed);
const tasks: TaskSpec[] = [];
for (let k = 0; k < targets; k++) {
  if (hasSite) tasks.push({ kind: "reach", site, target: truth.randomSitePosition(site, rng), episodeSec });
  const joints: Record<string, number> = {};
  truth.names.joints.forEach((j, i) => (joints[j] = rng.uniform(ranges[i][0] + 0.2 * (ranges[i][1] - ranges[i][0]), ranges[i][1] - 0.2 * (ranges[i][1] - ranges[i][0]))));
  tasks.push({ kind: "pose", joints, episodeSec });
}
const results: unknown[] = [];
for (const c of configs) {
  const [name, rest] = c.split(":");
  const kv = Object.fromEntries(rest.split(",").filter(Boolean).map((p) => p.split("=")).map(([k, v]) => [k, Number(v)]));
  const timestep = kv.timestep ?? 0.005;
  const mj = await MujocoRolloutModel.create({ source, stateSpec, stepSec: 0.1, ...(timestep > 0 ? { timestepSec: timestep } : {}) });
  const t0 = performance.now();
  const rows: { kind: string; success: boolean; final: number; min: number; perSecond: number[] }[] = [];
  tasks.forEach((spec0, i) => {
    if (!kinds.includes(spec0.kind)) return;
    const spec = { ...spec0, ...(kv.effort !== undefined ? { effort: kv.effort } : {}), ...(spec0.kind === "reach" && kv.radius !== undefined ? { radiusM: kv.radius } : {}) } as TaskSpec;
    const task = new Task(spec, truth.layout);
    const planner = new IcemPlanner(mj, task, { population: kv.population ?? 32, horizon: kv.horizon ?? 10, iterations: kv.iterations, elites: kv.elites, initStd: kv.initStd, beta: kv.beta, seed: seed * 100 + i });
    bridge.reset();
    const r = planEpisode({ bridge, truth, planner, task, startState: (s) => (mj.syncFrom(bridge), s) });
    const perSecond = r.errors.filter((_, k) => (k + 1) % 10 === 0);
    rows.push({ kind: spec.kind, success: r.success, final: r.metric, min: Math.min(...r.errors), perSecond });
    process.stderr.write(`probe ${name} ${spec.kind} ${i}: ${r.success ? "success" : "miss"} final ${r.metric.toFixed(3)} min ${Math.min(...r.errors).toFixed(3)} per s ${perSecond.map((x) => x.toFixed(3)).join(" ")} (${r.planMsMean.toFixed(0)} ms/step)\n`);
  });
  const wallSec = (performance.now() - t0) / 1000;
  mj.delete();
  const by = (k: string) => rows.filter((r) => r.kind === k);
  const line = `probe ${name} ${JSON.stringify(kv)}: ${kinds.map((k) => `${k} ${by(k).filter((r) => r.success).length}/${by(k).length} final ${mean(by(k).map((r) => r.final)).toFixed(3)}`).join(", ")} (${wallSec.toFixed(0)} s)`;
  process.stdout.write(`${line}\n`);
  results.push({ name, config: kv, wallSec, rows });
  fs.writeFileSync(out, JSON.stringify({ model, seed, targets, results }, null, 1));
}
truth.delete();
await bridge.shutdown();
