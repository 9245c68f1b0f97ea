/**
 * Tasks as data: what to achieve, named by the model's own sites and joints, so one definition
 * works on any MJCF model (the built-in arms, MyoSuite's elbow and hand). A task file is YAML or
 * JSON holding one `TaskSpec`; `tendon plan --task reach --site fingertip` builds the same in flags.
 *
 *   reach     move `site` to `target` (m, world frame)
 *   pose      hold joint angles (rad): { shoulder: 0.3, elbow: 1.2 }
 *   path      move `site` through `waypoints` (m) in `durationSec`, linearly between them
 *   velocity  keep `joint` turning at `velocityRadps`
 *
 * Every task adds `effort`·mean(a²) per step (a = the action, in the command range), and is
 * judged over an episode of `episodeSec` (see Task.ts for the success criteria).
 */
import { UserError } from "../core/errors.js";
import type { StateNames } from "../models/StateLayout.js";

export type Vec3 = readonly [number, number, number];

interface Common {
  /** Episode length (s); default 2. */
  readonly episodeSec?: number;
  /** Weight of the mean squared action per step; default 0.01. */
  readonly effort?: number;
}

export type TaskSpec =
  | (Common & { readonly kind: "reach"; readonly site: string; readonly target: Vec3; readonly radiusM?: number })
  | (Common & { readonly kind: "pose"; readonly joints: Readonly<Record<string, number>>; readonly toleranceRad?: number })
  | (Common & { readonly kind: "path"; readonly site: string; readonly waypoints: readonly Vec3[]; readonly durationSec: number; readonly radiusM?: number })
  | (Common & { readonly kind: "velocity"; readonly joint: string; readonly velocityRadps: number; readonly toleranceRadps?: number });

export type TaskKind = TaskSpec["kind"];
export const TASK_KINDS: readonly TaskKind[] = ["reach", "pose", "path", "velocity"];

/** A task that does not fit the model or is malformed: one line, names what is known. */
export class TaskError extends UserError {
  override name = "TaskError";
}

/** The state entries a task reads, as a state spec fragment (see models/StateLayout.ts). */
export function taskStateSpec(spec: TaskSpec): string {
  switch (spec.kind) {
    case "reach":
    case "path":
      return `site_position:${spec.site}`;
    case "pose":
      return `joint_angle:${Object.keys(spec.joints).join("+")}`;
    case "velocity":
      return `joint_velocity:${spec.joint}`;
  }
}

/**
 * Checks a task (from a file, flags or code) and the names it uses against a body; returns it
 * typed. Throws `TaskError` with one line that says what was wrong.
 */
export function validateTask(raw: unknown, known: StateNames): TaskSpec {
  if (typeof raw !== "object" || raw === null) throw new TaskError("a task must be an object with a 'kind'");
  const t = raw as Record<string, unknown>;
  const kind = t.kind;
  if (typeof kind !== "string" || !TASK_KINDS.includes(kind as TaskKind)) {
    throw new TaskError(`unknown task '${String(kind)}': use one of ${TASK_KINDS.join(", ")}`);
  }
  const pos = (name: string, v: unknown, dflt?: number): number | undefined => {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new TaskError(`task ${kind}: ${name} must be a number > 0, got ${JSON.stringify(v)}`);
    return v;
  };
  pos("episodeSec", t.episodeSec);
  if (t.effort !== undefined && !(typeof t.effort === "number" && t.effort >= 0 && Number.isFinite(t.effort))) {
    throw new TaskError(`task ${kind}: effort must be a number >= 0, got ${JSON.stringify(t.effort)}`);
  }
  const site = (): string => {
    const s = t.site;
    const sites = known.sites ?? [];
    if (typeof s !== "string" || s === "") throw new TaskError(`task ${kind} needs a site: the model's sites are ${list(sites)}`);
    if (!sites.includes(s)) throw new TaskError(`unknown site '${s}' for task ${kind}: the model's sites are ${list(sites)}`);
    return s;
  };
  const joint = (j: unknown): string => {
    if (typeof j !== "string" || !known.joints.includes(j)) throw new TaskError(`unknown joint '${String(j)}' for task ${kind}: the model's joints are ${list(known.joints)}`);
    return j;
  };
  const vec3 = (name: string, v: unknown): Vec3 => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new TaskError(`task ${kind}: ${name} must be three numbers [x, y, z] in m, got ${JSON.stringify(v)}`);
    }
    return [v[0], v[1], v[2]];
  };
  switch (kind as TaskKind) {
    case "reach":
      site();
      vec3("target", t.target);
      pos("radiusM", t.radiusM);
      break;
    case "path": {
      site();
      const w = t.waypoints;
      if (!Array.isArray(w) || w.length < 2) throw new TaskError("task path: waypoints must list at least two [x, y, z] points");
      w.forEach((p, i) => vec3(`waypoint ${i}`, p));
      pos("durationSec", t.durationSec ?? Number.NaN);
      pos("radiusM", t.radiusM);
      break;
    }
    case "pose": {
      const j = t.joints;
      if (typeof j !== "object" || j === null || Object.keys(j).length === 0) throw new TaskError(`task pose: joints must map joint names to angles (rad): the model's joints are ${list(known.joints)}`);
      for (const [name, v] of Object.entries(j)) {
        joint(name);
        if (typeof v !== "number" || !Number.isFinite(v)) throw new TaskError(`task pose: the angle of '${name}' must be a number (rad), got ${JSON.stringify(v)}`);
      }
      pos("toleranceRad", t.toleranceRad);
      break;
    }
    case "velocity":
      joint(t.joint);
      if (typeof t.velocityRadps !== "number" || !Number.isFinite(t.velocityRadps)) throw new TaskError(`task velocity: velocityRadps must be a number, got ${JSON.stringify(t.velocityRadps)}`);
      pos("toleranceRadps", t.toleranceRadps);
      break;
  }
  return raw as TaskSpec;
}

function list(names: readonly string[]): string {
  if (names.length === 0) return "(none)";
  return names.length > 12 ? `${names.slice(0, 12).join(", ")}, ... (${names.length})` : names.join(", ");
}
