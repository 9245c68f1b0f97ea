/**
 * Joint-space coverage: how much of the joints' range of motion a run visited.
 *
 * Definition. Each joint's range [lo, hi] (its limits; for an unlimited joint, [-pi, pi]) is cut
 * into `bins` equal cells. A sample visits the cell that holds each joint's angle (angles outside
 * the range count in the edge cell).
 * - One joint: coverage = visited cells / bins.
 * - Two or more joints: for every pair of joints (i, j), the fraction of the bins x bins grid of
 *   (q_i, q_j) that was visited; coverage is the mean over all pairs. For two joints this is
 *   exactly the visited fraction of the full joint-space grid; for more joints it avoids a grid of
 *   bins^J cells that no run could fill.
 * Coverage is in [0, 1]; 1 means every cell (of every pair's grid) was visited at least once.
 */
import type { JointSpec } from "../core/spec.js";

export class JointCoverage {
  readonly #bins: number;
  readonly #lo: Float64Array;
  readonly #width: Float64Array;
  readonly #cells: Int32Array;
  readonly #pairs: Array<[number, number]>;
  readonly #visited: Uint8Array[];
  readonly #visitedCount: Int32Array;
  #samples = 0;

  constructor(joints: readonly JointSpec[], options: { bins?: number } = {}) {
    const bins = options.bins ?? 20;
    if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`coverage bins must be an integer >= 2, got ${bins}`);
    if (joints.length === 0) throw new RangeError("coverage needs at least one joint");
    this.#bins = bins;
    const n = joints.length;
    this.#lo = new Float64Array(n);
    this.#width = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const [lo, hi] = joints[j].rangeRad ?? [-Math.PI, Math.PI];
      this.#lo[j] = lo;
      this.#width[j] = (hi - lo) / bins;
    }
    this.#cells = new Int32Array(n);
    this.#pairs = [];
    if (n === 1) this.#pairs.push([0, 0]);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) this.#pairs.push([i, j]);
    const cellsPerGrid = n === 1 ? bins : bins * bins;
    this.#visited = this.#pairs.map(() => new Uint8Array(cellsPerGrid));
    this.#visitedCount = new Int32Array(this.#pairs.length);
  }

  get samples(): number {
    return this.#samples;
  }

  /** Records one configuration (joint angles, rad, in the order of the joints given). */
  add(jointAngleRad: ArrayLike<number>): void {
    const n = this.#cells.length;
    for (let j = 0; j < n; j++) {
      const q = jointAngleRad[j];
      let c = Math.floor((q - this.#lo[j]) / this.#width[j]);
      if (!(c >= 0)) c = 0; // also NaN
      else if (c >= this.#bins) c = this.#bins - 1;
      this.#cells[j] = c;
    }
    for (let p = 0; p < this.#pairs.length; p++) {
      const [i, j] = this.#pairs[p];
      const cell = n === 1 ? this.#cells[0] : this.#cells[i] * this.#bins + this.#cells[j];
      const grid = this.#visited[p];
      if (grid[cell] === 0) {
        grid[cell] = 1;
        this.#visitedCount[p]++;
      }
    }
    this.#samples++;
  }

  /** The coverage (0..1) as defined above. */
  value(): number {
    const cellsPerGrid = this.#cells.length === 1 ? this.#bins : this.#bins * this.#bins;
    let sum = 0;
    for (let p = 0; p < this.#pairs.length; p++) sum += this.#visitedCount[p] / cellsPerGrid;
    return sum / this.#pairs.length;
  }
}
