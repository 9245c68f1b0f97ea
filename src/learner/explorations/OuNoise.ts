/**
 * RL alone with temporally correlated ("colored") exploration noise: the policy acts on every
 * step with mean + std·z, where z is, per environment and muscle, a discretised Ornstein–Uhlenbeck
 * process with unit stationary variance, z ← ρ·z + √(1 − ρ²)·ε, ε ∼ N(0, 1), ρ = exp(−dt/τ).
 * The marginal of each action is the policy's own Gaussian (as with white noise), only its
 * samples are correlated over about `correlation_steps` steps. The noise state carries across
 * episode boundaries, like DEP's. Names after the OU action noise of DDPG and the colored-noise
 * exploration of Eberhard et al. (ICLR 2023): `ou_correlation_steps` τ/dt (default 10, 0.2 s at 50 Hz).
 */
import type { Rng } from "../../core/rng.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class OuNoise implements Exploration {
  readonly mode = "rl-ou" as const;
  readonly learns = true;
  readonly usesDep = false;
  readonly rho: number;
  readonly #z: Float64Array;
  readonly #rng: Rng;
  #started = false;

  /** `size` = environments × muscles; `correlationSteps` τ/dt > 0. */
  constructor(size: number, correlationSteps: number, rng: Rng) {
    if (!(correlationSteps > 0)) throw new RangeError(`ou_correlation_steps must be > 0, got ${correlationSteps}`);
    this.rho = Math.exp(-1 / correlationSteps);
    this.#z = new Float64Array(size);
    this.#rng = rng;
  }

  /** The current noise (a live view, E x n). */
  get noise(): Float64Array {
    return this.#z;
  }

  act(ctx: StepContext, out: Float64Array): Actor {
    const z = this.#z;
    const rng = this.#rng;
    if (!this.#started) {
      for (let i = 0; i < z.length; i++) z[i] = rng.normal();
      this.#started = true;
    } else {
      const r = this.rho;
      const s = Math.sqrt(1 - r * r);
      for (let i = 0; i < z.length; i++) z[i] = r * z[i] + s * rng.normal();
    }
    ctx.policyWithNoise(z, out);
    return "policy";
  }

  state(): Record<string, number | number[]> {
    return { started: this.#started ? 1 : 0, z: Array.from(this.#z), rng: Array.from(this.#rng.getState()) };
  }
  load(state: Record<string, number | number[]>): void {
    this.#started = Number(state.started ?? 0) === 1;
    if (Array.isArray(state.z) && state.z.length === this.#z.length) this.#z.set(state.z);
    if (Array.isArray(state.rng)) this.#rng.setState(state.rng);
  }
}
