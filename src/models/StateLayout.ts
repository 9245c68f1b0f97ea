/**
 * State layouts from a short spec, and the state vector of a sensor frame in that layout.
 *
 * A spec is a comma-separated list of `kind:names`, names joined by `+`, `*` for all of a kind:
 *
 *   joint_angle:*,joint_velocity:*,site_position:fingertip
 *   muscle_force:*,joint_angle:shoulder+elbow
 *
 * Kinds are the `StateGroupKind`s of ./types.ts. Joints and muscles are those of the robot spec;
 * sites are the MuJoCo model's (a simulator only: recordings and hardware have none).
 */
import { UserError } from "../core/errors.js";
import type { SensorFrame } from "../core/frames.js";
import type { StateGroup, StateGroupKind, StateLayout } from "./types.js";

export const STATE_GROUP_KINDS: readonly StateGroupKind[] = [
  "joint_angle",
  "joint_velocity",
  "muscle_length",
  "muscle_velocity",
  "muscle_force",
  "muscle_activation",
  "site_position",
];

/** The layout `tendon` uses when none is given: every joint angle and velocity. */
export const DEFAULT_STATE_SPEC = "joint_angle:*,joint_velocity:*";

/** A state spec that cannot be built for this body: the user's to fix (one line, names what is known). */
export class StateSpecError extends UserError {
  override name = "StateSpecError";
}

/** The names a layout can refer to. `sites` undefined: the source has no site positions. */
export interface StateNames {
  readonly joints: readonly string[];
  readonly muscles: readonly string[];
  readonly sites?: readonly string[];
}

function namesOf(kind: StateGroupKind, known: StateNames): { what: string; names: readonly string[] | undefined } {
  if (kind.startsWith("joint_")) return { what: "joint", names: known.joints };
  if (kind.startsWith("muscle_")) return { what: "muscle", names: known.muscles };
  return { what: "site", names: known.sites };
}

/** Parses `spec` against the names of a body; throws `StateSpecError` naming the unknown part and listing the known ones. */
export function parseStateSpec(spec: string, known: StateNames): StateLayout {
  const parts = spec.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new StateSpecError(`empty state spec: give e.g. '${DEFAULT_STATE_SPEC}'`);
  const groups: StateGroup[] = [];
  let offset = 0;
  for (const part of parts) {
    const colon = part.indexOf(":");
    const kind = (colon < 0 ? part : part.slice(0, colon)).trim() as StateGroupKind;
    if (!STATE_GROUP_KINDS.includes(kind)) {
      throw new StateSpecError(`unknown state kind '${kind}' in '${part}': use one of ${STATE_GROUP_KINDS.join(", ")}`);
    }
    const { what, names: available } = namesOf(kind, known);
    if (available === undefined) {
      throw new StateSpecError(`'${part}': this source has no ${what} positions (sites exist only in a MuJoCo simulation); drop it from the state spec`);
    }
    const wanted = colon < 0 ? "*" : part.slice(colon + 1).trim();
    let names: string[];
    if (wanted === "*" || wanted === "") {
      names = [...available];
      if (names.length === 0) throw new StateSpecError(`'${part}': the body has no ${what}s`);
    } else {
      names = wanted.split("+").map((n) => n.trim());
      for (const n of names) {
        if (!available.includes(n)) {
          throw new StateSpecError(`unknown ${what} '${n}' in '${part}': known ${what}s are ${available.length ? available.join(", ") : "(none)"}`);
        }
      }
    }
    if (groups.some((g) => g.kind === kind && g.names.some((n) => names.includes(n)))) {
      throw new StateSpecError(`'${part}' repeats a ${what} already in the state spec`);
    }
    const size = kind === "site_position" ? 3 * names.length : names.length;
    groups.push({ kind, names, offset, size });
    offset += size;
  }
  return { groups, size: offset };
}

/** The spec string of a layout (the inverse of `parseStateSpec`, with names spelled out). */
export function formatStateSpec(layout: StateLayout): string {
  return layout.groups.map((g) => `${g.kind}:${g.names.join("+")}`).join(",");
}

/** The first group of `kind` (and, if given, the one holding `name`), or undefined. */
export function findGroup(layout: StateLayout, kind: StateGroupKind, name?: string): StateGroup | undefined {
  return layout.groups.find((g) => g.kind === kind && (name === undefined || g.names.includes(name)));
}

/** Index range [start, end) of one named entry (a site's three coordinates, a joint's one). */
export function entryRange(layout: StateLayout, kind: StateGroupKind, name: string): [number, number] {
  const g = findGroup(layout, kind, name);
  if (!g) throw new StateSpecError(`the state has no ${kind} '${name}': it holds ${formatStateSpec(layout)}`);
  const width = kind === "site_position" ? 3 : 1;
  const i = g.names.indexOf(name);
  return [g.offset + width * i, g.offset + width * (i + 1)];
}

/** A label per state entry ("joint_angle:elbow", "site_position:fingertip.x"), for tables and CSV headers. */
export function entryLabels(layout: StateLayout): string[] {
  const out: string[] = [];
  for (const g of layout.groups) {
    for (const n of g.names) {
      if (g.kind === "site_position") for (const c of ["x", "y", "z"]) out.push(`${g.kind}:${n}.${c}`);
      else out.push(`${g.kind}:${n}`);
    }
  }
  return out;
}

/** Reads site positions (3 per id) into `out`: MujocoBridge.readSitePositions, or a test double. */
export type SitePositionReader = (ids: Int32Array, out: Float64Array) => void;

/**
 * Fills state vectors in a layout from sensor frames. Index maps are built once; `fill` allocates
 * nothing, so it can run at control rate.
 */
export class FrameStateReader {
  readonly layout: StateLayout;
  readonly #index: Int32Array[];
  readonly #siteIds: Int32Array;
  readonly #sitePos: Float64Array;
  readonly #readSites: SitePositionReader | undefined;

  constructor(layout: StateLayout, known: StateNames, readSites?: SitePositionReader) {
    this.layout = layout;
    this.#index = layout.groups.map((g) => {
      const { names } = namesOf(g.kind, known);
      return Int32Array.from(g.names, (n) => (names ?? []).indexOf(n));
    });
    const sites = layout.groups.filter((g) => g.kind === "site_position").flatMap((g) => g.names);
    this.#siteIds = Int32Array.from(sites, (n) => (known.sites ?? []).indexOf(n));
    this.#sitePos = new Float64Array(3 * sites.length);
    if (sites.length > 0 && !readSites) throw new StateSpecError("the state holds site positions but this source cannot read them (a MuJoCo simulation can)");
    this.#readSites = readSites;
  }

  /** Writes the state of `frame` into `out` at `offset` (site positions from the reader, read now). */
  fill(frame: SensorFrame, out: Float32Array | Float64Array, offset = 0): void {
    if (this.#siteIds.length > 0) this.#readSites!(this.#siteIds, this.#sitePos);
    let site = 0;
    const groups = this.layout.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi];
      const idx = this.#index[gi];
      const o = offset + g.offset;
      if (g.kind === "site_position") {
        for (let k = 0; k < idx.length; k++, site++) {
          out[o + 3 * k] = this.#sitePos[3 * site];
          out[o + 3 * k + 1] = this.#sitePos[3 * site + 1];
          out[o + 3 * k + 2] = this.#sitePos[3 * site + 2];
        }
        continue;
      }
      const src = sourceArray(frame, g.kind);
      for (let k = 0; k < idx.length; k++) out[o + k] = src[idx[k]];
    }
  }
}

function sourceArray(frame: SensorFrame, kind: StateGroupKind): Float64Array {
  switch (kind) {
    case "joint_angle":
      return frame.jointAngleRad;
    case "joint_velocity":
      return frame.jointVelocityRadps;
    case "muscle_length":
      return frame.muscleLengthM;
    case "muscle_velocity":
      return frame.muscleVelocityMps;
    case "muscle_force":
      return frame.muscleForceN;
    case "muscle_activation":
      return frame.muscleActivation;
    default:
      throw new StateSpecError(`no frame array for ${kind}`);
  }
}
