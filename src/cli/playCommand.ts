/**
 * `tendon play`: task-free curious play (CEE-US). iCEM plans on the learning ensemble to maximise
 * its disagreement, the ensemble is retrained after every round, and after `--steps` steps the
 * model (model.json) and the data (transitions.mcap) are saved to `--out`. Then
 *
 *   tendon plan --task reach --model-from OUT/model.json
 *
 * solves tasks zero-shot on that model. `--explorer random|dep` collects the baselines' data the
 * same way (and fits the same ensemble on it at the end).
 *
 * Play runs in the control loop, one loop run per round, so --record, --foxglove and --serve work
 * as for `tendon sim` and `tendon plan`: the loop's topics, /planner/cost, /planner/trajectory and,
 * after each model update, /learner/model_loss [train loss, held-out loss, version].
 */
import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_MODEL } from "../../sim/modelSource.js";
import { UsageError } from "./errors.js";
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber } from "./parse.js";
import { addPlannerOptions, plannerOptionsFromFlags, servedEpisodes, stopOnSignals, type PlannerFlags } from "./planCommand.js";
import { addObserveOptions, foxglovePort, formatRecording, observersFromFlags, type ObserveFlags } from "./observeFlags.js";
import { addServeOptions, servePort, serveSessionFromFlags, type ServeFlags } from "./serveFlags.js";
import { LEARNER_TOPICS } from "../transport/topics.js";
import type { Explorer } from "../planning/freePlay.js";

/** As freePlay.ts's EXPLORERS, named here so that `tendon play --help` loads neither MuJoCo nor TensorFlow.js. */
const EXPLORERS: readonly Explorer[] = ["curious", "random", "dep"];

interface PlayFlags extends PlannerFlags, ObserveFlags, ServeFlags {
  realtime: boolean;
  model: string;
  out: string;
  steps: number;
  round: number;
  explorer: Explorer;
  state?: string;
  trainSteps: number;
  seed: number;
  rate: number;
  json: boolean;
  progress: boolean;
}

export function registerPlayCommand(program: Command): void {
  const cmd = program
    .command("play")
    .description("curious free play: iCEM maximising the disagreement of a learning ensemble; saves the model and the data for zero-shot tendon plan")
    .requiredOption("-o, --out <dir>", "write model.json, transitions.mcap and summary.json here")
    .option("-m, --model <name|file|folder>", "the simulated body", DEFAULT_MODEL)
    .option("--steps <n>", "steps of play (one planned action each)", positiveInteger("--steps"), 1500)
    .option("--round <n>", "steps per round: reset the body and retrain the model after each", positiveInteger("--round"), 100)
    .addOption(new Option("--explorer <name>", "curious (CEE-US), or the baselines random (uniform actions) and dep").argParser(oneOf("--explorer", EXPLORERS)).default("curious"))
    .option("--state <spec>", "state spec of the model (default joint angles, velocities, activations, and the fingertip where there is one)")
    .option("--train-steps <n>", "Adam steps on all data after each round", positiveInteger("--train-steps"), 150)
    .option("-s, --seed <n>", "random seed", nonNegativeInteger("--seed"), 0)
    .option("-r, --rate <hz>", "control rate of the simulation (Hz)", positiveNumber("--rate"), 50)
    .option("--realtime", "pace the loop on the wall clock (planning in a worker, never blocking a tick); --serve implies it", false)
    .option("--json", "end stdout with one line of JSON summary", false)
    .option("--no-progress", "no line per round");
  addServeOptions(addObserveOptions(cmd));
  addPlannerOptions(cmd, { population: 32, beta: 3.5, initStd: 0.8 }).action(async (flags: PlayFlags) => {
    await playAction(flags);
  });
}

async function playAction(f: PlayFlags): Promise<void> {
  if (fs.existsSync(f.out) && !fs.statSync(f.out).isDirectory()) throw new UsageError(`--out '${f.out}' is a file: give a folder`);
  const port = f.serve === undefined ? undefined : servePort(f.serve);
  if (typeof port === "string") throw new UsageError(port);
  const live = f.foxglove === undefined ? undefined : foxglovePort(f.foxglove);
  if (typeof live === "string") throw new UsageError(live);
  fs.mkdirSync(f.out, { recursive: true });
  const { MujocoRolloutModel } = await import("../../sim/MujocoRolloutModel.js");
  const { resolveModelSource } = await import("../../sim/modelSource.js");
  const probe = await MujocoRolloutModel.create({ source: resolveModelSource(f.model), stepSec: f.step, stateSpec: "joint_angle:*" });
  const sites = probe.names.sites ?? [];
  probe.delete();
  const stateSpec = f.state ?? `joint_angle:*,joint_velocity:*,muscle_activation:*${sites.includes("fingertip") ? ",site_position:fingertip" : ""}`;
  const { runFreePlay, worldModelOf, FREE_PLAY_ENSEMBLE } = await import("../planning/freePlay.js");
  const { FREE_PLAY_DEFAULTS } = await import("../planning/IcemPlanner.js");
  const { StateSpecError } = await import("../models/StateLayout.js");
  const planner = plannerOptionsFromFlags(f, { ...FREE_PLAY_DEFAULTS });
  // --serve: the API and the dashboard, the play in real time; --record, --foxglove: every round's topics.
  const serve = port === undefined ? undefined : await serveSessionFromFlags(f, port);
  const observers = await observersFromFlags(f, { command: "play", serve: serve?.server }).catch(async (err: unknown) => {
    await serve?.close();
    throw err;
  });
  const curious = f.explorer === "curious";
  const modelLoss = { name: LEARNER_TOPICS.modelLoss, label: "train|held_out|version" };
  const signals = stopOnSignals();
  let r: Awaited<ReturnType<typeof runFreePlay>> | undefined;
  let recording: Awaited<ReturnType<NonNullable<typeof observers>["close"]>>;
  try {
    r = await runFreePlay({
      model: f.model,
      stateSpec,
      steps: f.steps,
      roundSteps: f.round,
      stepSec: f.step,
      rateHz: f.rate,
      explorer: f.explorer,
      seed: f.seed,
      planner,
      trainStepsPerRound: f.trainSteps,
      realtime: f.realtime || serve !== undefined,
      observe: observers
        ? (round) => {
            const hooks = observers.hooks("dep", { ...(curious ? { planner: round.trajectory, vectors: [modelLoss] } : {}), timeOffsetSec: round.offsetSec });
            return { ...hooks, modelLoss: (train: number, heldOut: number, version: number) => hooks.publish(modelLoss.name, [train, heldOut, version]) };
          }
        : undefined,
      plugins: serve ? [servedEpisodes(serve)] : undefined,
      onLoop: signals.onLoop,
      stopRequested: () => signals.interrupted() || (serve?.stopRequested ?? false),
      onRound: f.progress
        ? (x) => process.stderr.write(`round ${x.round + 1}: ${x.steps}/${f.steps} steps${Number.isFinite(x.meanDisagreement) ? `, disagreement ${x.meanDisagreement.toFixed(3)}, plan ${x.meanPlanMs.toFixed(0)} ms/step, train loss ${x.trainLoss.toFixed(4)}` : ""} (${x.wallSec.toFixed(1)} s)\n`)
        : undefined,
    });
  } catch (err) {
    if (err instanceof StateSpecError) throw new UsageError(`--state: ${err.message}`);
    throw err;
  } finally {
    signals.dispose();
    try {
      recording = await observers?.close(r ? { body: r.body, explorer: f.explorer, steps: r.set.rows, rounds: r.rounds.length } : undefined);
    } finally {
      await serve?.close();
    }
  }
  if (r.set.rows < 2) {
    process.exitCode = signals.interrupted() ? 130 : 1;
    process.stderr.write(`tendon play: stopped after ${r.set.rows} steps: nothing to save\n`);
    return;
  }
  let ensemble = r.ensemble;
  if (!ensemble) {
    // Baselines: the same ensemble, fitted on their data at the end.
    const { ProbabilisticEnsemble } = await import("../models/ProbabilisticEnsemble.js");
    const { EnsembleTrainer } = await import("../models/EnsembleTrainer.js");
    ensemble = new ProbabilisticEnsemble(r.layout, r.set.actionDim, FREE_PLAY_ENSEMBLE, f.seed);
    const trainer = new EnsembleTrainer(ensemble, { batchSize: 256, bootstrap: false, seed: f.seed });
    trainer.setData(r.set, true);
    trainer.trainSteps(f.trainSteps * Math.ceil(f.steps / f.round));
  }
  const { writeWorldModel } = await import("../planning/WorldModelFile.js");
  const { writeTransitionsMcap } = await import("../planning/transitionsMcap.js");
  const model = worldModelOf(r, ensemble);
  const modelFile = path.join(f.out, "model.json");
  writeWorldModel(modelFile, model);
  const dataFile = path.join(f.out, "transitions.mcap");
  await writeTransitionsMcap(dataFile, r.set, model.stateSpec, r.stepSec, { body: r.body, explorer: f.explorer, seed: String(f.seed), steps: String(f.steps) });
  ensemble.dispose();
  const summary = { body: r.body, explorer: f.explorer, steps: r.set.rows, ...(r.stopped ? { stopped: true } : {}), rounds: r.rounds, stateSpec: model.stateSpec, stepSec: r.stepSec, planner, wallSec: r.wallSec, model: modelFile, data: dataFile, ...(recording ? { recording } : {}) };
  fs.writeFileSync(path.join(f.out, "summary.json"), `${JSON.stringify(summary, null, 1)}\n`);
  process.stdout.write(`${r.body}: ${r.set.rows} steps of ${f.explorer} play in ${r.wallSec.toFixed(1)} s -> ${modelFile}, ${dataFile}\nnext: tendon plan --task ${model.stateSpec.includes("site_position") ? "reach" : "pose"} --model ${f.model} --model-from ${modelFile}\n`);
  if (recording) process.stdout.write(formatRecording(recording));
  if (f.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (signals.interrupted()) process.exitCode = 130;
}
