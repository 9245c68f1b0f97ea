/**
 * Adam (Kingma & Ba 2015), step for step as PyTorch's `torch.optim.Adam` (which the reference
 * trains with): bias-corrected moments, denominator √v̂ + ε, optional L2 weight decay added to
 * the gradient. Its state (step count and both moments) can be read and restored, so a
 * checkpoint resumes training exactly.
 */
import { tf } from "../tf/backend.js";

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
}

export interface AdamState {
  readonly step: number;
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
}

export class Adam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly #variables: readonly tf.Variable[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  #step = 0;

  constructor(variables: readonly tf.Variable[], options: AdamOptions) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.#variables = variables;
    this.#m = variables.map((v) => tf.variable(tf.zeros(v.shape), false));
    this.#v = variables.map((v) => tf.variable(tf.zeros(v.shape), false));
  }

  get variables(): readonly tf.Variable[] {
    return this.#variables;
  }

  /** One step; `grads[i]` is the gradient of `variables[i]` (the caller disposes it). */
  apply(grads: readonly tf.Tensor[]): void {
    this.#step++;
    const bc1 = 1 - Math.pow(this.beta1, this.#step);
    const bc2 = 1 - Math.pow(this.beta2, this.#step);
    const stepSize = this.learningRate / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      for (let i = 0; i < this.#variables.length; i++) {
        const p = this.#variables[i];
        let g = grads[i];
        if (this.weightDecay !== 0) g = tf.add(g, tf.mul(p, this.weightDecay));
        const m = tf.add(tf.mul(this.#m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.#v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), this.epsilon);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  state(): AdamState {
    return { step: this.#step, m: this.#m.map((t) => t.dataSync() as Float32Array), v: this.#v.map((t) => t.dataSync() as Float32Array) };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.#m.length || state.v.length !== this.#v.length) {
      throw new RangeError(`Adam.load: state for ${state.m.length} variables, optimizer has ${this.#m.length}`);
    }
    tf.tidy(() => {
      state.m.forEach((a, i) => this.#m[i].assign(tf.tensor(a, this.#m[i].shape)));
      state.v.forEach((a, i) => this.#v[i].assign(tf.tensor(a, this.#v[i].shape)));
    });
    this.#step = state.step;
  }

  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}
