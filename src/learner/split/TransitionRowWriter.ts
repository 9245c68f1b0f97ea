/**
 * Transition rows (messages.ts) from a stream of observations and the actions applied between
 * them, `block` rows at a time: what a node that is not a policy (the planner node, learning its
 * world model online) sends to a learner on /transitions. Step k's observation completes the row
 * that began at step k − 1 with the action applied since; a non-finite observation breaks the chain
 * (no row spans it). No allocation per step: rows are written into one preallocated block, handed to `onBlock`
 * (which must copy what it keeps, e.g. with transitionRowsMessage) when full or on `flush()`.
 *
 * Rows carry reward 0, no reset or termination, the writer's stream and flags 0: a body without
 * episodes, whose learner only trains a world model on them.
 */
import { transitionOffsets, transitionRowSize } from "./messages.js";

export class TransitionRowWriter {
  readonly observationSize: number;
  readonly actionSize: number;
  readonly #block: Float64Array;
  readonly #capacity: number;
  readonly #rowSize: number;
  readonly #at: ReturnType<typeof transitionOffsets>;
  readonly #stream: number;
  readonly #onBlock: (count: number, data: Float64Array) => void;
  readonly #prev: Float64Array;
  #hasPrev = false;
  #count = 0;
  #rows = 0;

  constructor(o: { observationSize: number; actionSize: number; block: number; stream?: number; onBlock: (count: number, data: Float64Array) => void }) {
    if (!Number.isInteger(o.block) || o.block < 1) throw new RangeError(`transition block must be a positive integer, got ${o.block}`);
    this.observationSize = o.observationSize;
    this.actionSize = o.actionSize;
    this.#capacity = o.block;
    this.#rowSize = transitionRowSize(o.observationSize, o.actionSize);
    this.#at = transitionOffsets(o.observationSize, o.actionSize);
    this.#block = new Float64Array(o.block * this.#rowSize);
    this.#stream = o.stream ?? 0;
    this.#onBlock = o.onBlock;
    this.#prev = new Float64Array(o.observationSize);
  }

  /** Rows written so far (sent or pending). */
  get rows(): number {
    return this.#rows;
  }

  /**
   * The observation now and the action applied since the previous step (undefined: unknown, so no
   * row ends here). Observations or actions that are not finite break the chain instead of
   * reaching the learner.
   */
  step(observation: ArrayLike<number>, actionSincePrevious: ArrayLike<number> | undefined): void {
    const O = this.observationSize;
    const A = this.actionSize;
    if (!allFinite(observation, O)) {
      this.#hasPrev = false;
      return;
    }
    if (this.#hasPrev && actionSincePrevious && allFinite(actionSincePrevious, A)) {
      const base = this.#count * this.#rowSize;
      const b = this.#block;
      const at = this.#at;
      for (let i = 0; i < O; i++) b[base + i] = this.#prev[i];
      for (let i = 0; i < A; i++) b[base + at.action + i] = actionSincePrevious[i];
      b[base + at.reward] = 0;
      for (let i = 0; i < O; i++) b[base + at.next + i] = observation[i];
      b[base + at.reset] = 0;
      b[base + at.terminated] = 0;
      b[base + at.stream] = this.#stream;
      b[base + at.flags] = 0;
      this.#count++;
      this.#rows++;
      if (this.#count === this.#capacity) this.flush();
    }
    for (let i = 0; i < O; i++) this.#prev[i] = observation[i];
    this.#hasPrev = true;
  }

  /** Hands the rows written since the last block to `onBlock` (nothing when there are none). */
  flush(): void {
    if (this.#count === 0) return;
    const n = this.#count;
    this.#count = 0;
    this.#onBlock(n, this.#block);
  }
}

function allFinite(v: ArrayLike<number>, n: number): boolean {
  if (v.length < n) return false;
  for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}
