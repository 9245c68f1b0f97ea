/**
 * The MPO model, as TonicRL's `ActorCriticWithTargets`: an actor (observations → ReLU torso →
 * Gaussian head), a critic ((observations, actions) → ReLU torso → value head), a target copy
 * of each updated by Polyak averaging, and the observation normalizer they share. Observations
 * reach the networks already normalized (the agent normalizes batches on the JavaScript side).
 *
 * Gaussian head: mean = tanh(W·h + b); std = softplus(W'·h + b') clamped to [stdMin, stdMax]
 * ([1e-4, 1] by default). The clamp passes no gradient where it binds, as in the reference.
 */
import { Rng } from "../../core/rng.js";
import { MeanStd } from "../normalizers/MeanStd.js";
import { tf } from "../tf/backend.js";
import { applyDense, copyLayers, createDense, layerVariables, matMul, Mlp, uniqueScope, type DenseLayer } from "./Dense.js";

export interface ActorCriticOptions {
  /** Hidden layer sizes of the actor's torso (default [256, 256]). */
  readonly actorSizes?: readonly number[];
  /** Hidden layer sizes of the critic's torso (default [256, 256]). */
  readonly criticSizes?: readonly number[];
  readonly stdMin?: number;
  readonly stdMax?: number;
  /** Polyak coefficient of the target networks (default 0.005). */
  readonly targetCoefficient?: number;
}

export interface GaussianOutput {
  readonly loc: tf.Tensor2D;
  readonly scale: tf.Tensor2D;
}

class Actor {
  readonly torso: Mlp;
  readonly locLayer: DenseLayer;
  readonly scaleLayer: DenseLayer;
  constructor(scope: string, name: string, obsSize: number, actSize: number, sizes: readonly number[], rng: Rng) {
    this.torso = new Mlp(scope, `${name}/torso`, obsSize, sizes, rng);
    this.locLayer = createDense(scope, `${name}/loc`, this.torso.outputSize, actSize, rng);
    this.scaleLayer = createDense(scope, `${name}/scale`, this.torso.outputSize, actSize, rng);
  }
  get layers(): DenseLayer[] {
    return [...this.torso.layers, this.locLayer, this.scaleLayer];
  }
  apply(observations: tf.Tensor2D, stdMin: number, stdMax: number): GaussianOutput {
    const h = this.torso.apply(observations);
    const loc = applyDense(this.locLayer, h, "tanh");
    const scale = tf.clipByValue(tf.softplus(applyDense(this.scaleLayer, h, "none")), stdMin, stdMax) as tf.Tensor2D;
    return { loc, scale };
  }
}

class Critic {
  readonly torso: Mlp;
  readonly valueLayer: DenseLayer;
  constructor(scope: string, name: string, obsSize: number, actSize: number, sizes: readonly number[], rng: Rng) {
    this.torso = new Mlp(scope, `${name}/torso`, obsSize + actSize, sizes, rng);
    this.valueLayer = createDense(scope, `${name}/value`, this.torso.outputSize, 1, rng);
  }
  get layers(): DenseLayer[] {
    return [...this.torso.layers, this.valueLayer];
  }
  /** Values, shape [rows]. */
  apply(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    const x = tf.concat([observations, actions], 1) as tf.Tensor2D;
    return tf.reshape(applyDense(this.valueLayer, this.torso.apply(x), "none"), [-1]) as tf.Tensor1D;
  }
  /**
   * Values of S actions per observation: observations [B, O], actions [S·B, A] (sample-major),
   * values [S·B]. The same as tiling the observations S times, computed without the tiling: the
   * first layer is split into its observation and action parts and the observation part, one
   * per observation, is broadcast over the samples.
   */
  applySamples(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    const [B, O] = observations.shape;
    const first = this.torso.layers[0];
    const H = first.outputSize;
    const S = actions.shape[0] / B;
    const kernel = first.kernel as tf.Tensor2D;
    const fromObs = tf.add(matMul(observations, tf.slice(kernel, [0, 0], [O, H])), first.bias);
    const fromAct = tf.reshape(matMul(actions, tf.slice(kernel, [O, 0], [kernel.shape[0] - O, H])), [S, B, H]);
    const h = tf.reshape(tf.relu(tf.add(fromAct, fromObs)), [S * B, H]) as tf.Tensor2D;
    return tf.reshape(applyDense(this.valueLayer, this.torso.apply(h, 1), "none"), [-1]) as tf.Tensor1D;
  }
}

export class ActorCritic {
  readonly observationSize: number;
  readonly actionSize: number;
  readonly actorSizes: readonly number[];
  readonly criticSizes: readonly number[];
  readonly stdMin: number;
  readonly stdMax: number;
  readonly targetCoefficient: number;
  readonly normalizer: MeanStd;
  readonly #actor: Actor;
  readonly #critic: Critic;
  readonly #targetActor: Actor;
  readonly #targetCritic: Critic;

  constructor(observationSize: number, actionSize: number, seed: number, options: ActorCriticOptions = {}) {
    this.observationSize = observationSize;
    this.actionSize = actionSize;
    this.actorSizes = options.actorSizes ?? [256, 256];
    this.criticSizes = options.criticSizes ?? [256, 256];
    this.stdMin = options.stdMin ?? 1e-4;
    this.stdMax = options.stdMax ?? 1;
    this.targetCoefficient = options.targetCoefficient ?? 0.005;
    this.normalizer = new MeanStd(observationSize);
    const scope = uniqueScope("mpo");
    const rng = new Rng(seed);
    this.#actor = new Actor(scope, "actor", observationSize, actionSize, this.actorSizes, rng);
    this.#critic = new Critic(scope, "critic", observationSize, actionSize, this.criticSizes, rng);
    this.#targetActor = new Actor(scope, "target_actor", observationSize, actionSize, this.actorSizes, rng);
    this.#targetCritic = new Critic(scope, "target_critic", observationSize, actionSize, this.criticSizes, rng);
    copyLayers(this.#actor.layers, this.#targetActor.layers);
    copyLayers(this.#critic.layers, this.#targetCritic.layers);
  }

  actor(observations: tf.Tensor2D): GaussianOutput {
    return this.#actor.apply(observations, this.stdMin, this.stdMax);
  }
  targetActor(observations: tf.Tensor2D): GaussianOutput {
    return this.#targetActor.apply(observations, this.stdMin, this.stdMax);
  }
  critic(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return this.#critic.apply(observations, actions);
  }
  targetCritic(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return this.#targetCritic.apply(observations, actions);
  }
  /** Target values of S sampled actions per observation (see `Critic.applySamples`): [S·B]. */
  targetCriticSamples(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return this.#targetCritic.applySamples(observations, actions);
  }

  get actorVariables(): tf.Variable[] {
    return layerVariables(this.#actor.layers);
  }
  get criticVariables(): tf.Variable[] {
    return layerVariables(this.#critic.layers);
  }
  /** The actor's layers in order: torso..., loc, scale. */
  get actorLayers(): readonly DenseLayer[] {
    return this.#actor.layers;
  }

  /** target ← (1 − c)·target + c·online, c = targetCoefficient. */
  updateTargets(): void {
    copyLayers(this.#actor.layers, this.#targetActor.layers, this.targetCoefficient);
    copyLayers(this.#critic.layers, this.#targetCritic.layers, this.targetCoefficient);
  }

  /** Every network's layers by logical name (for checkpoints). */
  namedLayers(): DenseLayer[] {
    return [...this.#actor.layers, ...this.#critic.layers, ...this.#targetActor.layers, ...this.#targetCritic.layers];
  }

  /** Weights by logical name ("actor/torso/0/kernel", ...), copied out. */
  weights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const l of this.namedLayers()) {
      out[`${l.name}/kernel`] = l.kernel.dataSync() as Float32Array;
      out[`${l.name}/bias`] = l.bias.dataSync() as Float32Array;
    }
    return out;
  }

  /** Loads `weights()`; throws RangeError naming a missing or misshapen entry, before changing anything. */
  loadWeights(weights: Readonly<Record<string, Float32Array>>): void {
    const layers = this.namedLayers();
    for (const l of layers) {
      for (const [k, v] of [["kernel", l.kernel], ["bias", l.bias]] as const) {
        const w = weights[`${l.name}/${k}`];
        if (!w || w.length !== v.size) throw new RangeError(`checkpoint weights: '${l.name}/${k}' is missing or has the wrong size (model ${v.size}, checkpoint ${w?.length ?? "none"})`);
      }
    }
    tf.tidy(() => {
      for (const l of layers) {
        l.kernel.assign(tf.tensor(weights[`${l.name}/kernel`], l.kernel.shape));
        l.bias.assign(tf.tensor(weights[`${l.name}/bias`], l.bias.shape));
      }
    });
  }

  dispose(): void {
    for (const l of this.namedLayers()) {
      l.kernel.dispose();
      l.bias.dispose();
    }
  }
}
