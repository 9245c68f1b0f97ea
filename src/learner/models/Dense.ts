/**
 * Fully connected layers held as TensorFlow.js variables, initialized from tendon's seeded
 * generator (PyTorch's default for `nn.Linear`: weights and biases uniform in ±1/√fan_in), so a
 * seed gives the same network on every backend.
 */
import { Rng } from "../../core/rng.js";
import { tf } from "../tf/backend.js";

export type Activation = "relu" | "tanh" | "none";

export interface DenseLayer {
  /** Logical name inside the model, e.g. "actor/torso/0". */
  readonly name: string;
  /** [input, output]. */
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly inputSize: number;
  readonly outputSize: number;
}

let nextScope = 0;

/** A prefix unique in this process: TensorFlow.js keeps one registry of variable names. */
export function uniqueScope(base: string): string {
  return `${base}${nextScope++}`;
}

export function createDense(scope: string, name: string, inputSize: number, outputSize: number, rng: Rng): DenseLayer {
  const bound = 1 / Math.sqrt(inputSize);
  const w = new Float32Array(inputSize * outputSize);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
  const b = new Float32Array(outputSize);
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
  const kernelValue = tf.tensor2d(w, [inputSize, outputSize]);
  const biasValue = tf.tensor1d(b);
  const layer = {
    name,
    kernel: tf.variable(kernelValue, true, `${scope}/${name}/kernel`),
    bias: tf.variable(biasValue, true, `${scope}/${name}/bias`),
    inputSize,
    outputSize,
  };
  kernelValue.dispose();
  biasValue.dispose();
  return layer;
}

/**
 * x·W with a gradient that transposes explicitly before multiplying: the WebAssembly backend's
 * matMul with a transposed operand runs about 20 times slower than a transpose and a plain
 * matMul, and TensorFlow.js's own gradient of matMul uses the transposed forms.
 */
export const matMul = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[1]) as tf.Tensor2D),
      tf.matMul(tf.transpose(saved[0]) as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
}) as never) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

export function activate(y: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  return activation === "relu" ? tf.relu(y) : activation === "tanh" ? tf.tanh(y) : y;
}

export function applyDense(layer: DenseLayer, x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  const y = tf.add(matMul(x, layer.kernel as tf.Tensor2D), layer.bias) as tf.Tensor2D;
  return activation === "relu" ? tf.relu(y) : activation === "tanh" ? tf.tanh(y) : y;
}

/** A stack of ReLU layers (the torso of the actor and of the critic). */
export class Mlp {
  readonly layers: readonly DenseLayer[];
  readonly outputSize: number;

  constructor(scope: string, name: string, inputSize: number, hiddenSizes: readonly number[], rng: Rng) {
    const layers: DenseLayer[] = [];
    let size = inputSize;
    hiddenSizes.forEach((h, i) => {
      layers.push(createDense(scope, `${name}/${i}`, size, h, rng));
      size = h;
    });
    this.layers = layers;
    this.outputSize = size;
  }

  apply(x: tf.Tensor2D, from = 0): tf.Tensor2D {
    let h = x;
    for (let i = from; i < this.layers.length; i++) h = applyDense(this.layers[i], h, "relu");
    return h;
  }
}

/** Every variable of `layers`, kernel then bias. */
export function layerVariables(layers: readonly DenseLayer[]): tf.Variable[] {
  return layers.flatMap((l) => [l.kernel, l.bias]);
}

/** Copies the values of `from` into `to` (same shapes), or Polyak-averages: to ← (1 − c)·to + c·from. */
export function copyLayers(from: readonly DenseLayer[], to: readonly DenseLayer[], coefficient = 1): void {
  tf.tidy(() => {
    for (let i = 0; i < from.length; i++) {
      for (const k of ["kernel", "bias"] as const) {
        const src = from[i][k];
        const dst = to[i][k];
        dst.assign(coefficient === 1 ? src : tf.add(tf.mul(dst, 1 - coefficient), tf.mul(src, coefficient)));
      }
    }
  });
}
