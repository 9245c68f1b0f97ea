/**
 * `tendon learn` as a function: the reach task on the simulated arm, learned by MPO with one of
 * the DEP-RL exploration modes. Builds the backend, environments, agent, exploration and trainer
 * from one options object, writes the learning curve (CSV and SVG) and checkpoints, and resumes
 * from a checkpoint. The CLI, the experiment and the tests call it.
 */
import { OnlineBonus, type BonusSignal, type OnlineBonusOptions } from "../intrinsic/OnlineBonus.js";
import fs from "node:fs";
import path from "node:path";
import { resolveDepParams } from "../dep/params.js";
import { Mpo } from "./agents/Mpo.js";
import { readCheckpointFile, writeCheckpointFile, CheckpointError } from "./checkpoints/CheckpointFile.js";
import { loadAgent, saveAgent } from "./checkpoints/agentState.js";
import { loadBonus, saveBonus, type BonusHeader } from "./checkpoints/bonusState.js";
import { ReachEnv } from "./environments/ReachEnv.js";
import { ReachTask, type ReachTaskOptions } from "./environments/ReachTask.js";
import { VectorEnv } from "./environments/VectorEnv.js";
import { WorkerVectorEnv } from "./environments/WorkerVectorEnv.js";
import { createExploration } from "./explorations/createExploration.js";
import type { ExplorationMode } from "./explorations/Exploration.js";
import { curveCsv, linePlotSvg } from "./logging/LearningCurve.js";
import { ActorCritic } from "./models/ActorCritic.js";
import { ReplayBuffer } from "./replays/ReplayBuffer.js";
import { initBackend, type BackendChoice, type BackendInfo } from "./tf/backend.js";
import { Trainer, type CurveRow, type TrainerState } from "./Trainer.js";
import { WorkerAgent } from "./split/WorkerAgent.js";
import { ExpectedSarsa } from "./updaters/ExpectedSarsa.js";
import { MaximumAPosteriori } from "./updaters/MaximumAPosteriori.js";

export interface LearnConfig {
  readonly mode: ExplorationMode;
  /** Environment steps over all environments. */
  readonly steps: number;
  readonly seed: number;
  readonly envs: number;
  readonly model: string;
  readonly rateHz: number;
  /** DEP preset and overrides (reference names, including intervention_proba/length, test_episode_every). */
  readonly preset: string;
  readonly depParams: Readonly<Record<string, unknown>>;
  readonly hiddenSizes: readonly number[];
  readonly batchSize: number;
  readonly batchIterations: number;
  readonly stepsBeforeBatches: number;
  readonly stepsBetweenBatches: number;
  readonly returnSteps: number;
  readonly replaySize: number;
  readonly discount: number;
  readonly actorLearningRate: number;
  readonly criticLearningRate: number;
  readonly dualLearningRate: number;
  readonly epochSteps: number;
  readonly testEpisodes: number;
  readonly task: ReachTaskOptions;
  /** Correlation time of the "rl-ou" exploration noise, in environment steps. */
  readonly ouCorrelationSteps: number;
  /** An intrinsic reward from a world model learned online (src/intrinsic/OnlineBonus.ts), or "none". */
  readonly intrinsic: "none" | BonusSignal;
  /** α of r = R + α·R_int at step 0, and the steps over which it decays linearly to 0 (0: constant). */
  readonly alpha: number;
  readonly alphaDecaySteps: number;
}

/**
 * Defaults for the reach task on the built-in arm, sized for a CPU: 2 x 64 networks and one
 * update per 5 environment steps. The reference's MPO settings are kept where they do not cost
 * time (learning rates, 20 samples, the ε's, Polyak 0.005, discount 0.99, 5-step returns).
 */
export const LEARN_DEFAULTS: LearnConfig = Object.freeze({
  mode: "dep-rl",
  steps: 50_000,
  seed: 0,
  envs: 4,
  model: "arm2j6m",
  rateHz: 50,
  preset: "default",
  depParams: {},
  hiddenSizes: [64, 64],
  batchSize: 100,
  batchIterations: 10,
  stepsBeforeBatches: 5_000,
  stepsBetweenBatches: 50,
  returnSteps: 5,
  replaySize: 1_000_000,
  discount: 0.99,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-4,
  dualLearningRate: 1e-2,
  epochSteps: 2_500,
  testEpisodes: 20,
  task: {},
  ouCorrelationSteps: 10,
  intrinsic: "none",
  alpha: 0.1,
  alphaDecaySteps: 0,
});

export interface LearnOptions extends Partial<LearnConfig> {
  readonly backend?: BackendChoice;
  /** Folder for checkpoints (latest.ckpt); none when undefined. */
  readonly checkpointDir?: string;
  /** Continue from checkpointDir/latest.ckpt; its configuration wins over the other options except `steps`. */
  readonly resume?: boolean;
  /** Save the replay's transitions with checkpoints (large) so a resumed run continues exactly. */
  readonly saveReplay?: boolean;
  /** Checkpoint every this many steps (default: every 5 epochs). */
  readonly saveSteps?: number;
  /** Folder for curve.csv and curve.svg; none when undefined. */
  readonly outDir?: string;
  readonly onEpoch?: (row: CurveRow, state: Readonly<TrainerState>) => void;
  readonly onStart?: (info: { backend: BackendInfo; config: LearnConfig; resumedFromSteps: number }) => void;
  readonly shouldStop?: () => boolean;
  /** MPO's update in a worker thread (WorkerAgent): the environments and the updates run on two cores. No checkpoints. */
  readonly learnerWorker?: boolean;
  /** Step the environments in this many worker threads (WorkerVectorEnv; 0 or undefined: in this thread). No checkpoints. */
  readonly envWorkers?: number;
}

export interface LearnResult {
  readonly config: LearnConfig;
  readonly backend: BackendInfo;
  readonly state: TrainerState;
  readonly updates: number;
  readonly final: CurveRow | undefined;
  readonly checkpoint: string | undefined;
  readonly resumedFromSteps: number;
  /** With an intrinsic reward: the bonus model's version and updates (with the learner worker: the newest version swapped in here). */
  readonly bonusModel?: { readonly version: number; readonly updates: number; readonly loss: number };
}

export const CHECKPOINT_NAME = "latest.ckpt";

/** Builds the MPO agent of a configuration (the parts tonic would build, with these numbers). */
export function createAgent(config: LearnConfig, steps: number): Mpo {
  return new Mpo({
    model: (o, a, seed) => new ActorCritic(o, a, seed, { actorSizes: config.hiddenSizes, criticSizes: config.hiddenSizes }),
    replay: new ReplayBuffer({
      // Never more room than the run can fill.
      size: Math.max(config.envs, Math.min(config.replaySize, steps)),
      returnSteps: config.returnSteps,
      batchSize: config.batchSize,
      batchIterations: config.batchIterations,
      stepsBeforeBatches: config.stepsBeforeBatches,
      stepsBetweenBatches: config.stepsBetweenBatches,
      discountFactor: config.discount,
    }),
    actorUpdater: new MaximumAPosteriori({ actorLearningRate: config.actorLearningRate, dualLearningRate: config.dualLearningRate }),
    criticUpdater: new ExpectedSarsa({ learningRate: config.criticLearningRate }),
  });
}

/**
 * The online bonus of a configuration (in-process and in the learner worker alike): the signal,
 * α and its decay from the configuration, training every 1000 transitions once
 * min(1000, stepsBeforeBatches) are stored; `overrides` for a learner's own schedule.
 */
export function createBonus(config: LearnConfig, stateDim: number, actionDim: number, overrides: Partial<OnlineBonusOptions> = {}): OnlineBonus {
  if (config.intrinsic === "none") throw new RangeError("createBonus: the configuration has no intrinsic reward");
  return new OnlineBonus({
    signal: config.intrinsic,
    stateDim,
    actionDim,
    alpha: config.alpha ?? 0.1,
    alphaDecaySteps: config.alphaDecaySteps ?? 0,
    seed: config.seed,
    warmup: Math.min(1000, config.stepsBeforeBatches),
    ...overrides,
  });
}

export async function runLearn(options: LearnOptions = {}): Promise<LearnResult> {
  const backend = await initBackend(options.backend ?? "auto");
  const ckptFile = options.checkpointDir ? path.join(options.checkpointDir, CHECKPOINT_NAME) : undefined;
  if (options.envWorkers && (ckptFile || options.resume)) {
    throw new CheckpointError("checkpoints and resuming need the environments in this thread: run without environment workers, or without a checkpoint folder");
  }
  if (options.learnerWorker && (ckptFile || options.resume)) {
    throw new CheckpointError("checkpoints and resuming need the in-process learner: run without the learner worker, or without a checkpoint folder");
  }
  let resumed: ReturnType<typeof readCheckpointFile> | undefined;
  if (options.resume) {
    if (!ckptFile) throw new CheckpointError("resuming needs a checkpoint folder");
    resumed = readCheckpointFile(ckptFile);
  }
  const given = Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in LEARN_DEFAULTS));
  const config: LearnConfig = resumed
    ? { ...(resumed.header.config as LearnConfig), ...(options.steps !== undefined ? { steps: options.steps } : {}) }
    : { ...LEARN_DEFAULTS, ...given };
  const bonusSignal = config.intrinsic ?? "none";
  const depParams = resolveDepParams({ preset: config.preset, params: config.depParams });
  const task = new ReachTask(config.task);
  // Environment workers: the same environments and seeds, stepped in parallel threads (checkpoints need them here).
  const vector = options.envWorkers ? undefined : await VectorEnv.create(config.envs, { model: config.model, task, seed: config.seed, rateHz: config.rateHz, depForceScale: depParams.force_scale });
  const envs =
    vector ??
    (await WorkerVectorEnv.create(config.envs, { model: config.model, task: config.task, seed: config.seed, rateHz: config.rateHz, depForceScale: depParams.force_scale, workers: options.envWorkers! }));
  const testEnv = await ReachEnv.create({ model: config.model, task, seed: 1_000_003 + config.seed, rateHz: config.rateHz });
  // With the learner in a worker thread, the agent here is only the acting policy (see WorkerAgent).
  const worker = options.learnerWorker
    ? new WorkerAgent({ learn: config, observationSize: envs.observationSize, actionSize: envs.actionSize, workers: envs.count, backend: options.backend ?? "auto" })
    : undefined;
  const agent = createAgent(worker ? { ...config, replaySize: 1, hiddenSizes: [1], envs: 1 } : config, Math.max(config.steps, (resumed?.header.trainer as TrainerState | undefined)?.steps ?? 0));
  try {
    agent.initialize({ observationSize: envs.observationSize, actionSize: envs.actionSize, workers: envs.count }, config.seed);
    if (worker) await worker.start();
    const built = createExploration({
      mode: config.mode,
      depParams,
      muscles: envs.actionSize,
      envs: envs.count,
      preTrainingSteps: config.stepsBeforeBatches,
      seed: config.seed,
      ouCorrelationSteps: config.ouCorrelationSteps,
    });
    let trainerState: TrainerState | undefined;
    if (resumed) {
      loadAgent(agent, resumed.header, resumed.arrays);
      trainerState = resumed.header.trainer as TrainerState;
      built.exploration.load((resumed.header.exploration ?? {}) as Record<string, number | number[]>);
      vector!.envs.forEach((e, i) => {
        const s = resumed!.arrays.get(`rng/env/${i}`);
        const get = (k: string): Float64Array | undefined => {
          const a = resumed!.arrays.get(`env/${i}/${k}`);
          return a instanceof Float64Array ? a : undefined;
        };
        const [lengthMin, lengthMax, forceMin, forceMax] = ["lengthMin", "lengthMax", "forceMin", "forceMax"].map(get);
        const poseRng = resumed!.arrays.get(`env/${i}/poseRng`);
        if (s instanceof Uint32Array && poseRng instanceof Uint32Array && lengthMin && lengthMax && forceMin && forceMax) e.restoreEpisodeStart({ rng: s, poseRng, lengthMin, lengthMax, forceMin, forceMax });
        else if (s instanceof Uint32Array) e.rngState = s;
      });
      if (built.dep) {
        const d = resumed.header.dep as { t: number; shadowCount: number } | undefined;
        const arr = (k: string): Float64Array => {
          const a = resumed!.arrays.get(`dep/${k}`);
          if (!(a instanceof Float64Array)) throw new CheckpointError(`checkpoint lacks DEP state '${k}': it was written without DEP (mode ${(resumed!.header.config as LearnConfig).mode})`);
          return a;
        };
        if (d) built.dep.load({ t: d.t, shadowCount: d.shadowCount, xs: arr("xs"), ring: arr("ring"), c: arr("c"), shadow: arr("shadow"), scale: arr("scale"), bias: arr("bias"), y: arr("y") });
      }
    }
    // With the learner worker the bonus runs there (it relabels the rewards before MPO sees them).
    const bonus = bonusSignal !== "none" && !worker ? createBonus(config, envs.observationSize, envs.actionSize) : undefined;
    if (bonus && resumed) loadBonus(bonus, resumed.header.bonus as BonusHeader | undefined, resumed.arrays, `checkpoint '${ckptFile}'`);
    const resumedFromSteps = trainerState?.steps ?? 0;
    options.onStart?.({ backend, config, resumedFromSteps });
    const trainer = new Trainer(worker ?? agent, built.exploration, envs, testEnv, trainerState);
    const save = ckptFile
      ? (state: Readonly<TrainerState>): void => {
          const arrays = new Map<string, Float32Array | Float64Array | Uint32Array | Uint8Array>();
          const agentHeader = saveAgent(agent, arrays, options.saveReplay ?? false);
          // Each environment as its current episode started: a run resumed from a checkpoint at an
          // episode boundary (epochSteps a multiple of envs x episode steps) continues exactly.
          vector!.envs.forEach((e, i) => {
            const s = e.episodeStartState();
            arrays.set(`rng/env/${i}`, s.rng);
            arrays.set(`env/${i}/poseRng`, s.poseRng);
            arrays.set(`env/${i}/lengthMin`, s.lengthMin);
            arrays.set(`env/${i}/lengthMax`, s.lengthMax);
            arrays.set(`env/${i}/forceMin`, s.forceMin);
            arrays.set(`env/${i}/forceMax`, s.forceMax);
          });
          let dep: Record<string, number> | undefined;
          if (built.dep) {
            const d = built.dep.state();
            dep = { t: d.t, shadowCount: d.shadowCount };
            for (const k of ["xs", "ring", "c", "shadow", "scale", "bias", "y"] as const) arrays.set(`dep/${k}`, d[k]);
          }
          // The bonus's stored transitions go with the replay's (--save-replay): without them a
          // resumed bonus keeps its model and Adam state and trains on what comes next.
          const bonusHeader = bonus ? saveBonus(bonus, arrays, options.saveReplay ?? false) : undefined;
          writeCheckpointFile(ckptFile, {
            header: { kind: "tendon-learner", config, trainer: state, exploration: built.exploration.state(), dep, agent: agentHeader, backend: backend.name, ...(bonusHeader ? { bonus: bonusHeader } : {}) },
            arrays,
          });
        }
      : undefined;
    const state = await trainer.run({
      steps: config.steps,
      epochSteps: config.epochSteps,
      testEpisodes: config.testEpisodes,
      testEpisodeEvery: built.testEpisodeEvery,
      saveSteps: options.saveSteps ?? config.epochSteps * 5,
      save,
      onEpoch: options.onEpoch,
      shouldStop: options.shouldStop,
      rewardBonus: bonus ?? worker?.bonusView,
    });
    if (worker) await worker.close();
    const bonusModel = bonus
      ? { version: bonus.model.version, updates: bonus.stats(state.steps).modelUpdates, loss: bonus.stats(state.steps).modelLoss }
      : worker?.models
        ? { version: worker.models.version, updates: worker.bonusView?.stats(state.steps).modelUpdates ?? 0, loss: worker.bonusView?.stats(state.steps).modelLoss ?? NaN }
        : undefined;
    bonus?.dispose();
    if (options.outDir) writeCurve(options.outDir, state.curve, `${config.mode}, seed ${config.seed}`);
    return {
      config,
      backend,
      state,
      updates: (worker ?? agent).updates,
      final: state.curve[state.curve.length - 1],
      checkpoint: ckptFile,
      resumedFromSteps,
      ...(bonusModel ? { bonusModel } : {}),
    };
  } finally {
    await worker?.close();
    agent.dispose();
    await envs.close();
    await testEnv.close();
  }
}

/** Writes curve.csv and curve.svg (greedy test return and success rate against steps). */
export function writeCurve(dir: string, rows: readonly CurveRow[], label: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "curve.csv"), curveCsv(rows));
  const x = rows.map((r) => r.steps);
  if (rows.some((r) => r.intrinsic !== undefined)) {
    const v = (k: "intrinsic" | "intrinsicAlpha" | "modelLoss"): number[] => rows.map((r) => r[k] ?? NaN);
    fs.writeFileSync(path.join(dir, "intrinsic.csv"), `steps,intrinsic,alpha,model_loss\n${rows.map((r, i) => `${r.steps},${v("intrinsic")[i]},${v("intrinsicAlpha")[i]},${v("modelLoss")[i]}`).join("\n")}\n`);
    fs.writeFileSync(
      path.join(dir, "intrinsic.svg"),
      linePlotSvg([{ label: `mean intrinsic reward before alpha (${label})`, color: "#d62728", x, y: v("intrinsic") }], { title: "tendon learn: intrinsic reward", xLabel: "environment steps", yLabel: "R_int" }),
    );
  }
  const svg = linePlotSvg(
    [
      { label: `test return (${label})`, color: "#1f77b4", x, y: rows.map((r) => r.testReturn) },
      { label: "train return", color: "#aaaaaa", x, y: rows.map((r) => r.trainReturn) },
    ],
    { title: "tendon learn: reach", xLabel: "environment steps", yLabel: "episode return" },
  );
  fs.writeFileSync(path.join(dir, "curve.svg"), svg);
}
