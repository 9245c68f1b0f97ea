/**
 * The control side's copy of a world model that a learner trains elsewhere (the learner worker,
 * the ROS 2 learner node): versioned weights arrive with `offer` (from the host's event loop,
 * between ticks), are copied into a spare ensemble there, and `latest()` swaps the spare in, a
 * pointer swap, and returns the newest model without awaiting or allocating. Code that runs at
 * control rate calls `latest()` once per tick (or per plan) and uses what it gets.
 *
 * Versions are the learner's model versions: an offer older than or equal to the newest one is
 * ignored. The first offer fixes the shape (state and action sizes, members, layers); an offer of
 * another shape throws ModelShapeError and changes nothing: the model in use stays.
 */
import { ProbabilisticEnsemble, type EnsembleState } from "../../models/ProbabilisticEnsemble.js";
import type { StateLayout } from "../../models/types.js";

export class ModelHolder {
  readonly #layout: (stateDim: number) => StateLayout;
  #active: ProbabilisticEnsemble | undefined;
  #spare: ProbabilisticEnsemble | undefined;
  #activeVersion = -1;
  #spareVersion = -1;
  #pending = false;
  #swaps = 0;

  /** `layout` names the state entries of the models offered (by their state size). */
  constructor(layout: (stateDim: number) => StateLayout) {
    this.#layout = layout;
  }

  /** The newest version offered (in use, or swapped in by the next `latest()`); −1 before any. */
  get version(): number {
    return this.#pending ? this.#spareVersion : this.#activeVersion;
  }

  /** The version `latest()` last returned (−1 before any). */
  get activeVersion(): number {
    return this.#activeVersion;
  }

  /** Models swapped in so far. */
  get swaps(): number {
    return this.#swaps;
  }

  /**
   * Takes a new version (copies its weights into the spare model). Call between ticks. Ignores
   * versions not newer than the newest; throws ModelShapeError (changing nothing) on a shape that
   * does not fit the first one.
   */
  offer(state: EnsembleState): void {
    if (state.version <= this.version) return;
    if (!this.#spare) {
      if (this.#active) {
        // Build the spare like the active model; it loads the offer below (and refuses a misfit).
        this.#spare = new ProbabilisticEnsemble(this.#active.layout, this.#active.actionDim, this.#active.config);
      } else {
        this.#spare = new ProbabilisticEnsemble(this.#layout(state.stateDim), state.actionDim, state.config);
      }
    }
    this.#spare.load(state);
    this.#spareVersion = state.version;
    this.#pending = true;
  }

  /** The newest model (swapped in now if one was offered since the last call); undefined before any. No await, no allocation. */
  latest(): ProbabilisticEnsemble | undefined {
    if (this.#pending) {
      const old = this.#active;
      this.#active = this.#spare;
      this.#spare = old;
      this.#activeVersion = this.#spareVersion;
      this.#pending = false;
      this.#swaps++;
    }
    return this.#active;
  }

  dispose(): void {
    this.#active?.dispose();
    this.#spare?.dispose();
    this.#active = undefined;
    this.#spare = undefined;
  }
}
