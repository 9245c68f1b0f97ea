/**
 * DEP parameters: the reference implementation's names (martius-lab/depRL, `DEP` section of its
 * JSON configs), a few of this project's own, presets, and validation with messages a person can
 * act on.
 *
 * Parameter names are the reference's, snake_case, so that a `DEP` block copied from a reference
 * config can be used as is. Resolution order: defaults, then the preset, then the overrides
 * (the reference also applies an experiment's `DEP` block over its packaged defaults).
 */
import { UserError } from "../core/errors.js";
import { suggestName } from "../core/suggest.js";
import { z } from "zod";

export const DEP_NORMALIZATIONS = ["independent", "global", "none"] as const;
export const DEP_Q_NORM_SELECTORS = ["l2", "max", "none"] as const;
export const DEP_NORMALIZATION_AXES = ["column", "row"] as const;
export const DEP_PRESET_NAMES = ["default", "myosuite", "humanreacher", "ostrich"] as const;

export type DepNormalization = (typeof DEP_NORMALIZATIONS)[number];
export type DepQNormSelector = (typeof DEP_Q_NORM_SELECTORS)[number];
export type DepNormalizationAxis = (typeof DEP_NORMALIZATION_AXES)[number];
export type DepPresetName = (typeof DEP_PRESET_NAMES)[number];

/** A value as a person would want to see it in an error message. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export interface NumberRule {
  readonly int?: boolean;
  readonly min?: number;
  /** True: the value must be strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
  readonly max?: number;
}

function rangeText(rule: NumberRule): string {
  const kind = rule.int ? "an integer" : "a finite number";
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`${rule.exclusiveMin ? ">" : ">="} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
  return parts.length === 0 ? kind : `${kind} ${parts.join(" and ")}`;
}

function numberField(name: string, rule: NumberRule, advice: string) {
  const error = (iss: { input?: unknown }) => `${name} (${showValue(iss.input)}) must be ${rangeText(rule)}: ${advice}`;
  let schema = z.number({ error });
  if (rule.int) schema = schema.int({ error });
  if (rule.min !== undefined) schema = rule.exclusiveMin ? schema.gt(rule.min, { error }) : schema.gte(rule.min, { error });
  if (rule.max !== undefined) schema = schema.lte(rule.max, { error });
  return schema;
}

function enumField<const T extends readonly [string, ...string[]]>(name: string, values: T, advice: string) {
  const allowed = values.map((v) => JSON.stringify(v)).join(", ");
  return z.enum(values, { error: (iss) => `${name} (${showValue(iss.input)}) must be one of ${allowed}: ${advice}` });
}

function booleanField(name: string, advice: string) {
  return z.boolean({ error: (iss) => `${name} (${showValue(iss.input)}) must be true or false: ${advice}` });
}

/**
 * The ranges of DEP's numeric parameters, the one place they are written: the parameter
 * schema checks them, and the ROS controller node declares them as its parameters' ranges.
 */
export const DEP_NUMBER_RULES = {
  kappa: { min: 0, exclusiveMin: true, max: 1e6 },
  tau: { int: true, min: 3 },
  bias_rate: {},
  time_dist: { int: true, min: 0 },
  s4avg: { min: 0 },
  buffer_size: { int: true, min: 1 },
  sensor_delay: { int: true, min: 0 },
  regularization: { min: 0, max: 40 },
  force_scale: { min: 0 },
  intervention_length: { int: true, min: 1 },
  intervention_proba: { min: 0, max: 1 },
  test_episode_every: { min: 1 },
  rl_length: { int: true, min: 1 },
} as const satisfies Record<string, NumberRule>;

const fields = {
  kappa: numberField("kappa", DEP_NUMBER_RULES.kappa, "it is the loop gain; the default is 100, the MyoSuite configs use 1169.7"),
  tau: numberField(
    "tau",
    DEP_NUMBER_RULES.tau,
    "it is the learning window in control ticks (the window sums tau - 2 velocity products, so smaller values never learn); the default is 20",
  ),
  bias_rate: numberField("bias_rate", DEP_NUMBER_RULES.bias_rate, "a negative value switches the bias off; the default is 2e-5"),
  time_dist: numberField("time_dist", DEP_NUMBER_RULES.time_dist, "it is the delay in ticks between the correlated velocities; the default is 5"),
  normalization: enumField("normalization", DEP_NORMALIZATIONS, 'the reference default is "independent"'),
  normalization_axis: enumField(
    "normalization_axis",
    DEP_NORMALIZATION_AXES,
    '"column" applies the row-norm factors by column as the reference does; "row" is the textbook variant',
  ),
  s4avg: numberField("s4avg", DEP_NUMBER_RULES.s4avg, "it is the smoothing divisor; values <= 1 switch smoothing off; the default is 2"),
  buffer_size: numberField("buffer_size", DEP_NUMBER_RULES.buffer_size, "it must hold the learning window: at least tau + time_dist + 1; the default is 200"),
  sensor_delay: numberField("sensor_delay", DEP_NUMBER_RULES.sensor_delay, "it is accepted for compatibility with reference configs and not used"),
  regularization: numberField(
    "regularization",
    DEP_NUMBER_RULES.regularization,
    "the regularizer is 10^-regularization (the reference computes in float32, where 10^-45 is already 0); the default is 32",
  ),
  with_learning: booleanField("with_learning", "false freezes the controller matrix at zero (the output stays 0)"),
  q_norm_selector: enumField("q_norm_selector", DEP_Q_NORM_SELECTORS, 'the reference runs only "l2" (its default)'),
  force_scale: numberField("force_scale", DEP_NUMBER_RULES.force_scale, "it weighs the muscle force in the DEP input; 0 (the default) uses lengths only"),
  intervention_length: numberField("intervention_length", DEP_NUMBER_RULES.intervention_length, "it is how many ticks DEP acts when it takes over from the policy"),
  intervention_proba: numberField("intervention_proba", DEP_NUMBER_RULES.intervention_proba, "it is the probability per policy tick that DEP takes over"),
  test_episode_every: numberField("test_episode_every", DEP_NUMBER_RULES.test_episode_every, "every n-th episode is a test episode; use a huge value (1e10) for never"),
  rl_length: numberField("rl_length", DEP_NUMBER_RULES.rl_length, "it is how many ticks the policy acts between DEP interventions in deterministic switching"),
};

/**
 * The full parameter object. Reference names, plus this project's:
 * - `force_scale` (the reference keeps it in the environment's arguments): weight of the muscle
 *   force in the DEP input (see `MuscleInputNormalizer`);
 * - `normalization_axis`: how "independent" normalization applies its factors (see `Dep`).
 * `intervention_length`, `intervention_proba`, `test_episode_every` and `rl_length` are read by
 * the DEP-RL switch, not by the controller; they are optional and only validated here.
 * `sensor_delay` is accepted (reference configs carry it) but the reference's step never reads it.
 */
export const depParamsSchema = z
  .strictObject({
    kappa: fields.kappa,
    tau: fields.tau,
    bias_rate: fields.bias_rate,
    time_dist: fields.time_dist,
    normalization: fields.normalization,
    normalization_axis: fields.normalization_axis,
    s4avg: fields.s4avg,
    buffer_size: fields.buffer_size,
    sensor_delay: fields.sensor_delay,
    regularization: fields.regularization,
    with_learning: fields.with_learning,
    q_norm_selector: fields.q_norm_selector,
    force_scale: fields.force_scale,
    intervention_length: fields.intervention_length.optional(),
    intervention_proba: fields.intervention_proba.optional(),
    test_episode_every: fields.test_episode_every.optional(),
    rl_length: fields.rl_length.optional(),
  })
  .superRefine((p, ctx) => {
    const needed = p.tau + p.time_dist + 1;
    if (p.buffer_size < needed) {
      ctx.addIssue({
        code: "custom",
        path: ["buffer_size"],
        message:
          `buffer_size (${p.buffer_size}) must be >= tau + time_dist + 1 = ${p.tau} + ${p.time_dist} + 1 = ${needed}: ` +
          `raise buffer_size to at least ${needed} or lower tau or time_dist`,
      });
    }
  });

export type DepParams = z.infer<typeof depParamsSchema>;

/** Every parameter name the schema knows, in documentation order. */
export const DEP_PARAM_NAMES: readonly string[] = Object.freeze(Object.keys(depParamsSchema.shape));

/** The reference defaults (see the spec), plus this project's additions at their neutral values. */
export const DEP_DEFAULTS: Readonly<DepParams> = Object.freeze({
  kappa: 100,
  tau: 20,
  bias_rate: 2e-5,
  time_dist: 5,
  normalization: "independent",
  normalization_axis: "column",
  s4avg: 2,
  buffer_size: 200,
  sensor_delay: 1,
  regularization: 32,
  with_learning: true,
  q_norm_selector: "l2",
  force_scale: 0,
});

/**
 * Presets: overrides on top of the defaults, from the reference's experiment configs.
 * - myosuite: depRL's MyoSuite training files (myoLegWalk and siblings);
 * - humanreacher: the DEP-RL paper's human reacher config (force_scale from its env_args);
 * - ostrich: the DEP-RL paper's ostrich config (force_scale 0.0003 from its env_args).
 */
const PRESET_OVERRIDES: Readonly<Record<DepPresetName, Partial<DepParams>>> = {
  default: {},
  myosuite: {
    kappa: 1169.7,
    tau: 40,
    bias_rate: 0.002,
    time_dist: 5,
    s4avg: 2,
    buffer_size: 200,
    intervention_length: 5,
    intervention_proba: 0.0004,
    test_episode_every: 3,
  },
  humanreacher: {
    kappa: 1000,
    tau: 80,
    bias_rate: 2e-5,
    time_dist: 60,
    s4avg: 6,
    buffer_size: 600,
    force_scale: 0.04,
    intervention_length: 20,
    intervention_proba: 0.01,
    test_episode_every: 1e10,
  },
  ostrich: {
    kappa: 20,
    tau: 8,
    bias_rate: 0.03,
    time_dist: 5,
    s4avg: 1,
    buffer_size: 90,
    force_scale: 0.0003,
    intervention_length: 4,
    intervention_proba: 0.0004,
    test_episode_every: 3,
  },
};

/** Thrown for invalid parameters; `issues` holds one line per problem. */
export class DepParamsError extends UserError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], context: string) {
    super(
      issues.length === 1
        ? `invalid DEP parameters (${context}): ${issues[0]}`
        : `invalid DEP parameters (${context}):\n${issues.map((i) => `  - ${i}`).join("\n")}`,
    );
    this.name = "DepParamsError";
    this.issues = Object.freeze([...issues]);
  }
}

export interface ResolveDepParamsOptions {
  /** A preset name (see `DEP_PRESET_NAMES`); "default" when omitted. */
  readonly preset?: string;
  /** Overrides applied over the preset, reference names. */
  readonly params?: Partial<DepParams> | Readonly<Record<string, unknown>>;
}

/**
 * Defaults, then the preset, then `params`; validated. Returns a frozen object.
 * Throws `DepParamsError` naming each bad parameter, its value, the allowed range and a remedy;
 * unknown names are reported with a suggestion and the list of known names.
 */
export function resolveDepParams(options: ResolveDepParamsOptions = {}): DepParams {
  const presetName = options.preset ?? "default";
  const context = options.preset === undefined ? "defaults with overrides" : `preset ${JSON.stringify(presetName)} with overrides`;
  if (!(DEP_PRESET_NAMES as readonly string[]).includes(presetName)) {
    const hint = suggestName(presetName, DEP_PRESET_NAMES);
    throw new DepParamsError(
      [`unknown preset ${showValue(presetName)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}; known presets: ${DEP_PRESET_NAMES.join(", ")}`],
      "preset",
    );
  }
  const overrides: unknown = options.params ?? {};
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new DepParamsError([`params (${showValue(overrides)}) must be an object of parameter names to values, e.g. {"kappa": 100}`], context);
  }
  const unknownNames = Object.keys(overrides).filter((k) => !DEP_PARAM_NAMES.includes(k));
  if (unknownNames.length > 0) {
    const issues = unknownNames.map((k) => {
      const hint = suggestName(k, DEP_PARAM_NAMES);
      return `unknown parameter ${JSON.stringify(k)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}`;
    });
    issues.push(`known parameters: ${DEP_PARAM_NAMES.join(", ")}`);
    throw new DepParamsError(issues, context);
  }
  const merged: Record<string, unknown> = { ...DEP_DEFAULTS, ...PRESET_OVERRIDES[presetName as DepPresetName] };
  for (const [k, v] of Object.entries(overrides)) {
    // An explicit undefined (an optional field left out by a typed caller) keeps the preset's value.
    if (v !== undefined) merged[k] = v;
  }
  const result = depParamsSchema.safeParse(merged);
  if (!result.success) throw new DepParamsError(result.error.issues.map((i) => i.message), context);
  return Object.freeze(result.data);
}

/** The resolved parameters of every preset. */
export const DEP_PRESETS: Readonly<Record<DepPresetName, Readonly<DepParams>>> = Object.freeze(
  Object.fromEntries(DEP_PRESET_NAMES.map((name) => [name, resolveDepParams({ preset: name })])) as Record<DepPresetName, DepParams>,
);
