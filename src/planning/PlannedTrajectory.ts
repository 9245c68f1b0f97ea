/**
 * The part of a plan's predicted states that a task controls, for the planner's topics: the
 * site's position (x, y, z) for reach and path, the target joints' angles for pose, the joint's
 * velocity for velocity. When the planner's state has no such entries (a world model learned
 * without the site), all joint angles.
 *
 * `fill` copies from a plan's states into the buffer sized here, once per adopted plan; nothing
 * is allocated after construction.
 */
import type { StateLayout } from "../models/types.js";
import type { TaskSpec } from "../tasks/TaskSpec.js";

export class PlannedTrajectory {
  readonly horizon: number;
  /** Names of the columns: `fingertip.x`, a joint's name, ... */
  readonly columns: readonly string[];
  /** [horizon x columns], row-major: the last filled plan. */
  readonly values: Float64Array;
  readonly #indices: Int32Array;
  readonly #stateDim: number;

  constructor(task: TaskSpec, layout: StateLayout, horizon: number) {
    const columns: string[] = [];
    const indices: number[] = [];
    const group = (kind: string) => layout.groups.find((g) => g.kind === kind);
    if (task.kind === "reach" || task.kind === "path") {
      const g = group("site_position");
      const k = g ? g.names.indexOf(task.site) : -1;
      if (g && k >= 0) for (let a = 0; a < 3; a++) (columns.push(`${task.site}.${"xyz"[a]}`), indices.push(g.offset + 3 * k + a));
    } else {
      const g = group(task.kind === "pose" ? "joint_angle" : "joint_velocity");
      const names = task.kind === "pose" ? Object.keys(task.joints) : [task.joint];
      for (const name of names) {
        const k = g ? g.names.indexOf(name) : -1;
        if (g && k >= 0) (columns.push(name), indices.push(g.offset + k));
      }
    }
    if (indices.length === 0) {
      const g = group("joint_angle");
      g?.names.forEach((name, k) => (columns.push(name), indices.push(g.offset + k)));
    }
    this.horizon = horizon;
    this.columns = columns;
    this.values = new Float64Array(horizon * columns.length);
    this.#indices = Int32Array.from(indices);
    this.#stateDim = layout.size;
  }

  /** Copies the controlled entries of `states` ([horizon x stateDim], the plan's) into `values`; steps the plan lacks stay NaN. */
  fill(states: ArrayLike<number>): Float64Array {
    const c = this.#indices.length;
    const s = this.#stateDim;
    for (let t = 0; t < this.horizon; t++) {
      const have = (t + 1) * s <= states.length;
      for (let i = 0; i < c; i++) this.values[t * c + i] = have ? states[t * s + this.#indices[i]] : Number.NaN;
    }
    return this.values;
  }
}
