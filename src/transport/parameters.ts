/**
 * Node parameters: declared with a type, a default, a range and a description; set from a ROS
 * params file (or `--params-file` without ROS), changeable at run time with validation, and
 * applied between ticks.
 *
 * Values are checked in two steps: `coerceParameter` checks the ROS type (an integer is accepted
 * for a double parameter, as a params file written `kappa: 100` means 100.0), then the spec's zod
 * schema checks the range and says why a value is wrong. A node-level check can relate several
 * parameters (DEP's buffer_size against tau + time_dist).
 *
 * `NodeParameters` holds the applied values. `set` answers at once (`{successful, reason}`, the
 * ROS SetParametersResult) and queues an accepted change; the node calls `applyPending()` at a
 * tick boundary, so that a tick never sees half of a change.
 */
import { UserError } from "../core/errors.js";
import { suggestName } from "../core/suggest.js";
import { Subject, type Observable } from "rxjs";
import { z } from "zod";

export type ParameterKind = "double" | "integer" | "bool" | "string" | "double_array" | "integer_array" | "string_array";
export type ParameterValue = number | boolean | string | readonly number[] | readonly string[];

export interface ParameterSpec<T extends ParameterValue = ParameterValue> {
  readonly kind: ParameterKind;
  readonly default: T;
  /** What the parameter does, its unit and its effect: shown by `ros2 param describe`. */
  readonly description: string;
  /** Inclusive bounds of a numeric parameter (documentation; the schema enforces them). */
  readonly range?: { readonly from: number; readonly to: number };
  /** The constraints in words ("> 0 and <= 1000000"), published as the descriptor's additional_constraints. */
  readonly constraints?: string;
  /** Checks the value after type coercion; its error message is the rejection reason. */
  readonly schema: z.ZodType<T>;
  /** Fixed once the node started (a model file, a rate): a change is rejected with a reason. */
  readonly readOnly?: boolean;
}

export type ParameterSpecs = Readonly<Record<string, ParameterSpec>>;
export type ParameterValues<S extends ParameterSpecs> = { -readonly [K in keyof S]: S[K]["default"] };

/** The answer to a set request, as ROS's rcl_interfaces/msg/SetParametersResult. */
export interface SetParametersResult {
  readonly successful: boolean;
  readonly reason: string;
}

/** Relates parameters to each other; returns a reason to reject, or undefined. */
export type ParameterCheck<S extends ParameterSpecs> = (next: Readonly<ParameterValues<S>>) => string | undefined;

/** Invalid parameters at start-up: every problem, one per line. */
export class ParameterError extends UserError {
  override name = "ParameterError";
  constructor(
    readonly node: string,
    readonly issues: readonly string[],
  ) {
    super(issues.length === 1 ? `node '${node}': ${issues[0]}` : `node '${node}':\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

const DOUBLE_MAX = Number.MAX_VALUE;
const INT_MAX = Number.MAX_SAFE_INTEGER;

interface NumberOptions<T> {
  readonly default: T;
  readonly description: string;
  readonly min?: number;
  /** True: the value must be strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
  readonly max?: number;
  readonly readOnly?: boolean;
  /** A schema to use instead of the one built from min/max (keeps another module's messages). */
  readonly schema?: z.ZodType<number>;
}

function boundsText(o: { min?: number; exclusiveMin?: boolean; max?: number }): string {
  const parts: string[] = [];
  if (o.min !== undefined) parts.push(`${o.exclusiveMin ? ">" : ">="} ${o.min}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  return parts.join(" and ");
}

function numberSchema(name: string, kind: "double" | "integer", o: NumberOptions<number>): z.ZodType<number> {
  if (o.schema) return o.schema;
  const bounds = boundsText(o);
  const error = (iss: { input?: unknown }) => `${name} (${String(iss.input)}) must be ${kind === "integer" ? "an integer" : "a finite number"}${bounds ? ` ${bounds}` : ""}`;
  let s = z.number({ error });
  if (kind === "integer") s = s.int({ error });
  if (o.min !== undefined) s = o.exclusiveMin ? s.gt(o.min, { error }) : s.gte(o.min, { error });
  if (o.max !== undefined) s = s.lte(o.max, { error });
  return s;
}

/** Spec builders. `name` is only used in messages. */
export const param = {
  double(name: string, o: NumberOptions<number>): ParameterSpec<number> {
    return {
      kind: "double",
      default: o.default,
      description: o.description,
      range: o.min !== undefined || o.max !== undefined ? { from: o.min ?? -DOUBLE_MAX, to: o.max ?? DOUBLE_MAX } : undefined,
      constraints: boundsText(o) || undefined,
      schema: numberSchema(name, "double", o),
      readOnly: o.readOnly,
    };
  },
  integer(name: string, o: NumberOptions<number>): ParameterSpec<number> {
    return {
      kind: "integer",
      default: o.default,
      description: o.description,
      range: o.min !== undefined || o.max !== undefined ? { from: o.min ?? -INT_MAX, to: o.max ?? INT_MAX } : undefined,
      constraints: boundsText(o) || undefined,
      schema: numberSchema(name, "integer", o),
      readOnly: o.readOnly,
    };
  },
  bool(_name: string, o: { default: boolean; description: string; readOnly?: boolean; schema?: z.ZodType<boolean> }): ParameterSpec<boolean> {
    return { kind: "bool", default: o.default, description: o.description, schema: o.schema ?? z.boolean(), readOnly: o.readOnly };
  },
  string(name: string, o: { default: string; description: string; readOnly?: boolean; choices?: readonly string[]; schema?: z.ZodType<string> }): ParameterSpec<string> {
    const choices = o.choices;
    const schema =
      o.schema ??
      (choices
        ? z.string().refine((v) => choices.includes(v), { error: (iss) => `${name} (${JSON.stringify(iss.input)}) must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}` })
        : z.string());
    const constraints = choices ? `one of ${choices.join(", ")}` : undefined;
    return { kind: "string", default: o.default, description: o.description, constraints, schema, readOnly: o.readOnly };
  },
  integerArray(name: string, o: { default: readonly number[]; description: string; min?: number; readOnly?: boolean }): ParameterSpec<readonly number[]> {
    const min = o.min;
    const schema = z.array(z.number().int()).refine((a) => min === undefined || a.every((v) => v >= min), {
      error: `${name} must hold integers${min === undefined ? "" : ` >= ${min}`}`,
    });
    const constraints = min === undefined ? undefined : `every value >= ${min}`;
    return { kind: "integer_array", default: o.default, description: o.description, constraints, schema, readOnly: o.readOnly };
  },
  stringArray(_name: string, o: { default: readonly string[]; description: string; readOnly?: boolean }): ParameterSpec<readonly string[]> {
    return { kind: "string_array", default: o.default, description: o.description, schema: z.array(z.string()), readOnly: o.readOnly };
  },
};

function kindText(kind: ParameterKind): string {
  switch (kind) {
    case "double":
      return "a double (a number)";
    case "integer":
      return "an integer";
    case "bool":
      return "a bool (true or false)";
    case "string":
      return "a string";
    case "double_array":
      return "an array of numbers";
    case "integer_array":
      return "an array of integers";
    case "string_array":
      return "an array of strings";
  }
}

function describeRaw(raw: unknown): string {
  if (typeof raw === "string") return JSON.stringify(raw);
  if (typeof raw === "number" || typeof raw === "boolean" || typeof raw === "bigint") return String(raw);
  if (raw === null || raw === undefined) return String(raw);
  if (Array.isArray(raw) || ArrayBuffer.isView(raw)) return "an array";
  return "an object";
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/**
 * Checks a raw value (from YAML, from rclnodejs: integers may be bigint) against the kind of a
 * parameter and converts it to the value tendon uses (numbers, plain arrays).
 */
export function coerceParameter(name: string, spec: ParameterSpec, raw: unknown): { ok: true; value: ParameterValue } | { ok: false; reason: string } {
  const bad = (): { ok: false; reason: string } => ({ ok: false, reason: `${name} must be ${kindText(spec.kind)}, got ${describeRaw(raw)}` });
  switch (spec.kind) {
    case "double": {
      const n = toNumber(raw);
      return n === undefined ? bad() : { ok: true, value: n };
    }
    case "integer": {
      const n = toNumber(raw);
      return n === undefined || !Number.isInteger(n) ? bad() : { ok: true, value: n };
    }
    case "bool":
      return typeof raw === "boolean" ? { ok: true, value: raw } : bad();
    case "string":
      return typeof raw === "string" ? { ok: true, value: raw } : bad();
    case "double_array":
    case "integer_array": {
      if (!Array.isArray(raw) && !ArrayBuffer.isView(raw)) return bad();
      const out: number[] = [];
      for (const v of Array.from(raw as ArrayLike<unknown>)) {
        const n = toNumber(v);
        if (n === undefined || (spec.kind === "integer_array" && !Number.isInteger(n))) return bad();
        out.push(n);
      }
      return { ok: true, value: out };
    }
    case "string_array": {
      if (!Array.isArray(raw) || !raw.every((v) => typeof v === "string")) return bad();
      return { ok: true, value: [...(raw as string[])] };
    }
  }
}

/** Coerces and checks one value; returns the value or the reason it is rejected. */
export function validateParameter(name: string, spec: ParameterSpec, raw: unknown): { ok: true; value: ParameterValue } | { ok: false; reason: string } {
  const c = coerceParameter(name, spec, raw);
  if (!c.ok) return c;
  const r = spec.schema.safeParse(c.value);
  if (!r.success) return { ok: false, reason: r.error.issues.map((i) => i.message).join("; ") };
  return { ok: true, value: r.data as ParameterValue };
}

/** A change that was applied between ticks. */
export interface AppliedChange<S extends ParameterSpecs> {
  readonly names: readonly (keyof S & string)[];
  readonly values: Readonly<ParameterValues<S>>;
}

/**
 * The parameters of one node. Created by a transport node (`declareParameters`), which feeds it
 * the start-up overrides (the params file, command-line flags) and forwards run-time set
 * requests (ROS `ros2 param set`, or a params file re-read without ROS).
 */
export class NodeParameters<S extends ParameterSpecs> {
  readonly node: string;
  readonly specs: S;
  readonly #check: ParameterCheck<S> | undefined;
  #values: ParameterValues<S>;
  #pending: Partial<ParameterValues<S>> | undefined;
  readonly #applied = new Subject<AppliedChange<S>>();

  /**
   * Validates `overrides` (unknown names, types, ranges, the node-level check) and throws a
   * `ParameterError` listing every problem; nothing is half-applied.
   */
  constructor(node: string, specs: S, overrides: Readonly<Record<string, unknown>> = {}, check?: ParameterCheck<S>) {
    this.node = node;
    this.specs = specs;
    this.#check = check;
    const values = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default])) as ParameterValues<S>;
    const issues: string[] = [];
    const known = Object.keys(specs);
    for (const [name, raw] of Object.entries(overrides)) {
      const spec = specs[name];
      if (!spec) {
        const hint = suggestName(name, known);
        issues.push(`unknown parameter '${name}'${hint ? ` (did you mean '${hint}'?)` : ""}; known: ${known.join(", ")}`);
        continue;
      }
      const v = validateParameter(name, spec, raw);
      if (v.ok) (values as Record<string, ParameterValue>)[name] = v.value;
      else issues.push(v.reason);
    }
    if (issues.length === 0 && check) {
      const reason = check(values);
      if (reason) issues.push(reason);
    }
    if (issues.length > 0) throw new ParameterError(node, issues);
    this.#values = values;
  }

  /** The applied values (the object is replaced on each applied change: safe to keep). */
  get values(): Readonly<ParameterValues<S>> {
    return this.#values;
  }

  get<K extends keyof S & string>(name: K): ParameterValues<S>[K] {
    return this.#values[name];
  }

  /** Applied changes, emitted by `applyPending()`. */
  get applied$(): Observable<AppliedChange<S>> {
    return this.#applied.asObservable();
  }

  /** Whether a change waits for the next tick boundary. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Validates a change of one or more parameters, all or nothing. Accepted: queued for the next
   * `applyPending()`. Rejected: nothing changes, and `reason` says why.
   */
  set(changes: Readonly<Record<string, unknown>>): SetParametersResult {
    const next = { ...this.#values, ...this.#pending } as ParameterValues<S>;
    const accepted: Record<string, ParameterValue> = {};
    for (const [name, raw] of Object.entries(changes)) {
      const spec = this.specs[name];
      if (!spec) {
        const hint = suggestName(name, Object.keys(this.specs));
        return { successful: false, reason: `node '${this.node}' has no parameter '${name}'${hint ? ` (did you mean '${hint}'?)` : ""}` };
      }
      const v = validateParameter(name, spec, raw);
      if (!v.ok) return { successful: false, reason: v.reason };
      if (spec.readOnly && !sameValue(v.value, this.#values[name])) {
        return { successful: false, reason: `${name} is read-only: it is fixed when the node starts; restart the node to change it` };
      }
      accepted[name] = v.value;
    }
    Object.assign(next, accepted);
    const reason = this.#check?.(next);
    if (reason) return { successful: false, reason };
    this.#pending = { ...this.#pending, ...accepted } as Partial<ParameterValues<S>>;
    return { successful: true, reason: "" };
  }

  /**
   * Applies the queued change, if any; call it between ticks. Returns the names that changed
   * value (an empty list when the change set the same values), or undefined when nothing was queued.
   */
  applyPending(): readonly (keyof S & string)[] | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    this.#pending = undefined;
    const names = (Object.keys(pending) as (keyof S & string)[]).filter((k) => !sameValue(pending[k] as ParameterValue, this.#values[k]));
    if (names.length === 0) return names;
    this.#values = { ...this.#values, ...pending };
    this.#applied.next({ names, values: this.#values });
    return names;
  }

  /** Completes `applied$`. */
  dispose(): void {
    this.#applied.complete();
  }
}

function sameValue(a: ParameterValue, b: ParameterValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
