/**
 * Muscle groups: the unit of ownership in arbitration. Teleop may own one group (the elbow pair)
 * while DEP keeps the others. Groups partition the muscles: every muscle is in exactly one group.
 *
 * Ways to define them (`MuscleGroupsConfig`):
 * - "auto" (the default): muscles named `<group>_<role>` are grouped by `<group>` when every
 *   muscle has such a name and some group holds two or more ("shoulder_flexor",
 *   "shoulder_extensor" -> "shoulder"; the built-in arm gets shoulder, elbow and biarticular);
 *   otherwise one group per muscle;
 * - "per_muscle": one group per muscle, named after it;
 * - "all": one group "all";
 * - an object { group: [muscle names] }: muscles left out get a group of their own.
 */
import { UserError } from "../core/errors.js";
import type { RobotSpec } from "../core/spec.js";

export type MuscleGroupsConfig = "auto" | "per_muscle" | "all" | Readonly<Record<string, readonly string[]>>;

export class MuscleGroupsError extends UserError {
  override name = "MuscleGroupsError";
}

export class MuscleGroups {
  /** Group names, in order. */
  readonly names: readonly string[];
  /** Muscle indexes of each group, in spec order. */
  readonly muscles: readonly Int32Array[];
  /** The group index of each muscle. */
  readonly groupOf: Int32Array;
  readonly muscleNames: readonly string[];

  private constructor(names: string[], muscles: Int32Array[], muscleCount: number, muscleNames: readonly string[]) {
    this.names = names;
    this.muscles = muscles;
    this.muscleNames = muscleNames;
    this.groupOf = new Int32Array(muscleCount).fill(-1);
    muscles.forEach((list, g) => list.forEach((i) => (this.groupOf[i] = g)));
  }

  get count(): number {
    return this.names.length;
  }

  /** The index of a group, or -1. */
  indexOf(name: string): number {
    return this.names.indexOf(name);
  }

  /** Group name -> muscle names, for status output. */
  toJSON(): Record<string, string[]> {
    return Object.fromEntries(this.names.map((n, g) => [n, Array.from(this.muscles[g], (i) => this.muscleNames[i])]));
  }

  /** Builds the groups for a spec. Throws `MuscleGroupsError` for unknown or repeated muscles. */
  static resolve(spec: RobotSpec, config: MuscleGroupsConfig = "auto"): MuscleGroups {
    const names = spec.muscles.map((m) => m.name);
    const n = names.length;
    const build = (entries: [string, number[]][]): MuscleGroups =>
      new MuscleGroups(
        entries.map(([g]) => g),
        entries.map(([, list]) => Int32Array.from(list)),
        n,
        names,
      );
    if (config === "all") return build([["all", names.map((_, i) => i)]]);
    if (config === "per_muscle") return build(names.map((m, i) => [m, [i]]));
    if (config === "auto") {
      const byPrefix = new Map<string, number[]>();
      let allNamed = n > 0;
      names.forEach((m, i) => {
        const cut = m.lastIndexOf("_");
        if (cut <= 0) {
          allNamed = false;
          return;
        }
        const g = m.slice(0, cut);
        byPrefix.set(g, [...(byPrefix.get(g) ?? []), i]);
      });
      if (allNamed && [...byPrefix.values()].some((l) => l.length > 1)) return build([...byPrefix.entries()]);
      return build(names.map((m, i) => [m, [i]]));
    }
    const entries: [string, number[]][] = [];
    const taken = new Map<number, string>();
    for (const [g, list] of Object.entries(config)) {
      if (list.length === 0) throw new MuscleGroupsError(`muscle group '${g}' is empty`);
      const idx: number[] = [];
      for (const m of list) {
        const i = names.indexOf(m);
        if (i < 0) throw new MuscleGroupsError(`muscle group '${g}': no muscle '${m}' in ${spec.name} (muscles: ${names.join(", ")})`);
        const other = taken.get(i);
        if (other !== undefined) throw new MuscleGroupsError(`muscle '${m}' is in two groups, '${other}' and '${g}'`);
        taken.set(i, g);
        idx.push(i);
      }
      entries.push([g, idx.sort((a, b) => a - b)]);
    }
    names.forEach((m, i) => {
      if (taken.has(i)) return;
      if (entries.some(([g]) => g === m)) throw new MuscleGroupsError(`muscle '${m}' is in no group, and a group already has its name`);
      entries.push([m, [i]]);
    });
    return build(entries);
  }
}
