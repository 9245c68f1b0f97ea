/**
 * `tendon model fit RECORDING.mcap`: trains a probabilistic ensemble world model offline on the
 * transitions of a recording (state from /joint_states and /muscle_states, action from
 * /muscle_commands), prints held-out NLL, calibration and RMSE per state group, and writes the
 * model (the world-model file `tendon plan --model-from` reads) and its loss curve (CSV + SVG).
 * `tendon model eval MODEL.json RECORDING.mcap`: the same figures on another recording, plus the
 * open-loop error after `--horizon` steps.
 */
import fs from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { UsageError } from "./errors.js";
import { oneOf, positiveInteger, positiveNumber } from "./parse.js";

interface FitFlags {
  state: string;
  out: string;
  loss: "beta-nll" | "nll" | "mse";
  beta: number;
  members: number;
  hidden: string;
  steps: number;
  batch: number;
  holdout: number;
  seed: number;
  curve?: string;
  json: boolean;
  progress: boolean;
}

interface EvalFlags {
  horizon: number;
  json: boolean;
}

function parseHidden(s: string): number[] {
  const parts = s.split(/[,x]/).map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--hidden needs layer sizes like 256,256,256, got '${s}'`);
  return parts;
}

function needFile(file: string, what: string): void {
  if (!fs.existsSync(file)) throw new UsageError(`no ${what} '${file}'`);
}

export function registerModelCommand(program: Command): void {
  const model = program.command("model").description("learn a world model (probabilistic ensemble) of the body from recordings, and evaluate it");
  model
    .command("fit")
    .description("train an ensemble on a recording's transitions; prints held-out NLL, calibration and RMSE per state group")
    .argument("<recording>", "an MCAP file written by tendon sim/hw --record")
    .option("--state <spec>", "state the model sees and predicts (kinds: joint_angle, joint_velocity, muscle_length, muscle_velocity, muscle_force; names joined by +, * for all)", "joint_angle:*,joint_velocity:*,muscle_length:*,muscle_force:*")
    .option("-o, --out <file>", "where to write the model (a world-model file for tendon plan --model-from)", "model.json")
    .option("--loss <name>", "beta-nll, nll or mse", oneOf("--loss", ["beta-nll", "nll", "mse"] as const), "beta-nll")
    .option("--beta <b>", "beta of beta-NLL", Number, 0.5)
    .option("--members <n>", "ensemble members", positiveInteger("--members"), 5)
    .option("--hidden <sizes>", "hidden layer sizes (SiLU)", "256,256,256")
    .option("--steps <n>", "most Adam steps (training stops early on the held-out error)", positiveInteger("--steps"), 2000)
    .option("--batch <n>", "batch size per member", positiveInteger("--batch"), 256)
    .option("--holdout <fraction>", "share of the recording's segments held out", positiveNumber("--holdout"), 0.1)
    .option("-s, --seed <n>", "seed (initialization, bootstrap, split)", Number, 0)
    .option("--curve <prefix>", "loss curve as PREFIX.csv and PREFIX.svg (default: beside --out)")
    .option("--json", "end stdout with one line of JSON", false)
    .option("--no-progress", "no progress bar")
    .action(async (recording: string, flags: FitFlags) => fit(recording, flags));
  model
    .command("eval")
    .description("evaluate a world model on another recording: NLL, calibration, RMSE per state group, open-loop error")
    .argument("<model>", "a world-model file (tendon model fit --out)")
    .argument("<recording>", "an MCAP file written by tendon sim/hw --record")
    .option("--horizon <n>", "steps of the open-loop error", positiveInteger("--horizon"), 10)
    .option("--json", "end stdout with one line of JSON", false)
    .action(async (modelFile: string, recording: string, flags: EvalFlags) => evaluate(modelFile, recording, flags));
}

async function fit(recording: string, flags: FitFlags): Promise<void> {
  needFile(recording, "recording");
  if (!(flags.holdout > 0 && flags.holdout < 1)) throw new UsageError(`--holdout must be between 0 and 1, got ${flags.holdout}`);
  if (!(flags.beta >= 0 && flags.beta <= 1)) throw new UsageError(`--beta must be in [0, 1], got ${flags.beta}`);
  const hidden = parseHidden(flags.hidden);
  const [{ transitionsFromRecording }, { initBackend }, { ProbabilisticEnsemble }, { fitEnsemble, evaluateEnsemble }, { writeWorldModel }, { linePlotSvg }, { summarizeRecording }, { formatStateSpec }] = await Promise.all([
    import("../models/recordingTransitions.js"),
    import("../learner/tf/backend.js"),
    import("../models/ProbabilisticEnsemble.js"),
    import("../models/EnsembleTrainer.js"),
    import("../planning/WorldModelFile.js"),
    import("../learner/logging/LearningCurve.js"),
    import("../observability/readRecording.js"),
    import("../models/StateLayout.js"),
  ]);
  const data = await transitionsFromRecording(recording, flags.state);
  const backend = await initBackend("auto");
  const m = new ProbabilisticEnsemble(data.layout, data.set.actionDim, { members: flags.members, hidden, loss: flags.loss, beta: flags.beta }, flags.seed);
  const err = process.stderr;
  if (flags.progress) err.write(`tendon model fit: ${data.set.rows} transitions (${data.dropped} dropped for non-finite values), state ${data.layout.size} (${flags.state}), action ${data.set.actionDim}, step ${(data.stepSec * 1000).toFixed(1)} ms; ${flags.members} x ${hidden.join("x")} ${flags.loss}, backend ${backend.name}\n`);
  const bar =
    flags.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: "fit   [{bar}] {value}/{total} steps | held-out NLL {nll} | MSE {mse}", hideCursor: true, stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(flags.steps, 0, { nll: "-", mse: "-" });
  let result;
  try {
    result = fitEnsemble(m, data.set, {
      maxSteps: flags.steps,
      batchSize: flags.batch,
      holdoutFraction: flags.holdout,
      seed: flags.seed,
      onProgress: (p) => {
        if (bar) bar.update(p.step, { nll: p.holdoutNll.toFixed(3), mse: p.holdoutMse.toFixed(4) });
        else if (flags.progress) err.write(`  step ${String(p.step).padStart(6)}  train loss ${p.trainLoss.toFixed(4)}  held-out NLL ${p.holdoutNll.toFixed(3)}  MSE ${p.holdoutMse.toFixed(4)}  ${p.wallSec.toFixed(1)} s\n`);
      },
    });
  } finally {
    bar?.stop();
  }
  const ev = evaluateEnsemble(m, result.holdout);
  let body = path.basename(recording);
  try {
    body = (await summarizeRecording(recording)).metadata.get("tendon.run")?.model ?? body;
  } catch {
    // The body's name is a label only.
  }
  const low = new Array<number>(data.set.actionDim).fill(Infinity);
  const high = new Array<number>(data.set.actionDim).fill(-Infinity);
  for (let i = 0; i < data.set.actions.length; i++) {
    const k = i % data.set.actionDim;
    low[k] = Math.min(low[k], data.set.actions[i]);
    high[k] = Math.max(high[k], data.set.actions[i]);
  }
  writeWorldModel(flags.out, { format: "tendon-world-model", version: 1, body, stateSpec: formatStateSpec(data.layout), stepSec: data.stepSec, actionLow: low, actionHigh: high, transitions: data.set.rows, ensemble: m.state() });
  const prefix = flags.curve ?? flags.out.replace(/\.json$/, "") + "-curve";
  fs.writeFileSync(`${prefix}.csv`, ["step,train_loss,holdout_nll,holdout_mse,wall_sec", ...result.curve.map((p) => `${p.step},${p.trainLoss},${p.holdoutNll},${p.holdoutMse},${p.wallSec}`)].join("\n") + "\n");
  fs.writeFileSync(
    `${prefix}.svg`,
    linePlotSvg(
      [
        { label: "held-out NLL", color: "#d62728", x: result.curve.map((p) => p.step), y: result.curve.map((p) => p.holdoutNll) },
        { label: "held-out MSE", color: "#1f77b4", x: result.curve.map((p) => p.step), y: result.curve.map((p) => p.holdoutMse) },
      ],
      { title: `tendon model fit: ${path.basename(recording)} (${flags.loss})`, xLabel: "Adam steps", yLabel: "z-scored delta units" },
    ),
  );
  const groups = rmseByGroup(data.layout, ev.rmse);
  process.stdout.write(
    `tendon model fit: ${result.steps} steps (best at ${result.bestStep}) in ${result.wallSec.toFixed(1)} s; ${result.trainRows} training, ${result.holdoutRows} held-out transitions\n` +
      formatEval(ev, groups) +
      `  model          ${flags.out}\n  loss curve     ${prefix}.csv, ${prefix}.svg\n`,
  );
  if (flags.json) process.stdout.write(`${JSON.stringify({ steps: result.steps, bestStep: result.bestStep, holdoutRows: result.holdoutRows, nll: ev.nll, within1: ev.within1, within2: ev.within2, normalizedMse: ev.normalizedMse, rmse: groups, model: flags.out })}\n`);
  m.dispose();
}

async function evaluate(modelFile: string, recording: string, flags: EvalFlags): Promise<void> {
  needFile(modelFile, "model file");
  needFile(recording, "recording");
  const [{ transitionsFromRecording }, { initBackend }, { evaluateEnsemble, multiStepError }, { readWorldModel }, { ensembleFromWorldModel }] = await Promise.all([
    import("../models/recordingTransitions.js"),
    import("../learner/tf/backend.js"),
    import("../models/EnsembleTrainer.js"),
    import("../planning/WorldModelFile.js"),
    import("../planning/ensembleFromFile.js"),
  ]);
  const file = readWorldModel(modelFile);
  await initBackend("auto");
  const data = await transitionsFromRecording(recording, file.stateSpec);
  if (data.set.actionDim !== file.ensemble.actionDim || data.layout.size !== file.ensemble.stateDim) {
    throw new UsageError(`'${modelFile}' takes state ${file.ensemble.stateDim} / action ${file.ensemble.actionDim}, '${recording}' gives ${data.layout.size} / ${data.set.actionDim}: evaluate on a recording of the same body`);
  }
  const m = ensembleFromWorldModel(file, modelFile);
  const ev = evaluateEnsemble(m, data.set);
  const ms = multiStepError(m, data.set, flags.horizon);
  const groups = rmseByGroup(m.layout, ev.rmse);
  const groupsH = rmseByGroup(m.layout, ms.rmse);
  process.stdout.write(
    `tendon model eval: ${path.basename(modelFile)} on ${data.set.rows} transitions of ${path.basename(recording)}\n` +
      formatEval(ev, groups) +
      `  ${flags.horizon}-step open-loop RMSE (${ms.windows} windows)\n` +
      Object.entries(groupsH)
        .map(([k, v]) => `    ${k.padEnd(18)} ${v.toPrecision(4)}\n`)
        .join(""),
  );
  if (flags.json) process.stdout.write(`${JSON.stringify({ rows: data.set.rows, nll: ev.nll, within1: ev.within1, within2: ev.within2, normalizedMse: ev.normalizedMse, rmse: groups, horizon: flags.horizon, rmseHorizon: groupsH })}\n`);
  m.dispose();
}

const UNITS: Record<string, string> = {
  joint_angle: "rad",
  joint_velocity: "rad/s",
  muscle_length: "m",
  muscle_velocity: "m/s",
  muscle_force: "N",
  muscle_activation: "",
  site_position: "m",
};

function rmseByGroup(layout: { groups: readonly { kind: string; offset: number; size: number }[] }, rmse: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of layout.groups) {
    let s = 0;
    for (let k = g.offset; k < g.offset + g.size; k++) s += rmse[k] * rmse[k];
    out[g.kind] = Math.sqrt(s / g.size);
  }
  return out;
}

function formatEval(ev: { nll: number; within1: number; within2: number; normalizedMse: number }, groups: Record<string, number>): string {
  return (
    `  NLL            ${ev.nll.toFixed(3)} nats per entry (z-scored deltas)\n` +
    `  calibration    ${(ev.within1 * 100).toFixed(1)} % inside 1σ (68.3 ideal), ${(ev.within2 * 100).toFixed(1)} % inside 2σ (95.4)\n` +
    `  normalized MSE ${ev.normalizedMse.toFixed(4)}\n` +
    `  one-step RMSE\n` +
    Object.entries(groups)
      .map(([k, v]) => `    ${k.padEnd(18)} ${v.toPrecision(4)} ${UNITS[k] ?? ""}\n`)
      .join("")
  );
}
