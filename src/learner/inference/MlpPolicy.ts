/**
 * The actor's forward pass in plain TypeScript on typed arrays, for policy inference at control
 * rate: synchronous, no TensorFlow.js, and no allocation after construction. Weights come from a
 * `PolicySnapshot` (copied out of the learner's TensorFlow.js model) and are copied into arrays
 * this object owns, so a snapshot can be loaded into a spare policy off the control tick and the
 * two swapped between ticks.
 *
 * Same maths as the model: x̂ = (x − mean) / std (clipped when the normalizer clips), ReLU
 * torso, mean = tanh(W·h + b), std = clamp(softplus(W'·h + b'), stdMin, stdMax). Weights are
 * float32 as trained; sums run in float64.
 */
import type { Rng } from "../../core/rng.js";

/** A versioned copy of the actor's weights and its observation normalizer. */
export interface PolicySnapshot {
  /** Increases with every publication by a learner. */
  readonly version: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly hiddenSizes: readonly number[];
  /** Torso kernels then the mean head then the std head; each [input, output] row-major. */
  readonly kernels: readonly Float32Array[];
  readonly biases: readonly Float32Array[];
  readonly normalizerMean: Float64Array;
  readonly normalizerStd: Float64Array;
  readonly normalizerClip?: number;
  readonly stdMin: number;
  readonly stdMax: number;
  /** Learner steps (environment steps) when the snapshot was taken. */
  readonly steps?: number;
}

export class MlpPolicy {
  readonly observationSize: number;
  readonly actionSize: number;
  readonly hiddenSizes: readonly number[];
  readonly #kernels: Float32Array[];
  readonly #biases: Float32Array[];
  readonly #mean: Float64Array;
  readonly #std: Float64Array;
  #clip = Infinity;
  #stdMin = 1e-4;
  #stdMax = 1;
  #version = -1;
  readonly #x: Float64Array;
  readonly #h: Float64Array[];
  readonly #loc: Float64Array;
  readonly #scale: Float64Array;

  constructor(observationSize: number, actionSize: number, hiddenSizes: readonly number[]) {
    this.observationSize = observationSize;
    this.actionSize = actionSize;
    this.hiddenSizes = [...hiddenSizes];
    const sizes = [observationSize, ...hiddenSizes];
    this.#kernels = [];
    this.#biases = [];
    for (let i = 0; i < hiddenSizes.length; i++) {
      this.#kernels.push(new Float32Array(sizes[i] * sizes[i + 1]));
      this.#biases.push(new Float32Array(sizes[i + 1]));
    }
    const last = sizes[sizes.length - 1];
    for (let k = 0; k < 2; k++) {
      this.#kernels.push(new Float32Array(last * actionSize));
      this.#biases.push(new Float32Array(actionSize));
    }
    this.#mean = new Float64Array(observationSize);
    this.#std = new Float64Array(observationSize).fill(1);
    this.#x = new Float64Array(observationSize);
    this.#h = hiddenSizes.map((h) => new Float64Array(h));
    this.#loc = new Float64Array(actionSize);
    this.#scale = new Float64Array(actionSize);
  }

  /** A policy sized for `snapshot`, with its weights loaded. */
  static from(snapshot: PolicySnapshot): MlpPolicy {
    const p = new MlpPolicy(snapshot.observationSize, snapshot.actionSize, snapshot.hiddenSizes);
    p.load(snapshot);
    return p;
  }

  /** The loaded snapshot's version (−1 before any). */
  get version(): number {
    return this.#version;
  }

  /** True when `snapshot` has this policy's shapes. */
  fits(snapshot: PolicySnapshot): boolean {
    return (
      snapshot.observationSize === this.observationSize &&
      snapshot.actionSize === this.actionSize &&
      snapshot.hiddenSizes.length === this.hiddenSizes.length &&
      snapshot.hiddenSizes.every((h, i) => h === this.hiddenSizes[i]) &&
      snapshot.kernels.length === this.#kernels.length &&
      snapshot.kernels.every((k, i) => k.length === this.#kernels[i].length) &&
      snapshot.biases.every((b, i) => b.length === this.#biases[i].length)
    );
  }

  /** Copies the snapshot's weights in (no allocation). Throws RangeError, changing nothing, when the shapes differ. */
  load(snapshot: PolicySnapshot): void {
    if (!this.fits(snapshot)) {
      throw new RangeError(
        `policy snapshot (${snapshot.observationSize} -> ${snapshot.hiddenSizes.join("x")} -> ${snapshot.actionSize}) does not fit this policy (${this.observationSize} -> ${this.hiddenSizes.join("x")} -> ${this.actionSize})`,
      );
    }
    for (let i = 0; i < this.#kernels.length; i++) {
      this.#kernels[i].set(snapshot.kernels[i]);
      this.#biases[i].set(snapshot.biases[i]);
    }
    this.#mean.set(snapshot.normalizerMean);
    this.#std.set(snapshot.normalizerStd);
    this.#clip = snapshot.normalizerClip ?? Infinity;
    this.#stdMin = snapshot.stdMin;
    this.#stdMax = snapshot.stdMax;
    this.#version = snapshot.version;
  }

  /**
   * The Gaussian's mean (the greedy action) for one observation, written to `out` (length
   * actionSize) and returned. `obs` starts at `offset`.
   */
  mean(obs: ArrayLike<number>, out: Float64Array | Float32Array, offset = 0, outOffset = 0): Float64Array | Float32Array {
    this.#forward(obs, offset);
    for (let j = 0; j < this.actionSize; j++) out[outOffset + j] = this.#loc[j];
    return out;
  }

  /** An action drawn from the Gaussian: mean + std·ε, ε ∼ N(0, 1) from `rng`. */
  sample(obs: ArrayLike<number>, rng: Rng, out: Float64Array | Float32Array, offset = 0, outOffset = 0): Float64Array | Float32Array {
    this.#forward(obs, offset);
    for (let j = 0; j < this.actionSize; j++) out[outOffset + j] = this.#loc[j] + this.#scale[j] * rng.normal();
    return out;
  }

  /** The std of the last forward pass (a live view). */
  get lastStd(): Float64Array {
    return this.#scale;
  }

  #forward(obs: ArrayLike<number>, offset: number): void {
    const O = this.observationSize;
    const x = this.#x;
    const clip = this.#clip;
    for (let i = 0; i < O; i++) {
      let v = (obs[offset + i] - this.#mean[i]) / this.#std[i];
      if (v > clip) v = clip;
      else if (v < -clip) v = -clip;
      x[i] = v;
    }
    let input: Float64Array = x;
    const nh = this.#h.length;
    for (let l = 0; l < nh; l++) {
      const h = this.#h[l];
      dense(input, this.#kernels[l], this.#biases[l], h);
      for (let j = 0; j < h.length; j++) if (h[j] < 0) h[j] = 0;
      input = h;
    }
    const loc = this.#loc;
    const scale = this.#scale;
    dense(input, this.#kernels[nh], this.#biases[nh], loc);
    dense(input, this.#kernels[nh + 1], this.#biases[nh + 1], scale);
    for (let j = 0; j < this.actionSize; j++) {
      loc[j] = Math.tanh(loc[j]);
      const z = scale[j];
      let s = z > 20 ? z : Math.log1p(Math.exp(z));
      if (s < this.#stdMin) s = this.#stdMin;
      else if (s > this.#stdMax) s = this.#stdMax;
      scale[j] = s;
    }
  }
}

/** out = xᵀW + b, W [in, out] row-major. */
function dense(x: Float64Array, w: Float32Array, b: Float32Array, out: Float64Array): void {
  const n = out.length;
  const m = x.length;
  for (let j = 0; j < n; j++) out[j] = b[j];
  for (let i = 0; i < m; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * n;
    for (let j = 0; j < n; j++) out[j] += xi * w[row + j];
  }
}
