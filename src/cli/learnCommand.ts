/**
 * `tendon learn`: the reach task on the simulated arm learned by MPO with DEP-RL exploration (or
 * another mode), with a line of progress per epoch, the learning curve as CSV and SVG, checkpoints
 * and `--resume`, and a JSON summary with `--json`.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { BACKEND_NAMES, type BackendChoice } from "../learner/tf/backend.js";
import { EXPLORATION_MODES, type ExplorationMode } from "../learner/explorations/Exploration.js";
import { LEARN_DEFAULTS, runLearn, type LearnResult } from "../learner/runLearn.js";
import { DEP_PRESET_NAMES } from "../dep/params.js";
import { DEFAULT_MODEL } from "../../sim/modelSource.js";
import { UsageError } from "./errors.js";
import { nonNegativeInteger, oneOf, positiveInteger, readDepParamsFile } from "./parse.js";
import fs from "node:fs";
import { addServeOptions, servePort, serveSessionFromFlags, type ServeFlags } from "./serveFlags.js";
import type { LoopLearnProgress, LoopLearnResult } from "../learner/loop/runLoopLearn.js";
import { readSafetyConfig } from "../safety/config.js";
import { readDepRlConfig } from "../learner/configs/depRl.js";

interface LearnFlags extends ServeFlags {
  onLoop: boolean;
  realtime: boolean;
  mode: ExplorationMode;
  steps: number;
  seed: number;
  envs: number;
  backend: BackendChoice;
  model: string;
  preset: string;
  params?: string;
  config?: string;
  hidden: string;
  checkpointDir?: string;
  resume: boolean;
  saveReplay: boolean;
  out?: string;
  epochSteps: number;
  json: boolean;
  progress: boolean;
  intrinsic: "none" | "disagreement" | "prediction-error" | "cai";
  alpha: number;
  alphaDecay: number;
  learnerWorker: boolean;
  envWorkers: number;
}

export function registerLearnCommand(program: Command): void {
  const learn = program
    .command("learn")
    .description("learn the reach task on the simulated arm with MPO and DEP-RL exploration")
    .addOption(new Option("--mode <mode>", "who explores: dep-rl (DEP pre-training + stochastic switch), rl (Gaussian only), rl-ou (Gaussian with OU-correlated noise), dep-rl-ou (dep-rl with the policy's noise OU-correlated), init-explore, det-switch, dep (DEP only, no learning)").argParser(oneOf("--mode", EXPLORATION_MODES)).default(LEARN_DEFAULTS.mode))
    .option("--steps <n>", "environment steps over all environments", positiveInteger("--steps"), LEARN_DEFAULTS.steps)
    .option("-s, --seed <n>", "random seed (networks, targets, sampling)", nonNegativeInteger("--seed"), 0)
    .option("--envs <n>", "environments stepped together", positiveInteger("--envs"), LEARN_DEFAULTS.envs)
    .addOption(new Option("--backend <name>", "TensorFlow.js backend").argParser(oneOf("--backend", ["auto", ...BACKEND_NAMES] as const)).default("auto"))
    .option("-m, --model <name|file>", "arm model (a planar 2-joint arm; built-in arm2j6m)", DEFAULT_MODEL)
    .addOption(new Option("-p, --preset <name>", "DEP parameter preset").argParser(oneOf("--preset", DEP_PRESET_NAMES)).default("default"))
    .option("--params <file>", "DEP and switch parameters as JSON (reference names: kappa, tau, intervention_proba, intervention_length, test_episode_every, ...)")
    .option("--config <file>", "a depRL experiment file (JSON or YAML): tonic.agent (mode, replay), tonic.trainer, seed, parallel x sequential, mpo_args and DEP, with depRL's meanings; flags given here win")
    .option("--hidden <sizes>", "hidden layer sizes of actor and critic, e.g. 256,256", LEARN_DEFAULTS.hiddenSizes.join(","))
    .option("--checkpoint-dir <dir>", "write checkpoints (latest.ckpt) here")
    .option("--resume", "continue from --checkpoint-dir/latest.ckpt (its settings; --steps may extend the run)", false)
    .option("--save-replay", "include the replay's transitions in checkpoints (large), so --resume continues exactly", false)
    .option("--out <dir>", "write the learning curve (curve.csv, curve.svg) here")
    .option("--epoch-steps <n>", "steps between evaluations (a progress line and a curve point)", positiveInteger("--epoch-steps"), LEARN_DEFAULTS.epochSteps)
    .option("--intrinsic <signal>", "add an intrinsic reward from a world model learned online: disagreement, prediction-error, cai (causal action influence on the whole observation) or none", oneOf("--intrinsic", ["none", "disagreement", "prediction-error", "cai"] as const), "none")
    .option("--alpha <a>", "weight of the intrinsic reward, r = R + alpha R_int", nonNegativeNumber("--alpha"), LEARN_DEFAULTS.alpha)
    .option("--alpha-decay <steps>", "steps over which alpha decays linearly to 0 (0: constant)", nonNegativeInteger("--alpha-decay"), 0)
    .option("--learner-worker", "run MPO's update in its own worker thread (environments and updates on two cores; no checkpoints)", false)
    .option("--env-workers <n>", "step the environments in N worker threads (shared memory, several MuJoCo environments each; 0: in the main thread; no checkpoints)", nonNegativeInteger("--env-workers"), 0)
    .option("--on-loop", "learn on the real control loop (as tendon sim): the policy is the arbiter's policy source under the safety layer, MPO in a worker thread; --steps counts control ticks", false)
    .option("--realtime", "with --on-loop: pace the loop on the wall clock (as --serve does)", false)
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no progress lines");
  addServeOptions(learn).action(async (flags: LearnFlags, cmd: Command) => {
    const given = (name: string): boolean => cmd.getOptionValueSource(name) !== undefined && cmd.getOptionValueSource(name) !== "default";
    if (flags.onLoop) return loopAction(flags, given);
    const loopOnly = ["realtime", "serve", "safety", "joyMap", "token", "allowOrigin"].filter(given);
    if (loopOnly.length > 0) throw new UsageError(`--${kebab(loopOnly[0])} needs --on-loop`);
    await learnAction(flags, given);
  });
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `tendon learn --on-loop`: the learning policy on the control loop, with --serve if asked. */
async function loopAction(flags: LearnFlags, given: (name: string) => boolean): Promise<void> {
  const unsupported = ["config", "envs", "envWorkers", "checkpointDir", "resume", "saveReplay", "out", "intrinsic", "alpha", "alphaDecay", "learnerWorker"].filter(given);
  if (unsupported.length > 0) throw new UsageError(`--${kebab(unsupported[0])} does not go with --on-loop (one arm on the control loop; the learner always runs in its worker thread)`);
  const port = flags.serve === undefined ? undefined : servePort(flags.serve);
  if (typeof port === "string") throw new UsageError(port);
  // Without --serve the run's own safety layer takes --safety (the loop's controller is 'idle').
  const safety = port === undefined && flags.safety ? readSafetyConfig(flags.safety, "idle") : undefined;
  const depParams = flags.params ? readDepParamsFile(flags.params) : {};
  const hiddenSizes = parseHidden(flags.hidden);
  const serve = port === undefined ? undefined : await serveSessionFromFlags({ ...flags, safety: flags.safety }, port);
  const { runLoopLearn } = await import("../learner/loop/runLoopLearn.js");
  const err = process.stderr;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const ticks = serve && !given("steps") ? Infinity : flags.steps;
  if (flags.progress) err.write(`tendon learn --on-loop: ${flags.mode} on ${flags.model}, ${Number.isFinite(ticks) ? `${ticks} ticks` : "until stopped"}, seed ${flags.seed}, ${flags.realtime || serve ? "real time" : "lockstep"}\n`);
  let result: LoopLearnResult;
  try {
    result = await runLoopLearn({
      ticks,
      mode: flags.mode,
      seed: flags.seed,
      model: flags.model,
      preset: flags.preset,
      depParams,
      backend: flags.backend,
      learn: { hiddenSizes },
      realtime: flags.realtime || serve !== undefined,
      safety,
      plugins: serve ? [serve] : [],
      reportEveryTicks: flags.epochSteps,
      onProgress: (p) => {
        if (flags.progress) err.write(`${formatLoopProgress(p)}\n`);
      },
      shouldStop: () => interrupted || (serve?.stopRequested ?? false),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await serve?.close();
  }
  const out = process.stdout;
  const s = result.loop.stats;
  const problems = Object.entries(result.problems);
  out.write(
    `tendon learn --on-loop: ${result.mode} on ${result.model}, seed ${result.seed}, ${result.loop.mode}, backend ${result.backend}\n` +
      `  simulated      ${f(result.loop.simSec)} s in ${result.loop.ticks} ticks at ${f(result.rateHz)} Hz; wall ${f(result.loop.wallSec)} s, CPU ${Math.round(result.loop.cpuFraction * 100)}% of a core\n` +
      `  loop compute   mean ${f(s.meanComputeMs, 3)} ms, p99 ${f(s.p99ComputeMs, 3)} ms, max ${f(s.maxComputeMs, 3)} ms\n` +
      `  policy         version ${result.policyVersion}, its own command written on ${result.applied} ticks\n` +
      `  learner        ${result.learnerStatus}: ${result.learnerSteps} transitions stored, ${result.updates} updates, ${result.policies} policies\n` +
      `  transitions    ${result.sent} sent, ${result.skipped} skipped (not the policy's command), ${result.dropped} dropped; DEP acted on ${f(result.totalDepShare)}; mean reward ${f(result.totalMeanReward, 3)}\n` +
      `  e-stops        ${result.estops}\n` +
      `  problems       ${problems.length === 0 ? "0" : problems.map(([k, v]) => `${k} x${v}`).join(", ")}\n` +
      (interrupted ? "  interrupted    yes: stopped by a signal\n" : ""),
  );
  if (flags.json) {
    out.write(
      `${JSON.stringify({
        onLoop: true,
        mode: result.mode,
        model: result.model,
        seed: result.seed,
        rateHz: result.rateHz,
        ticks: result.loop.ticks,
        simSeconds: result.loop.simSec,
        wallSeconds: result.loop.wallSec,
        backend: result.backend,
        policyVersion: result.policyVersion,
        applied: result.applied,
        learner: { status: result.learnerStatus, steps: result.learnerSteps, updates: result.updates, policies: result.policies },
        transitions: { sent: result.sent, skipped: result.skipped, dropped: result.dropped },
        depShare: result.totalDepShare,
        meanReward: result.totalMeanReward,
        estops: result.estops,
        loop: { meanComputeMs: s.meanComputeMs, p99ComputeMs: s.p99ComputeMs, maxComputeMs: s.maxComputeMs, overruns: s.overruns, missedCycles: s.missedCycles },
        problems: result.problems,
        ...(interrupted ? { interrupted: true } : {}),
      })}\n`,
    );
  }
  if (interrupted) process.exitCode = 130;
}

/** One progress line of an --on-loop run. */
export function formatLoopProgress(p: LoopLearnProgress): string {
  return `  ticks ${String(p.ticks).padStart(8)}  policy v${p.policyVersion}  learner ${p.learnerStatus} ${p.learnerSteps} steps, ${p.updates} updates  reward ${f(p.meanReward, 3).padStart(7)}  dep ${f(p.depShare)}  own command ${p.applied}  ${f(p.ticks / Math.max(1e-9, p.wallSec), 0)} ticks/s`;
}

function parseHidden(text: string): number[] {
  const sizes = text.split(",").map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--hidden needs sizes like 256,256; got '${text}'`);
  return sizes;
}

function nonNegativeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} needs a number >= 0, got '${value}'.`);
    return n;
  };
}

const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : "-");

async function learnAction(flags: LearnFlags, given: (name: string) => boolean): Promise<void> {
  if (flags.resume && !flags.checkpointDir) throw new UsageError("--resume needs --checkpoint-dir");
  const err = process.stderr;
  // A depRL file gives the settings; a flag given on the command line wins over it.
  const dep = flags.config ? readDepRlConfig(flags.config) : undefined;
  if (dep && flags.progress) for (const note of dep.notes) err.write(`tendon learn: ${flags.config}: ${note}\n`);
  const c = dep?.config ?? {};
  const pick = <T>(flag: string, value: T, fromConfig: T | undefined): T => (fromConfig !== undefined && !given(flag) ? fromConfig : value);
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: LearnResult;
  try {
    result = await runLearn({
      ...c,
      mode: pick("mode", flags.mode, c.mode),
      steps: pick("steps", flags.steps, c.steps),
      seed: pick("seed", flags.seed, c.seed),
      envs: pick("envs", flags.envs, c.envs),
      backend: flags.backend,
      model: flags.model,
      preset: flags.preset,
      depParams: { ...c.depParams, ...(flags.params ? readDepParamsFile(flags.params) : {}) },
      hiddenSizes: pick("hidden", parseHidden(flags.hidden), c.hiddenSizes),
      epochSteps: pick("epochSteps", flags.epochSteps, c.epochSteps),
      ...(dep?.saveSteps !== undefined ? { saveSteps: dep.saveSteps } : {}),
      checkpointDir: flags.checkpointDir,
      resume: flags.resume,
      saveReplay: flags.saveReplay,
      outDir: flags.out,
      ...(flags.intrinsic !== "none" ? { intrinsic: flags.intrinsic, alpha: flags.alpha, alphaDecaySteps: flags.alphaDecay } : {}),
      learnerWorker: flags.learnerWorker,
      envWorkers: flags.envWorkers,
      shouldStop: () => interrupted,
      onStart: ({ backend, config, resumedFromSteps }) => {
        if (!flags.progress) return;
        const skipped = backend.skipped.length ? ` (passed over: ${backend.skipped.map((s) => s.name).join(", ")})` : "";
        err.write(`tendon learn: ${config.mode}, ${config.steps} steps, ${config.envs} envs, seed ${config.seed}, backend ${backend.name}${skipped}${resumedFromSteps ? `, resumed at ${resumedFromSteps} steps` : ""}\n`);
      },
      onEpoch: (row) => {
        if (!flags.progress) return;
        err.write(
          `  steps ${String(row.steps).padStart(8)}  return ${f(row.trainReturn).padStart(7)} (test ${f(row.testReturn).padStart(7)})  success ${f(row.testSuccess)}  dep ${f(row.depShare)}  updates ${row.updates} (${f(row.updatesPerSec, 1)}/s)  ${f(row.stepsPerSec, 0)} steps/s${row.intrinsic !== undefined ? `  intrinsic ${f(row.intrinsic, 3)} (alpha ${f(row.intrinsicAlpha ?? NaN, 3)}, model loss ${f(row.modelLoss ?? NaN, 3)})` : ""}\n`,
        );
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const r = result.final;
  const out = process.stdout;
  out.write(
    `tendon learn: ${result.config.mode} on ${result.config.model}, ${result.state.steps} steps in ${f(result.state.wallSec, 1)} s, ${result.updates} updates, backend ${result.backend.name}\n` +
      `  final test return ${f(r?.testReturn ?? NaN)}, success ${f(r?.testSuccess ?? NaN)}, distance ${f(r?.testDistanceM ?? NaN, 3)} m\n` +
      (flags.out ? `  curve: ${flags.out}/curve.csv, ${flags.out}/curve.svg${r?.intrinsic !== undefined ? `, ${flags.out}/intrinsic.csv, ${flags.out}/intrinsic.svg` : ""}\n` : "") +
      (result.checkpoint ? `  checkpoint: ${result.checkpoint}\n` : ""),
  );
  if (flags.json) {
    out.write(
      `${JSON.stringify({
        mode: result.config.mode,
        model: result.config.model,
        seed: result.config.seed,
        envs: result.config.envs,
        steps: result.state.steps,
        episodes: result.state.episodes,
        updates: result.updates,
        backend: result.backend.name,
        wallSeconds: result.state.wallSec,
        resumedFromSteps: result.resumedFromSteps,
        final: r,
        checkpoint: result.checkpoint ?? null,
      })}\n`,
    );
  }
  if (interrupted) process.exitCode = 130;
}
