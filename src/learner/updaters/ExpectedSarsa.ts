/**
 * Critic updater: expected SARSA, as TonicRL's `ExpectedSARSA`. The target of Q(s, a) is
 * r + d·E_{a'∼π_target(s')}[Q_target(s', a')], the expectation estimated with `numSamples`
 * actions drawn from the target actor; the loss is the mean squared error, minimized with Adam.
 * (r and d are the n-step reward and discount from the replay.)
 */
import type { Rng } from "../../core/rng.js";
import type { ActorCritic } from "../models/ActorCritic.js";
import { Adam } from "../optimizers/Adam.js";
import { tf } from "../tf/backend.js";
import { fillNormal } from "./noise.js";

export interface ExpectedSarsaOptions {
  /** Action samples for the expectation (default 20). */
  readonly numSamples?: number;
  /** Adam learning rate (default 3e-4). */
  readonly learningRate?: number;
  readonly weightDecay?: number;
}

export interface CriticBatch {
  readonly size: number;
  /** Normalized observations [size, O]. */
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  /** Normalized next observations [size, O]. */
  readonly nextObservations: Float32Array;
  readonly rewards: Float32Array;
  readonly discounts: Float32Array;
}

export interface CriticInfo {
  readonly loss: number;
  /** Mean regression target over the batch. */
  readonly meanReturn: number;
}

export class ExpectedSarsa {
  readonly numSamples: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  #model: ActorCritic | undefined;
  #optimizer: Adam | undefined;
  #rng: Rng | undefined;
  #noise = new Float32Array(0);

  constructor(options: ExpectedSarsaOptions = {}) {
    this.numSamples = options.numSamples ?? 20;
    this.learningRate = options.learningRate ?? 3e-4;
    this.weightDecay = options.weightDecay ?? 0;
  }

  initialize(model: ActorCritic, rng: Rng): void {
    this.#model = model;
    this.#rng = rng;
    this.#optimizer = new Adam(model.criticVariables, { learningRate: this.learningRate, weightDecay: this.weightDecay });
  }

  get optimizer(): Adam {
    if (!this.#optimizer) throw new Error("ExpectedSarsa: call initialize first");
    return this.#optimizer;
  }

  /** The regression targets r + d·E[Q_target(s', a')] for a batch, [size] (no gradient). */
  returns(batch: CriticBatch): tf.Tensor1D {
    const model = this.#model!;
    const S = this.numSamples;
    const B = batch.size;
    const O = model.observationSize;
    const A = model.actionSize;
    if (this.#noise.length !== S * B * A) this.#noise = new Float32Array(S * B * A);
    fillNormal(this.#rng!, this.#noise);
    return tf.tidy(() => {
      const next = tf.tensor2d(batch.nextObservations, [B, O]);
      const { loc, scale } = model.targetActor(next);
      const noise = tf.tensor3d(this.#noise, [S, B, A]);
      const actions = tf.reshape(tf.add(loc, tf.mul(scale, noise)), [S * B, A]) as tf.Tensor2D;
      const values = tf.mean(tf.reshape(model.targetCriticSamples(next, actions), [S, B]), 0);
      return tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.tensor1d(batch.discounts), values)) as tf.Tensor1D;
    });
  }

  update(batch: CriticBatch): CriticInfo {
    const model = this.#model!;
    const optimizer = this.optimizer;
    const B = batch.size;
    const returns = this.returns(batch);
    const vars = optimizer.variables;
    const { value, grads } = tf.variableGrads(() => {
      const values = model.critic(tf.tensor2d(batch.observations, [B, model.observationSize]), tf.tensor2d(batch.actions, [B, model.actionSize]));
      return tf.mean(tf.square(tf.sub(values, returns))) as tf.Scalar;
    }, vars as tf.Variable[]);
    const gradList = vars.map((v) => grads[v.name]);
    optimizer.apply(gradList);
    const meanReturnT = tf.mean(returns);
    const loss = value.dataSync()[0];
    const meanReturn = meanReturnT.dataSync()[0];
    tf.dispose([value, returns, meanReturnT, ...gradList]);
    return { loss, meanReturn };
  }

  dispose(): void {
    this.#optimizer?.dispose();
  }
}
