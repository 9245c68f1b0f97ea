/**
 * Offline replay of DEP on recorded inputs, for `tendon dep replay FILE` and for comparing with
 * the reference implementation.
 *
 * File format (JSON): {"params": {...}, "preset": "name", "inputs": [...]}, `params` and
 * `preset` optional. `inputs` is T×n (one environment) or T×E×n (E parallel environments).
 * Other top-level keys are ignored, so a reference fixture (which also carries `outputs`,
 * `final_C_norm`, ...) can be replayed as is. This module never touches the file system: the
 * caller reads the file and hands the text to `parseReplayFile`.
 */
import { UserError } from "../core/errors.js";
import { Dep } from "./Dep.js";
import { type DepParams, resolveDepParams, showValue } from "./params.js";

/** A replay input that cannot be used; the message says where and what was expected. */
export class ReplayInputError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "ReplayInputError";
  }
}

export interface ReplayResult {
  /** outputs[t][e][i]: DEP's action after step t (E = 1 for T×n input). */
  readonly outputs: number[][][];
  /** C_norm after the last step: finalCNorm[e][j][k]. */
  readonly finalCNorm: number[][][];
  /** Bias after the last step: finalBias[e][i]. */
  readonly finalBias: number[][];
  /** Steps taken (T). */
  readonly finalT: number;
  /** The parameters used. */
  readonly params: Readonly<DepParams>;
}

/**
 * Parses a replay file's text. JSON syntax errors become a `ReplayInputError` naming the file,
 * with the line and column when the parser reports a position.
 */
export function parseReplayFile(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const where = positionOf(detail, text);
    throw new ReplayInputError(
      `${fileName}: not valid JSON${where ? ` (line ${where.line}, column ${where.column})` : ""}: ${detail}. ` +
        `Expected an object like {"preset": "default", "params": {"kappa": 100}, "inputs": [[0.1, 0.2], [0.1, 0.3]]}`,
    );
  }
}

function positionOf(message: string, text: string): { line: number; column: number } | undefined {
  const m = /position (\d+)/.exec(message);
  if (!m) return undefined;
  const pos = Math.min(Number(m[1]), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

/**
 * Runs a fresh DEP over the inputs and returns every output. Throws `ReplayInputError` for a
 * malformed input (naming the row and column and what was expected) and `DepParamsError` for bad
 * parameters.
 */
export function replayDep(input: unknown): ReplayResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ReplayInputError(`replay input must be a JSON object with an "inputs" array, got ${showValue(input)}`);
  }
  const obj = input as Record<string, unknown>;
  if (obj.preset !== undefined && typeof obj.preset !== "string") {
    throw new ReplayInputError(`"preset" must be a preset name (a string), got ${showValue(obj.preset)}`);
  }
  const params = resolveDepParams({
    preset: obj.preset as string | undefined,
    params: obj.params as Record<string, unknown> | undefined,
  });
  const { data, steps, envs, n } = readInputs(obj.inputs);

  const dep = new Dep(params, n, envs);
  const en = envs * n;
  const out = new Float64Array(en);
  const outputs: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    dep.step(data.subarray(t * en, (t + 1) * en), out);
    outputs.push(split(out, envs, n));
  }
  const cn = dep.cNorm();
  const finalCNorm: number[][][] = [];
  for (let e = 0; e < envs; e++) finalCNorm.push(split(cn.subarray(e * n * n, (e + 1) * n * n), n, n));
  return { outputs, finalCNorm, finalBias: split(dep.bias(), envs, n), finalT: dep.t, params };
}

function split(a: ArrayLike<number>, rows: number, cols: number): number[][] {
  const result: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) row.push(a[r * cols + c]);
    result.push(row);
  }
  return result;
}

/** Validates the shape and flattens to T·E·n. */
function readInputs(inputs: unknown): { data: Float64Array; steps: number; envs: number; n: number } {
  if (inputs === undefined) throw new ReplayInputError(`missing "inputs": expected a T×n or T×E×n array of numbers`);
  if (!Array.isArray(inputs)) throw new ReplayInputError(`"inputs" must be an array (T×n or T×E×n), got ${showValue(inputs)}`);
  if (inputs.length === 0) throw new ReplayInputError(`"inputs" is empty: expected at least one row (T×n or T×E×n)`);
  const first: unknown = inputs[0];
  if (!Array.isArray(first)) {
    throw new ReplayInputError(`inputs[0] must be an array (a row of n numbers, or E rows of n numbers), got ${showValue(first)}`);
  }
  if (first.length === 0) throw new ReplayInputError(`inputs[0] is empty: expected n >= 1 numbers (or E >= 1 rows)`);
  const nested = Array.isArray(first[0]);
  const envs = nested ? first.length : 1;
  const n = nested ? (first[0] as unknown[]).length : first.length;
  if (n === 0) throw new ReplayInputError(`inputs[0][0] is empty: expected n >= 1 numbers`);
  const shape = nested ? `T×E×n with E = ${envs}, n = ${n} (from inputs[0])` : `T×n with n = ${n} (from inputs[0])`;
  const data = new Float64Array(inputs.length * envs * n);

  const readRow = (row: unknown, where: string, offset: number): void => {
    if (!Array.isArray(row)) throw new ReplayInputError(`${where} must be an array of ${n} numbers (${shape}), got ${showValue(row)}`);
    if (row.length !== n) throw new ReplayInputError(`${where} has ${row.length} values, expected ${n} (${shape})`);
    for (let i = 0; i < n; i++) {
      const v: unknown = row[i];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new ReplayInputError(`${where}[${i}] is ${showValue(v)}, expected a finite number (${shape})`);
      }
      data[offset + i] = v;
    }
  };

  for (let t = 0; t < inputs.length; t++) {
    const row: unknown = inputs[t];
    if (nested) {
      if (!Array.isArray(row)) throw new ReplayInputError(`inputs[${t}] must be an array of ${envs} rows (${shape}), got ${showValue(row)}`);
      if (row.length !== envs) throw new ReplayInputError(`inputs[${t}] has ${row.length} rows, expected ${envs} (${shape})`);
      for (let e = 0; e < envs; e++) readRow(row[e], `inputs[${t}][${e}]`, (t * envs + e) * n);
    } else {
      readRow(row, `inputs[${t}]`, t * n);
    }
  }
  return { data, steps: inputs.length, envs, n };
}
