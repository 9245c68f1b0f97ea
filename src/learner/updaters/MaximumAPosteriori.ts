/**
 * Actor updater: MPO (Abdolmaleki et al. 2018), as TonicRL's
 * `MaximumAPosterioriPolicyOptimization`, with its defaults: 20 action samples from the target
 * policy per state, ε = 0.1 (E-step KL), ε_mean = 1e-3 and ε_std = 1e-6 (M-step KL of the mean
 * and of the std, per action dimension), action penalization with ε_penalty = 1e-3, Adam with
 * learning rate 3e-4 for the actor and 1e-2 for the dual variables, log duals floored at −18.
 *
 * One update, for a batch of states s_b:
 * - E-step: actions a_{i,b} ∼ π_target(·|s_b), i = 1..N, valued by the target critic Q_{i,b};
 *   weights q_{i,b} = softmax_i(Q_{i,b} / η) with the temperature η = softplus(log η) + 1e-8.
 *   The temperature's dual loss is η·(ε + mean_b log mean_i exp(Q_{i,b}/η)).
 * - Action penalization: a second set of weights from the cost −‖a − clip(a, −1, 1)‖ with its
 *   own temperature and ε_penalty, added to q.
 * - M-step, decoupled: the online policy's mean is fitted with the target's std and its std with
 *   the target's mean: loss −mean_b Σ_i q_{i,b}·(log N(a_{i,b}; μ, σ_target) + log N(a_{i,b}; μ_target, σ)),
 *   plus α_μ·KL_μ + α_σ·KL_σ (per dimension, averaged over the batch), the α fixed here and
 *   trained on α·(ε − KL) with KL fixed.
 * Gradients reach the actor only through the M-step terms and the duals only through their
 * losses, exactly the split the reference makes with `detach()`; here the two gradients are taken
 * separately at the same parameters, which is the same update.
 */
import type { Rng } from "../../core/rng.js";
import type { ActorCritic } from "../models/ActorCritic.js";
import { Adam } from "../optimizers/Adam.js";
import { tf } from "../tf/backend.js";
import { fillNormal } from "./noise.js";

const FLOAT_EPSILON = 1e-8;
const LOG_2PI = Math.log(2 * Math.PI);

export interface MaximumAPosterioriOptions {
  readonly numSamples?: number;
  readonly epsilon?: number;
  readonly epsilonPenalty?: number;
  readonly epsilonMean?: number;
  readonly epsilonStd?: number;
  readonly initialLogTemperature?: number;
  readonly initialLogAlphaMean?: number;
  readonly initialLogAlphaStd?: number;
  readonly minLogDual?: number;
  /** KL constraints per action dimension (default true) or on the joint distribution. */
  readonly perDimConstraining?: boolean;
  readonly actionPenalization?: boolean;
  /** Actor learning rate (default 3e-4). */
  readonly actorLearningRate?: number;
  /** Dual variables' learning rate (default 1e-2). */
  readonly dualLearningRate?: number;
}

export interface ActorInfo {
  readonly policyLoss: number;
  readonly temperature: number;
  readonly klMean: number;
  readonly klStd: number;
  readonly meanStd: number;
}

/** E-step weights softmax(q/η) over samples (axis 0) and the temperature's dual loss. */
export function weightsAndTemperatureLoss(values: tf.Tensor2D, epsilon: number, temperature: tf.Tensor): { weights: tf.Tensor2D; loss: tf.Scalar } {
  const tempered = tf.div(values, temperature) as tf.Tensor2D;
  const weights = tf.softmax(tf.transpose(tempered)).transpose() as tf.Tensor2D;
  const logNum = Math.log(values.shape[0]);
  const loss = tf.mul(temperature, tf.add(tf.sub(tf.mean(tf.logSumExp(tempered, 0)), logNum), epsilon)).reshape([]) as tf.Scalar;
  return { weights, loss };
}

/** KL(N(μ1, σ1) ‖ N(μ2, σ2)) element-wise. */
export function normalKl(loc1: tf.Tensor, scale1: tf.Tensor, loc2: tf.Tensor, scale2: tf.Tensor): tf.Tensor {
  const varRatio = tf.square(tf.div(scale1, scale2));
  const t1 = tf.square(tf.div(tf.sub(loc1, loc2), scale2));
  return tf.mul(0.5, tf.sub(tf.add(varRatio, t1), tf.add(1, tf.log(varRatio))));
}

/** log N(x; μ, σ) summed over the last axis. x: [S, B, A]; μ, σ: [B, A]. */
export function normalLogProbSum(x: tf.Tensor3D, loc: tf.Tensor2D, scale: tf.Tensor2D): tf.Tensor2D {
  const z = tf.div(tf.sub(x, loc), scale);
  const lp = tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(tf.log(scale), 0.5 * LOG_2PI));
  return tf.sum(lp, 2) as tf.Tensor2D;
}

export class MaximumAPosteriori {
  readonly numSamples: number;
  readonly epsilon: number;
  readonly epsilonPenalty: number;
  readonly epsilonMean: number;
  readonly epsilonStd: number;
  readonly minLogDual: number;
  readonly perDimConstraining: boolean;
  readonly actionPenalization: boolean;
  readonly actorLearningRate: number;
  readonly dualLearningRate: number;
  readonly #options: MaximumAPosterioriOptions;
  #model: ActorCritic | undefined;
  #rng: Rng | undefined;
  #actorOptimizer: Adam | undefined;
  #dualOptimizer: Adam | undefined;
  #logTemperature: tf.Variable | undefined;
  #logAlphaMean: tf.Variable | undefined;
  #logAlphaStd: tf.Variable | undefined;
  #logPenaltyTemperature: tf.Variable | undefined;
  #noise = new Float32Array(0);

  constructor(options: MaximumAPosterioriOptions = {}) {
    this.#options = options;
    this.numSamples = options.numSamples ?? 20;
    this.epsilon = options.epsilon ?? 1e-1;
    this.epsilonPenalty = options.epsilonPenalty ?? 1e-3;
    this.epsilonMean = options.epsilonMean ?? 1e-3;
    this.epsilonStd = options.epsilonStd ?? 1e-6;
    this.minLogDual = options.minLogDual ?? -18;
    this.perDimConstraining = options.perDimConstraining ?? true;
    this.actionPenalization = options.actionPenalization ?? true;
    this.actorLearningRate = options.actorLearningRate ?? 3e-4;
    this.dualLearningRate = options.dualLearningRate ?? 1e-2;
  }

  initialize(model: ActorCritic, rng: Rng): void {
    this.#model = model;
    this.#rng = rng;
    const o = this.#options;
    const dims = this.perDimConstraining ? model.actionSize : 1;
    this.#logTemperature = tf.variable(tf.fill([1], o.initialLogTemperature ?? 1), true);
    this.#logAlphaMean = tf.variable(tf.fill([dims], o.initialLogAlphaMean ?? 1), true);
    this.#logAlphaStd = tf.variable(tf.fill([dims], o.initialLogAlphaStd ?? 10), true);
    this.#logPenaltyTemperature = tf.variable(tf.fill([1], o.initialLogTemperature ?? 1), true);
    this.#actorOptimizer = new Adam(model.actorVariables, { learningRate: this.actorLearningRate });
    this.#dualOptimizer = new Adam(this.dualVariables, { learningRate: this.dualLearningRate });
  }

  /** log η, log α_μ, log α_σ, and log η_penalty when action penalization is on. */
  get dualVariables(): tf.Variable[] {
    const d = [this.#logTemperature!, this.#logAlphaMean!, this.#logAlphaStd!];
    if (this.actionPenalization) d.push(this.#logPenaltyTemperature!);
    return d;
  }

  get actorOptimizer(): Adam {
    return this.#actorOptimizer!;
  }
  get dualOptimizer(): Adam {
    return this.#dualOptimizer!;
  }

  /** One update from a batch of normalized observations [size, O]. */
  update(observations: Float32Array, size: number): ActorInfo {
    const model = this.#model!;
    const S = this.numSamples;
    const B = size;
    const A = model.actionSize;
    const O = model.observationSize;
    if (this.#noise.length !== S * B * A) this.#noise = new Float32Array(S * B * A);
    fillNormal(this.#rng!, this.#noise);

    // The duals are floored before they are used (the reference clamps in place).
    tf.tidy(() => {
      for (const v of this.dualVariables) v.assign(tf.maximum(v, this.minLogDual));
    });

    const keep = tf.tidy(() => {
      const obs = tf.tensor2d(observations, [B, O]);
      const target = model.targetActor(obs);
      const actions = tf.add(target.loc, tf.mul(target.scale, tf.tensor3d(this.#noise, [S, B, A]))) as tf.Tensor3D;
      const values = tf.reshape(model.targetCriticSamples(obs, tf.reshape(actions, [S * B, A]) as tf.Tensor2D), [S, B]) as tf.Tensor2D;
      const costs = tf.neg(tf.norm(tf.sub(actions, tf.clipByValue(actions, -1, 1)), "euclidean", 2)) as tf.Tensor2D;
      // The online policy, without gradient: its KL to the target feeds the duals' losses.
      const online = model.actor(obs);
      const { klMean, klStd } = this.#kls(target.loc, target.scale, online.loc, online.scale);
      return { obs, targetLoc: target.loc, targetScale: target.scale, actions, values, costs, klMean, klStd };
    });

    // Duals: temperature losses (E-step) and α·(ε − KL) with KL fixed.
    const dualVars = this.dualVariables;
    const dual = tf.variableGrads(() => {
      const temperature = tf.add(tf.softplus(this.#logTemperature!), FLOAT_EPSILON);
      let loss = weightsAndTemperatureLoss(keep.values, this.epsilon, temperature).loss;
      if (this.actionPenalization) {
        const penaltyTemperature = tf.add(tf.softplus(this.#logPenaltyTemperature!), FLOAT_EPSILON);
        loss = tf.add(loss, weightsAndTemperatureLoss(keep.costs, this.epsilonPenalty, penaltyTemperature).loss);
      }
      const alphaMean = tf.add(tf.softplus(this.#logAlphaMean!), FLOAT_EPSILON);
      const alphaStd = tf.add(tf.softplus(this.#logAlphaStd!), FLOAT_EPSILON);
      loss = tf.add(loss, tf.sum(tf.mul(alphaMean, tf.sub(this.epsilonMean, keep.klMean))));
      loss = tf.add(loss, tf.sum(tf.mul(alphaStd, tf.sub(this.epsilonStd, keep.klStd))));
      return loss as tf.Scalar;
    }, dualVars);

    // Weights and α at the current (pre-update) duals, as constants for the actor's loss.
    const fixed = tf.tidy(() => {
      const temperature = tf.add(tf.softplus(this.#logTemperature!), FLOAT_EPSILON);
      let weights = weightsAndTemperatureLoss(keep.values, this.epsilon, temperature).weights;
      if (this.actionPenalization) {
        const penaltyTemperature = tf.add(tf.softplus(this.#logPenaltyTemperature!), FLOAT_EPSILON);
        weights = tf.add(weights, weightsAndTemperatureLoss(keep.costs, this.epsilonPenalty, penaltyTemperature).weights);
      }
      return {
        weights,
        temperature,
        alphaMean: tf.add(tf.softplus(this.#logAlphaMean!), FLOAT_EPSILON),
        alphaStd: tf.add(tf.softplus(this.#logAlphaStd!), FLOAT_EPSILON),
      };
    });

    const actorVars = this.#actorOptimizer!.variables as tf.Variable[];
    let policyLossT: tf.Scalar | undefined;
    let meanStdT: tf.Scalar | undefined;
    const actor = tf.variableGrads(() => {
      const { loc, scale } = model.actor(keep.obs);
      const lpMean = normalLogProbSum(keep.actions, loc, keep.targetScale);
      const lpStd = normalLogProbSum(keep.actions, keep.targetLoc, scale);
      const policyMeanLoss = tf.neg(tf.mean(tf.sum(tf.mul(lpMean, fixed.weights), 0)));
      const policyStdLoss = tf.neg(tf.mean(tf.sum(tf.mul(lpStd, fixed.weights), 0)));
      const { klMean, klStd } = this.#kls(keep.targetLoc, keep.targetScale, loc, scale);
      const policyLoss = tf.add(policyMeanLoss, policyStdLoss);
      policyLossT = tf.keep(policyLoss.clone()) as tf.Scalar;
      meanStdT = tf.keep(tf.mean(scale)) as tf.Scalar;
      const klLoss = tf.add(tf.sum(tf.mul(fixed.alphaMean, klMean)), tf.sum(tf.mul(fixed.alphaStd, klStd)));
      return tf.add(policyLoss, klLoss) as tf.Scalar;
    }, actorVars);

    this.#actorOptimizer!.apply(actorVars.map((v) => actor.grads[v.name]));
    this.#dualOptimizer!.apply(dualVars.map((v) => dual.grads[v.name]));

    const info: ActorInfo = {
      policyLoss: policyLossT!.dataSync()[0],
      temperature: fixed.temperature.dataSync()[0],
      klMean: tf.tidy(() => tf.mean(keep.klMean).dataSync()[0]),
      klStd: tf.tidy(() => tf.mean(keep.klStd).dataSync()[0]),
      meanStd: meanStdT!.dataSync()[0],
    };
    tf.dispose([actor.value, dual.value, policyLossT!, meanStdT!, ...Object.values(actor.grads), ...Object.values(dual.grads)]);
    tf.dispose(Object.values(keep) as tf.Tensor[]);
    tf.dispose(Object.values(fixed) as tf.Tensor[]);
    return info;
  }

  /** Decomposed KLs of the target policy to the online one: [A] per dimension, or [1] joint; averaged over the batch. */
  #kls(targetLoc: tf.Tensor2D, targetScale: tf.Tensor2D, loc: tf.Tensor2D, scale: tf.Tensor2D): { klMean: tf.Tensor1D; klStd: tf.Tensor1D } {
    // KL(target ‖ N(μ, σ_target)) and KL(target ‖ N(μ_target, σ)).
    let klMean = normalKl(targetLoc, targetScale, loc, targetScale);
    let klStd = normalKl(targetLoc, targetScale, targetLoc, scale);
    if (!this.perDimConstraining) {
      klMean = tf.sum(klMean, 1, true);
      klStd = tf.sum(klStd, 1, true);
    }
    return { klMean: tf.mean(klMean, 0) as tf.Tensor1D, klStd: tf.mean(klStd, 0) as tf.Tensor1D };
  }

  /** Dual variables' values, for checkpoints. */
  duals(): Float32Array[] {
    return this.dualVariables.map((v) => v.dataSync() as Float32Array);
  }

  loadDuals(values: readonly Float32Array[]): void {
    const vars = this.dualVariables;
    if (values.length !== vars.length) throw new RangeError(`MPO duals: checkpoint holds ${values.length}, updater has ${vars.length}`);
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape))));
  }

  dispose(): void {
    this.#actorOptimizer?.dispose();
    this.#dualOptimizer?.dispose();
    tf.dispose([this.#logTemperature!, this.#logAlphaMean!, this.#logAlphaStd!, this.#logPenaltyTemperature!].filter(Boolean));
  }
}
