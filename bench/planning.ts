/**
 * Planning benchmarks: one iCEM step (128 trajectories x horizon 30 x 3 iterations, γ 1, β 3.5,
 * elite shift) per control step
 * - on MuJoCo (arm2j6m, 0.1 s model steps at a 5 ms physics timestep: 20 mj_step per planned step),
 *   with the mj_step rate inside the plan against a bare mj_step loop measured in the same run;
 * - on the learned ensemble (5 x 2 x 128 SiLU, every member its own trajectory, cost −disagreement);
 * - on a point integrator (the planner's own cost: sampling, colored noise, elite bookkeeping);
 * and the same step in numpy (Debian's python3-numpy, bench/planning_numpy.py) on the integrator
 * and on an ensemble of the same shape, in the same run, as ratios; and the control rate a
 * real-time 50 Hz loop sustains while planning (N 32 x H 10 on MuJoCo) in a worker vs between
 * ticks on the loop's thread.
 *
 *   node --import tsx bench/planning.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { MujocoRolloutModel } from "../sim/MujocoRolloutModel.js";
import { resolveModelSource } from "../sim/modelSource.js";
import { initBackend } from "../src/learner/tf/backend.js";
import { EnsembleRollout } from "../src/models/EnsembleRollout.js";
import { ProbabilisticEnsemble } from "../src/models/ProbabilisticEnsemble.js";
import { parseStateSpec } from "../src/models/StateLayout.js";
import type { RolloutModel, RolloutOutput, StateLayout } from "../src/models/types.js";
import { FREE_PLAY_ENSEMBLE } from "../src/planning/freePlay.js";
import { FREE_PLAY_DEFAULTS, IcemPlanner } from "../src/planning/IcemPlanner.js";
import { DisagreementCost } from "../src/planning/planSetup.js";
import { runPlanning } from "../src/planning/runPlanning.js";
import { Task } from "../src/tasks/Task.js";
import type { RolloutBatch, TrajectoryCost } from "../src/planning/types.js";
import { printRows, type Row } from "./rows.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = 128;
const H = 30;
const ITERS = 3;
const SETTINGS = { ...FREE_PLAY_DEFAULTS, population: N, horizon: H, iterations: ITERS };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timePlans(planner: IcemPlanner, start: Float64Array, reps: number): number {
  planner.plan(start); // warm-up, and the elite shift is running from the second plan on
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    planner.plan(start);
    t.push(performance.now() - t0);
  }
  return median(t);
}

class Integrator implements RolloutModel {
  readonly layout: StateLayout;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  readonly stepSec = 0.1;
  constructor(readonly actionDim: number) {
    this.layout = { groups: [{ kind: "joint_angle", names: Array.from({ length: actionDim }, (_, i) => `j${i}`), offset: 0, size: actionDim }], size: actionDim };
    this.actionLow = new Float64Array(actionDim);
    this.actionHigh = new Float64Array(actionDim).fill(1);
  }
  rollout(start: Float64Array, actions: Float32Array, n: number, h: number, out: RolloutOutput): void {
    const d = this.actionDim;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let x = start[j];
        for (let t = 0; t < h; t++) {
          x += actions[(i * h + t) * d + j] * 0.1;
          out.states[(i * h + t) * d + j] = x;
        }
      }
    }
  }
}

const distance: TrajectoryCost = {
  name: "distance",
  evaluate(b: RolloutBatch, costs: Float64Array): void {
    const d = b.layout.size;
    for (let i = 0; i < b.n; i++) {
      let c = 0;
      for (let t = 0; t < b.h; t++) {
        let e = 0;
        for (let j = 0; j < d; j++) e += (b.states[(i * b.h + t) * d + j] - 0.5) ** 2;
        c += Math.sqrt(e);
      }
      costs[i] = c;
    }
  },
};

function numpy(kind: "toy" | "ensemble", stateDim: number, reps: number): { ms: number; version: string } | { error: string } {
  const r = spawnSync("/usr/bin/python3", [path.join(here, "planning_numpy.py"), kind, String(N), String(H), String(ITERS), "6", String(stateDim), "128", "5", String(reps)], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || "failed").trim().split("\n").at(-1)! };
  const j = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { msPerPlanMedian: number; numpy: string };
  return { ms: j.msPerPlanMedian, version: j.numpy };
}

export async function benchPlanning(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const rows: Row[] = [];
  const out: Record<string, unknown> = {};
  const source = resolveModelSource("arm2j6m");
  const spec = "joint_angle:*,joint_velocity:*,muscle_activation:*,site_position:fingertip";

  // MuJoCo as the model.
  const mj = await MujocoRolloutModel.create({ source, stateSpec: spec, stepSec: 0.1, timestepSec: 0.005 });
  const bridge = new MujocoBridge({ source, frameSkip: 50 });
  await bridge.configure();
  await bridge.activate();
  mj.syncFrom(bridge);
  const start = new Float64Array(mj.layout.size);
  mj.readState(start);
  const task = new Task({ kind: "reach", site: "fingertip", target: [0.2, 0.4, 0] }, mj.layout);
  const mjPlanner = new IcemPlanner(mj, task, SETTINGS);
  const mjMs = timePlans(mjPlanner, start, quick ? 1 : 3);
  const stepsPerPlan = mjPlanner.trajectoriesPerStep * H * mj.substeps;
  // Bare mj_step on the same machine, now.
  const { mj: mod, model, data } = bridge.raw;
  const bareN = quick ? 20_000 : 100_000;
  const tb = performance.now();
  for (let k = 0; k < bareN; k++) mod.mj_step(model, data);
  const bareRate = bareN / ((performance.now() - tb) / 1000);
  const planRate = stepsPerPlan / (mjMs / 1000);
  out.mujoco = { msPerPlan: mjMs, trajectoriesPerPlan: mjPlanner.trajectoriesPerStep, mjStepsPerPlan: stepsPerPlan, planStepsPerSec: planRate, bareStepsPerSec: bareRate };
  rows.push({ group: "planning", metric: `iCEM ${N}x H${H} x ${ITERS} on MuJoCo (arm2j6m, 20 mj_step per step)`, value: `${mjMs.toFixed(0)} ms/plan (${(1000 / mjMs).toFixed(2)} Hz)` });
  rows.push({ group: "planning", metric: "MuJoCo: mj_step rate inside the plan / bare", value: `${(planRate / 1000).toFixed(0)}k / ${(bareRate / 1000).toFixed(0)}k steps/s = ${((planRate / bareRate) * 100).toFixed(0)} %` });
  mj.delete();
  await bridge.shutdown();

  // The learned ensemble (random weights: the cost of a plan does not depend on them).
  const backend = await initBackend("auto");
  const known = { joints: ["shoulder", "elbow"], muscles: ["SF", "SE", "EF", "EE", "BF", "BE"], sites: ["fingertip"] };
  const layout = parseStateSpec(spec, known);
  const ensemble = new ProbabilisticEnsemble(layout, 6, FREE_PLAY_ENSEMBLE, 0);
  const rollout = new EnsembleRollout(ensemble, { propagation: "members", actionLow: new Float64Array(6), actionHigh: new Float64Array(6).fill(1), stepSec: 0.1 });
  const enPlanner = new IcemPlanner(rollout, new DisagreementCost(), SETTINGS);
  const enMs = timePlans(enPlanner, new Float64Array(layout.size), quick ? 1 : 3);
  ensemble.dispose();
  out.ensemble = { msPerPlan: enMs, backend: backend.name, members: 5, hidden: [128, 128] };
  rows.push({ group: "planning", metric: `iCEM ${N}x H${H} x ${ITERS} on the ensemble (5 x 2x128, members, ${backend.name})`, value: `${enMs.toFixed(0)} ms/plan (${(1000 / enMs).toFixed(2)} Hz)` });

  // The planner alone, and numpy side by side.
  const toyPlanner = new IcemPlanner(new Integrator(6), distance, SETTINGS);
  const toyMs = timePlans(toyPlanner, new Float64Array(6), quick ? 5 : 20);
  const npToy = numpy("toy", 6, quick ? 5 : 20);
  const npEns = numpy("ensemble", layout.size, quick ? 1 : 3);
  out.integrator = { msPerPlan: toyMs };
  out.numpy = { toy: npToy, ensemble: npEns };
  const ratio = (np: typeof npToy, ts: number): string => ("error" in np ? `numpy failed: ${np.error}` : `numpy ${np.ms.toFixed(1)} ms, TS / numpy = ${(ts / np.ms).toFixed(2)}`);
  rows.push({ group: "planning", metric: `iCEM ${N}x H${H} x ${ITERS}, point integrator (the planner's own cost)`, value: `TS ${toyMs.toFixed(1)} ms, ${ratio(npToy, toyMs)}` });
  rows.push({ group: "planning", metric: "iCEM on a 5 x 2x128 ensemble: TS (tfjs) vs numpy", value: `TS ${enMs.toFixed(0)} ms, ${ratio(npEns, enMs)}` });

  // What a real-time loop sustains while planning: worker vs between ticks.
  const seconds = quick ? 2 : 6;
  for (const b of ["worker", "between-ticks"] as const) {
    const r = await runPlanning({
      model: "arm2j6m",
      task: { kind: "reach", target: [0.2, 0.4, 0], episodeSec: seconds },
      episodes: 1,
      seed: 0,
      rateHz: 50,
      planner: { population: 32, horizon: 10 },
      stepSec: 0.1,
      modelTimestepSec: 0.005,
      realtime: true,
      backend: b,
    });
    const e = r.episodes[0];
    const achievedHz = e.loop.ticks / e.loop.wallSec;
    out[b] = { loop: e.loop.stats, planner: e.planner, achievedHz };
    rows.push({
      group: "planning",
      metric: `50 Hz loop, N32 x H10 on MuJoCo, planning ${b}, ${seconds} s`,
      value: `${achievedHz.toFixed(1)} Hz, ${e.loop.stats.overruns} overruns, p99 period error ${e.loop.stats.p99PeriodErrorMs.toFixed(1)} ms; ${e.planner.plans} plans (${e.planner.meanPlanMs.toFixed(0)} ms), ${e.planner.late} late, ${e.planner.safeTicks} safe ticks`,
    });
  }
  return { rows, ...out };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchPlanning({ quick: process.argv.includes("--quick") });
  printRows(r.rows as Row[]);
}
