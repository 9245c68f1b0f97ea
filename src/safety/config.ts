/**
 * The safety configuration: arbitration sources and locks (twist_mux's fields: name, priority,
 * timeout), muscle groups, the safe command, the hand-over ramp and the limits. Read from YAML or
 * JSON (`--safety FILE`), merged over the defaults, validated with readable errors.
 *
 * ```yaml
 * groups: auto               # auto | per_muscle | all | {group: [muscle, ...]}
 * safe_command: zero         # zero (each muscle's safe command) | hold (the last command)
 * transition_sec: 0.5        # hand-over ramp: seconds to cross a muscle's whole range; 0: none
 * sources:                   # configuration order breaks priority ties
 *   - {name: teleop, priority: 100, timeout: 0.5}
 *   - {name: joy, priority: 90, timeout: 0.5}
 *   - {name: policy, priority: 50, timeout: 0.5}
 *   - {name: dep, priority: 10, controller: true}
 * locks:
 *   - {name: pause, priority: 200, timeout: 0}
 * limits:
 *   max_rate: 5.0            # command units per second, one number or one per muscle
 *   min: [0, 0, 0, 0, 0, 0]  # per muscle (default: the spec's range)
 *   max: [1, 1, 1, 1, 1, 1]
 * ```
 */
import { UserError } from "../core/errors.js";
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { CommandLimitsOptions } from "../loop/CommandLimits.js";
import type { LockConfig, SafeMode, SourceConfig } from "./Arbiter.js";
import type { MuscleGroupsConfig } from "./MuscleGroups.js";

export class SafetyConfigError extends UserError {
  override name = "SafetyConfigError";
}

/** Source names the API and the teleop inputs feed. */
export const TELEOP_SOURCE = "teleop";
export const JOY_SOURCE = "joy";
export const POLICY_SOURCE = "policy";

export interface SafetyConfig {
  readonly groups: MuscleGroupsConfig;
  readonly safeMode: SafeMode;
  readonly transitionSec: number;
  readonly sources: readonly SourceConfig[];
  readonly locks: readonly LockConfig[];
  readonly limits: CommandLimitsOptions;
}

/** The defaults: teleop over joy over a policy over the loop's controller (named `controllerName`). */
export function defaultSafetyConfig(controllerName = "dep"): SafetyConfig {
  return {
    groups: "auto",
    safeMode: "zero",
    transitionSec: 0.5,
    sources: [
      { name: TELEOP_SOURCE, priority: 100, timeoutSec: 0.5 },
      { name: JOY_SOURCE, priority: 90, timeoutSec: 0.5 },
      { name: POLICY_SOURCE, priority: 50, timeoutSec: 0.5 },
      { name: controllerName, priority: 10, timeoutSec: 0, controller: true },
    ],
    locks: [],
    limits: {},
  };
}

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: "names are a letter, then letters, digits or underscores" });
const priority = z.number().int().min(0).max(255);
const timeout = z.number().min(0).refine(Number.isFinite, { error: "timeout must be finite (0 for never)" });
const numbers = z.union([z.number(), z.array(z.number())]);

const fileSchema = z
  .object({
    groups: z.union([z.enum(["auto", "per_muscle", "all"]), z.record(z.string(), z.array(z.string()))]).optional(),
    safe_command: z.enum(["zero", "hold"]).optional(),
    transition_sec: z.number().min(0).optional(),
    sources: z.array(z.object({ name, priority, timeout: timeout.optional(), controller: z.boolean().optional() }).strict()).min(1).optional(),
    locks: z.array(z.object({ name, priority, timeout }).strict()).optional(),
    limits: z.object({ max_rate: numbers.optional(), min: z.array(z.number()).optional(), max: z.array(z.number()).optional() }).strict().optional(),
  })
  .strict();

/** Parses a configuration (YAML or JSON text) over the defaults. Throws `SafetyConfigError`. */
export function parseSafetyConfig(text: string, file: string, controllerName = "dep"): SafetyConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SafetyConfigError(`safety file '${file}': ${(err as Error).message.split("\n")[0]}`);
  }
  const r = fileSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new SafetyConfigError(`safety file '${file}': ${where}${issue.message}`);
  }
  const f = r.data;
  const d = defaultSafetyConfig(controllerName);
  const sources = f.sources
    ? f.sources.map((s) => {
        if (s.timeout === undefined && !s.controller) throw new SafetyConfigError(`safety file '${file}': source '${s.name}' needs a timeout (s; 0 for never)`);
        return { name: s.name, priority: s.priority, timeoutSec: s.timeout ?? 0, controller: s.controller ?? false };
      })
    : d.sources;
  return {
    groups: f.groups ?? d.groups,
    safeMode: f.safe_command ?? d.safeMode,
    transitionSec: f.transition_sec ?? d.transitionSec,
    sources,
    locks: f.locks ? f.locks.map((l) => ({ name: l.name, priority: l.priority, timeoutSec: l.timeout })) : d.locks,
    limits: { maxRatePerSec: f.limits?.max_rate, min: f.limits?.min, max: f.limits?.max },
  };
}

export function readSafetyConfig(file: string, controllerName = "dep"): SafetyConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new SafetyConfigError(`cannot read safety file '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseSafetyConfig(text, file, controllerName);
}
