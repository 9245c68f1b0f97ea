/**
 * Joystick teleop: sensor_msgs/Joy-shaped messages (axes in [-1, 1], buttons 0 or 1) to muscle
 * commands, submitted to the arbiter as one source ("joy" by default).
 *
 * Mapping (`JoyMapping`, from YAML or JSON):
 *
 * ```yaml
 * require_enable_button: true   # teleop_twist_joy's deadman: commands only while it is held
 * enable_button: 5
 * co_contraction: 0.0           # effort added to both sides of every mapped pair (0..1)
 * groups:                       # an axis drives a muscle group's effort in [-1, 1]
 *   elbow: {axis: 1, scale: 1.0}
 *   shoulder: {axis: 0, scale: -1.0}
 * buttons:                      # a held button: a fixed effort for a group
 *   - {button: 0, group: biarticular, effort: 0.6}
 * joints:                       # joint space: an axis drives the muscles that move a joint
 *   - {axis: 3, joint: elbow, scale: 1.0}
 * ```
 *
 * Effort to commands, for a group or a joint: its muscles are split into a positive side (names
 * with "flex") and a negative side (names with "ext"; without such names, the first and second
 * half). Effort e > 0 drives the positive side to co_contraction + e of its command range, the
 * negative side to co_contraction; e < 0 the other way round. A joint's muscles are those whose
 * name starts with the joint's name (elbow_flexor, elbow_extensor), or the lists given as
 * `positive` and `negative`.
 *
 * Deadman, as teleop_twist_joy: with `require_enable_button`, nothing is sent while the button
 * is up, and one zero-effort command is sent when it is released; the source then expires after
 * its timeout and the next priority (DEP) takes the groups back, ramping.
 */
import { UserError } from "../core/errors.js";
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { RobotSpec } from "../core/spec.js";
import type { Arbiter } from "./Arbiter.js";
import type { MuscleGroups } from "./MuscleGroups.js";

export class JoyMappingError extends UserError {
  override name = "JoyMappingError";
}

const mappingSchema = z
  .object({
    require_enable_button: z.boolean().default(true),
    enable_button: z.number().int().min(0).default(5),
    co_contraction: z.number().min(0).max(1).default(0),
    groups: z.record(z.string(), z.object({ axis: z.number().int().min(0), scale: z.number().default(1) }).strict()).default({}),
    buttons: z.array(z.object({ button: z.number().int().min(0), group: z.string(), effort: z.number().min(-1).max(1) }).strict()).default([]),
    joints: z
      .array(
        z
          .object({
            axis: z.number().int().min(0),
            joint: z.string(),
            scale: z.number().default(1),
            positive: z.array(z.string()).optional(),
            negative: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type JoyMapping = z.infer<typeof mappingSchema>;

/** Validates a mapping (already parsed). Throws `JoyMappingError`. */
export function parseJoyMapping(raw: unknown, file = "joy mapping"): JoyMapping {
  const r = mappingSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new JoyMappingError(`${file}: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
  }
  return r.data;
}

export function readJoyMapping(file: string): JoyMapping {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new JoyMappingError(`cannot read joy mapping '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new JoyMappingError(`joy mapping '${file}': ${(err as Error).message.split("\n")[0]}`);
  }
  return parseJoyMapping(raw, `joy mapping '${file}'`);
}

/** The default: axis k drives group k, the enable button (5) required. */
export function defaultJoyMapping(groups: MuscleGroups): JoyMapping {
  return parseJoyMapping({ groups: Object.fromEntries(groups.names.map((g, k) => [g, { axis: k }])) });
}

/** A pair of sides: muscle indexes driven by positive and by negative effort. */
interface Sides {
  readonly positive: Int32Array;
  readonly negative: Int32Array;
}

interface Drive {
  readonly axis: number;
  readonly button: number;
  readonly scale: number;
  readonly effort: number;
  readonly sides: Sides;
  /** Group indexes the drive's muscles belong to. */
  readonly groups: readonly number[];
}

export class JoyTeleop {
  readonly source: string;
  readonly mapping: JoyMapping;
  readonly #arbiter: Arbiter;
  readonly #spec: RobotSpec;
  readonly #drives: Drive[];
  readonly #values: Float64Array;
  readonly #groups: number[];
  readonly #efforts: Float64Array;
  #active = false;

  constructor(options: { arbiter: Arbiter; mapping?: JoyMapping; source?: string }) {
    const { arbiter } = options;
    this.#arbiter = arbiter;
    this.#spec = arbiter.spec;
    this.source = options.source ?? "joy";
    if (arbiter.sourceIndex(this.source) < 0) throw new JoyMappingError(`the arbiter has no source '${this.source}' for the joystick`);
    this.mapping = options.mapping ?? defaultJoyMapping(arbiter.groups);
    const groups = arbiter.groups;
    const names = this.#spec.muscles.map((m) => m.name);
    const groupDrive = (g: string): Sides => {
      const gi = groups.indexOf(g);
      if (gi < 0) throw new JoyMappingError(`joy mapping: no muscle group '${g}' (groups: ${groups.names.join(", ")})`);
      return splitSides(Array.from(groups.muscles[gi]), names);
    };
    const drives: Drive[] = [];
    for (const [g, m] of Object.entries(this.mapping.groups)) {
      const sides = groupDrive(g);
      drives.push({ axis: m.axis, button: -1, scale: m.scale, effort: 0, sides, groups: [groups.indexOf(g)] });
    }
    for (const b of this.mapping.buttons) {
      const sides = groupDrive(b.group);
      drives.push({ axis: -1, button: b.button, scale: 1, effort: b.effort, sides, groups: [groups.indexOf(b.group)] });
    }
    for (const j of this.mapping.joints) {
      const pick = (list: readonly string[] | undefined, fallback: (n: string) => boolean): number[] => {
        if (list) {
          return list.map((n) => {
            const i = names.indexOf(n);
            if (i < 0) throw new JoyMappingError(`joy mapping: joint '${j.joint}': no muscle '${n}'`);
            return i;
          });
        }
        return names.map((n, i) => (fallback(n) ? i : -1)).filter((i) => i >= 0);
      };
      const own = (n: string): boolean => n.toLowerCase().startsWith(j.joint.toLowerCase());
      const positive = pick(j.positive, (n) => own(n) && /flex/i.test(n));
      const negative = pick(j.negative, (n) => own(n) && /ext/i.test(n));
      if (positive.length + negative.length === 0) {
        throw new JoyMappingError(`joy mapping: no muscles found for joint '${j.joint}'; list them as 'positive' and 'negative'`);
      }
      const touched = [...new Set([...positive, ...negative].map((i) => groups.groupOf[i]))];
      drives.push({ axis: j.axis, button: -1, scale: j.scale, effort: 0, sides: { positive: Int32Array.from(positive), negative: Int32Array.from(negative) }, groups: touched });
    }
    this.#drives = drives;
    this.#groups = [...new Set(drives.flatMap((d) => d.groups))].sort((a, b) => a - b);
    this.#values = new Float64Array(names.length);
    this.#efforts = new Float64Array(names.length);
  }

  /** Whether the deadman is held (or not required) as of the last message. */
  get active(): boolean {
    return this.#active;
  }

  /** One Joy message. Allocates nothing. */
  onJoy(axes: ArrayLike<number>, buttons: ArrayLike<number>): void {
    const m = this.mapping;
    const enabled = !m.require_enable_button || (buttons[m.enable_button] ?? 0) === 1;
    if (!enabled) {
      if (this.#active) {
        this.#active = false;
        this.#submit(true, axes, buttons);
      }
      return;
    }
    this.#active = true;
    this.#submit(false, axes, buttons);
  }

  #submit(zero: boolean, axes: ArrayLike<number>, buttons: ArrayLike<number>): void {
    const efforts = this.#efforts;
    efforts.fill(0);
    if (!zero) {
      for (const d of this.#drives) {
        let e: number;
        if (d.button >= 0) e = (buttons[d.button] ?? 0) === 1 ? d.effort : 0;
        else e = (axes[d.axis] ?? 0) * d.scale;
        if (!Number.isFinite(e)) e = Number.NaN;
        else if (e > 1) e = 1;
        else if (e < -1) e = -1;
        for (const i of d.sides.positive) efforts[i] += e > 0 ? e : 0;
        for (const i of d.sides.negative) efforts[i] += e < 0 ? -e : 0;
      }
    }
    const cc = this.mapping.co_contraction;
    const muscles = this.#spec.muscles;
    for (let i = 0; i < muscles.length; i++) {
      const lo = muscles[i].commandMin;
      const hi = muscles[i].commandMax;
      let f = cc + efforts[i];
      if (f > 1) f = 1;
      this.#values[i] = lo + (hi - lo) * f;
    }
    this.#arbiter.submitMuscles(this.source, this.#values, this.#groups);
  }
}

/** Positive side: names with "flex"; negative: "ext"; otherwise the first and second half. */
function splitSides(muscles: number[], names: readonly string[]): Sides {
  const pos = muscles.filter((i) => /flex/i.test(names[i]));
  const neg = muscles.filter((i) => /ext/i.test(names[i]));
  if (pos.length + neg.length === muscles.length && pos.length > 0 && neg.length > 0) return { positive: Int32Array.from(pos), negative: Int32Array.from(neg) };
  const half = Math.ceil(muscles.length / 2);
  return { positive: Int32Array.from(muscles.slice(0, half)), negative: Int32Array.from(muscles.slice(half)) };
}

/**
 * A group's command for an effort in [-1, 1] (the same split as the joystick's): one value per
 * muscle of the group, in spec order. For the keyboard and the WebSocket's `effort` commands.
 */
export function groupEffortCommand(spec: RobotSpec, groups: MuscleGroups, group: number, effort: number, coContraction = 0): number[] {
  const muscles = Array.from(groups.muscles[group]);
  const sides = splitSides(muscles, spec.muscles.map((m) => m.name));
  const e = Number.isFinite(effort) ? Math.max(-1, Math.min(1, effort)) : Number.NaN;
  return muscles.map((i) => {
    const drive = sides.positive.includes(i) ? (e > 0 ? e : 0) : e < 0 ? -e : 0;
    const f = Number.isNaN(e) ? Number.NaN : Math.min(1, coContraction + drive);
    const m = spec.muscles[i];
    return m.commandMin + (m.commandMax - m.commandMin) * f;
  });
}
