/**
 * "Standard noise exploration", the baseline DEP is compared against: every tick, each muscle's
 * command is drawn independently and uniformly from its command range. Seeded.
 */
import type { Controller } from "../core/controller.js";
import type { SensorFrame } from "../core/frames.js";
import { Rng } from "../core/rng.js";
import type { RobotSpec } from "../core/spec.js";

export class UniformNoiseController implements Controller {
  readonly name = "noise";
  readonly #rng: Rng;
  #lo = new Float64Array(0);
  #hi = new Float64Array(0);
  #out = new Float64Array(0);

  constructor(options: { seed: number }) {
    this.#rng = new Rng(options.seed);
  }

  configure(spec: RobotSpec): void {
    this.#lo = Float64Array.from(spec.muscles.map((m) => m.commandMin));
    this.#hi = Float64Array.from(spec.muscles.map((m) => m.commandMax));
    this.#out = new Float64Array(spec.muscles.length);
  }

  update(_frame: SensorFrame, _dtSec: number): Float64Array {
    for (let i = 0; i < this.#out.length; i++) this.#out[i] = this.#rng.uniform(this.#lo[i], this.#hi[i]);
    return this.#out;
  }
}
