/**
 * `tendon plan`: solve a task on a simulated body by model-predictive control with iCEM (or CEM),
 * planning on MuJoCo itself or, with `--model-from`, zero-shot on a world model learned by
 * `tendon play`. One line per episode, a summary, `--json` for one line of JSON at the end.
 *
 *   tendon plan --task reach                         fingertip to random reachable targets
 *   tendon plan --task reach --target 0.3,0.3,0 --site fingertip
 *   tendon plan --task pose --joints shoulder=0.5,elbow=1.2
 *   tendon plan --task task.yaml                     a task file (YAML or JSON TaskSpec)
 *   tendon plan --task reach --model-from play-out/model.json
 *   tendon plan --task reach --record plan.mcap   every topic, and /planner/* (cost, disagreement, planned trajectory)
 *   tendon plan --task reach --serve                 the API and the dashboard (plan cost, disagreement, trajectory), in real time
 */
import fs from "node:fs";
import { Option, type Command } from "commander";
import YAML from "yaml";
import { DEFAULT_MODEL } from "../../sim/modelSource.js";
import { UsageError } from "./errors.js";
import { addObserveOptions, formatRecording, observersFromFlags, type ObserveFlags } from "./observeFlags.js";
import { addServeOptions, servePort, serveSessionFromFlags, type ServeFlags } from "./serveFlags.js";
import type { ServeSession } from "../api/ServeSession.js";
import type { LoopPlugin } from "../loop/extension.js";
import type { ControlLoop } from "../loop/ControlLoop.js";
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber } from "./parse.js";
import { TASK_KINDS, type TaskKind, type Vec3 } from "../tasks/TaskSpec.js";
import type { PlanningEpisode, PlanningRunResult, TaskInput } from "../planning/runPlanning.js";
import type { PlannerOptions } from "../planning/IcemPlanner.js";
import { PLAN_BACKENDS, type PlanBackendKind } from "../planning/PlanBackends.js";

export interface PlannerFlags {
  planner: "icem" | "cem";
  population: number;
  horizon: number;
  iterations: number;
  elites?: number;
  beta?: number;
  initStd?: number;
  step: number;
  modelTimestep?: number;
}

interface PlanFlags extends PlannerFlags, ObserveFlags, ServeFlags {
  task: string;
  site?: string;
  target?: string;
  joints?: string;
  joint?: string;
  velocity?: number;
  episode?: number;
  model: string;
  modelFrom?: string;
  episodes: number;
  seed: number;
  rate: number;
  realtime: boolean;
  backend?: PlanBackendKind;
  json: boolean;
  progress: boolean;
}

/** The planner flags shared by `tendon plan` and `tendon play`. */
export function addPlannerOptions(cmd: Command, defaults: { population: number; beta?: number; initStd?: number }): Command {
  return cmd
    .addOption(new Option("--planner <name>", "icem, or plain cem (white noise, no elite memory, no decay) for comparison").argParser(oneOf("--planner", ["icem", "cem"] as const)).default("icem"))
    .option("--population <n>", "trajectories in the first iteration (N)", positiveInteger("--population"), defaults.population)
    .option("--horizon <n>", "planned steps (H)", positiveInteger("--horizon"), 10)
    .option("--iterations <n>", "CEM iterations per control step", positiveInteger("--iterations"), 3)
    .option("--elites <n>", "elite set size (K); default 10", positiveInteger("--elites"))
    .option("--beta <b>", `colored-noise exponent (0 white; default ${defaults.beta ?? 3})`, nonNegativeNumber("--beta"))
    .option("--init-std <s>", `initial std as a fraction of half the command range (default ${defaults.initStd ?? 0.5})`, positiveNumber("--init-std"))
    .option("--step <sec>", "model time per planned action (s)", positiveNumber("--step"), 0.1)
    .option("--model-timestep <sec>", "physics timestep of the planner's MuJoCo copy (s; coarser is faster, less exact)", positiveNumber("--model-timestep"));
}

export function plannerOptionsFromFlags(f: PlannerFlags, defaults: Partial<PlannerOptions> = {}): Partial<PlannerOptions> {
  return { ...defaults, mode: f.planner, population: f.population, horizon: f.horizon, iterations: f.iterations, elites: f.elites, beta: f.beta ?? (f.planner === "icem" ? defaults.beta : undefined), initStd: f.initStd ?? defaults.initStd };
}

function nonNegativeNumber(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${v}'`);
    return n;
  };
}

export function registerPlanCommand(program: Command): void {
  const cmd = program
    .command("plan")
    .description("solve a task by model-predictive control (iCEM) on MuJoCo or, zero-shot, on a world model from tendon play")
    .requiredOption("-t, --task <kind|file>", `${TASK_KINDS.join(", ")}, or a task file (YAML/JSON)`)
    .option("--site <name>", "site for reach and path (default fingertip where the model has one)")
    .option("--target <x,y,z>", "reach target (m); default a random reachable one per episode")
    .option("--joints <name=rad,...>", "pose target; default a random pose per episode")
    .option("--joint <name>", "joint for the velocity task (default the first)")
    .option("--velocity <radps>", "velocity task target (rad/s)", Number)
    .option("--episode <sec>", "episode length (s); default 2", positiveNumber("--episode"))
    .option("-m, --model <name|file|folder>", "the simulated body", DEFAULT_MODEL)
    .option("--model-from <file>", "plan on this world model (tendon play's model.json) instead of MuJoCo")
    .option("-n, --episodes <n>", "episodes (a new target each)", positiveInteger("--episodes"), 5)
    .option("-s, --seed <n>", "random seed (targets, initial states, planner)", nonNegativeInteger("--seed"), 0)
    .option("-r, --rate <hz>", "control rate (Hz)", positiveNumber("--rate"), 50)
    .option("--realtime", "pace the loop on the wall clock (planning in a worker, never blocking a tick)", false)
    .addOption(new Option("--backend <name>", "where plans run: inline (in the tick; lockstep only), between-ticks, worker").argParser(oneOf("--backend", PLAN_BACKENDS)))
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no line per episode");
  addServeOptions(addObserveOptions(cmd));
  addPlannerOptions(cmd, { population: 64 }).action(async (flags: PlanFlags) => {
    await planAction(flags);
  });
}

/** --task and its companion flags as a TaskInput. */
export function taskInputFromFlags(f: Pick<PlanFlags, "task" | "site" | "target" | "joints" | "joint" | "velocity" | "episode">): TaskInput {
  if (!TASK_KINDS.includes(f.task as TaskKind)) {
    if (/\.(ya?ml|json)$/i.test(f.task)) {
      if (!fs.existsSync(f.task)) throw new UsageError(`--task: no such file '${f.task}'`);
      try {
        return { spec: YAML.parse(fs.readFileSync(f.task, "utf8")) };
      } catch (err) {
        throw new UsageError(`--task: '${f.task}' is not valid YAML/JSON: ${(err as Error).message.split("\n")[0]}`);
      }
    }
    throw new UsageError(`unknown task '${f.task}': use one of ${TASK_KINDS.join(", ")}, or a task file (.yaml/.json)`);
  }
  let target: Vec3 | undefined;
  if (f.target !== undefined) {
    const v = f.target.split(",").map(Number);
    if (v.length !== 3 || !v.every(Number.isFinite)) throw new UsageError(`--target must be x,y,z in m, got '${f.target}'`);
    target = [v[0], v[1], v[2]];
  }
  let joints: Record<string, number> | undefined;
  if (f.joints !== undefined) {
    joints = {};
    for (const part of f.joints.split(",")) {
      const [name, value] = part.split("=");
      const x = Number(value);
      if (!name || !Number.isFinite(x)) throw new UsageError(`--joints must be name=rad,..., got '${f.joints}'`);
      joints[name.trim()] = x;
    }
  }
  if (f.velocity !== undefined && !Number.isFinite(f.velocity)) throw new UsageError("--velocity must be a number (rad/s)");
  return { kind: f.task as TaskKind, site: f.site, target, joints, joint: f.joint, velocityRadps: f.velocity, episodeSec: f.episode };
}

export function episodeLine(e: PlanningEpisode): string {
  const r = e.result;
  const unit = e.task.kind === "reach" || e.task.kind === "path" ? "m" : e.task.kind === "pose" ? "rad" : "rad/s";
  const p = e.planner;
  return `episode ${e.index + 1}: ${e.task.kind} ${r.success ? "success" : "miss"}  error ${r.metric.toFixed(3)} ${unit} (threshold ${r.threshold})  plan ${p.meanPlanMs.toFixed(0)} ms mean, p99 ${p.p99PlanMs.toFixed(0)} ms  ${p.plans} plans, ${p.late} late, ${p.safeTicks} safe ticks${p.errors ? `, ${p.errors} errors (${p.lastError})` : ""}  loop overruns ${e.loop.stats.overruns}`;
}

/**
 * The `--serve` session as a plugin of every episode's (or round's) loop: one safety layer for the
 * whole run, so that an e-stop latched in one episode holds in the next; closed by the command.
 */
export function servedEpisodes(serve: ServeSession): LoopPlugin {
  let built = false;
  return {
    extend(ctx) {
      if (built && serve.safety) return serve.safety.loopOptions();
      built = true;
      return serve.extend(ctx);
    },
    attach: (loop) => serve.attach(loop),
  };
}

/** Ctrl-C and SIGTERM stop the current loop after its tick and the run after it; `interrupted()` says whether one came. */
export function stopOnSignals(): { onLoop: (loop: ControlLoop) => void; interrupted: () => boolean; dispose: () => void } {
  let loop: ControlLoop | undefined;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    loop?.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    onLoop: (l) => {
      loop = l;
      if (interrupted) l.stop();
    },
    interrupted: () => interrupted,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

async function planAction(f: PlanFlags): Promise<void> {
  const task = taskInputFromFlags(f);
  const port = f.serve === undefined ? undefined : servePort(f.serve);
  if (typeof port === "string") throw new UsageError(port);
  if (port !== undefined && f.backend === "inline") throw new UsageError("--serve runs in real time: --backend inline cannot keep it on time; use worker or between-ticks");
  const { runPlanning } = await import("../planning/runPlanning.js");
  const { ICEM_DEFAULTS } = await import("../planning/IcemPlanner.js");
  const planner = plannerOptionsFromFlags(f, { beta: ICEM_DEFAULTS.beta });
  // --serve: the API and the dashboard, the run in real time.
  const serve = port === undefined ? undefined : await serveSessionFromFlags(f, port);
  // --record, --foxglove, --serve: the loop's topics of every episode, one after the other, and /planner/*.
  const observers = await observersFromFlags(f, { command: "plan", serve: serve?.server }).catch(async (err: unknown) => {
    await serve?.close();
    throw err;
  });
  const signals = stopOnSignals();
  let r: PlanningRunResult | undefined;
  let recording: Awaited<ReturnType<NonNullable<typeof observers>["close"]>>;
  try {
    r = await runPlanning({
      model: f.model,
      task,
      episodes: f.episodes,
      seed: f.seed,
      rateHz: f.rate,
      planner,
      stepSec: f.step,
      modelTimestepSec: f.modelTimestep,
      modelFrom: f.modelFrom,
      realtime: f.realtime || serve !== undefined,
      backend: f.backend,
      onEpisode: f.progress ? (e) => process.stderr.write(`${episodeLine(e)}\n`) : undefined,
      observe: observers ? (e) => observers.hooks("dep", { planner: e.trajectory, timeOffsetSec: e.offsetSec }) : undefined,
      plugins: serve ? [servedEpisodes(serve)] : undefined,
      onLoop: signals.onLoop,
      stopRequested: () => signals.interrupted() || (serve?.stopRequested ?? false),
    });
  } finally {
    signals.dispose();
    try {
      recording = await observers?.close(r ? { body: r.body, plannedOn: r.plannedOn, backend: r.backend, successRate: r.successRate } : undefined);
    } finally {
      await serve?.close();
    }
  }
  if (signals.interrupted()) process.exitCode = 130;
  const ok = r.episodes.filter((e) => e.result.success).length;
  process.stdout.write(`${r.body}: ${ok}/${r.episodes.length} episodes solved (${(r.successRate * 100).toFixed(0)} %), planned on ${r.plannedOn} with ${f.planner} (${r.backend}), ${r.wallSec.toFixed(1)} s\n`);
  if (recording) process.stdout.write(formatRecording(recording));
  if (f.json) {
    process.stdout.write(
      `${JSON.stringify({
        body: r.body,
        plannedOn: r.plannedOn,
        backend: r.backend,
        planner: { ...planner, stepSec: f.step },
        successRate: r.successRate,
        wallSec: r.wallSec,
        episodes: r.episodes.map((e) => ({ task: e.task, ...e.result, planner: e.planner, loop: e.loop.stats })),
        ...(recording ? { recording } : {}),
      })}\n`,
    );
  }
}
