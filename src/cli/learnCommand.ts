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

interface LearnFlags {
  mode: ExplorationMode;
  steps: number;
  seed: number;
  envs: number;
  backend: BackendChoice;
  model: string;
  preset: string;
  params?: string;
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
}

export function registerLearnCommand(program: Command): void {
  program
    .command("learn")
    .description("learn the reach task on the simulated arm with MPO and DEP-RL exploration")
    .addOption(new Option("--mode <mode>", "who explores: dep-rl (DEP pre-training + stochastic switch), rl (Gaussian only), rl-ou (Gaussian with OU-correlated noise), init-explore, det-switch, dep (DEP only, no learning)").argParser(oneOf("--mode", EXPLORATION_MODES)).default(LEARN_DEFAULTS.mode))
    .option("--steps <n>", "environment steps over all environments", positiveInteger("--steps"), LEARN_DEFAULTS.steps)
    .option("-s, --seed <n>", "random seed (networks, targets, sampling)", nonNegativeInteger("--seed"), 0)
    .option("--envs <n>", "environments stepped together", positiveInteger("--envs"), LEARN_DEFAULTS.envs)
    .addOption(new Option("--backend <name>", "TensorFlow.js backend").argParser(oneOf("--backend", ["auto", ...BACKEND_NAMES] as const)).default("auto"))
    .option("-m, --model <name|file>", "arm model (a planar 2-joint arm; built-in arm2j6m)", DEFAULT_MODEL)
    .addOption(new Option("-p, --preset <name>", "DEP parameter preset").argParser(oneOf("--preset", DEP_PRESET_NAMES)).default("default"))
    .option("--params <file>", "DEP and switch parameters as JSON (reference names: kappa, tau, intervention_proba, intervention_length, test_episode_every, ...)")
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
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no progress lines")
    .action(async (flags: LearnFlags) => {
      await learnAction(flags);
    });
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

async function learnAction(flags: LearnFlags): Promise<void> {
  if (flags.resume && !flags.checkpointDir) throw new UsageError("--resume needs --checkpoint-dir");
  const err = process.stderr;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: LearnResult;
  try {
    result = await runLearn({
      mode: flags.mode,
      steps: flags.steps,
      seed: flags.seed,
      envs: flags.envs,
      backend: flags.backend,
      model: flags.model,
      preset: flags.preset,
      depParams: flags.params ? readDepParamsFile(flags.params) : {},
      hiddenSizes: parseHidden(flags.hidden),
      epochSteps: flags.epochSteps,
      checkpointDir: flags.checkpointDir,
      resume: flags.resume,
      saveReplay: flags.saveReplay,
      outDir: flags.out,
      ...(flags.intrinsic !== "none" ? { intrinsic: flags.intrinsic, alpha: flags.alpha, alphaDecaySteps: flags.alphaDecay } : {}),
      learnerWorker: flags.learnerWorker,
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
