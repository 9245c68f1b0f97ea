/** Flag parsers that reject bad values with a message naming the flag and what it accepts. */
import fs from "node:fs";
import { InvalidArgumentError } from "commander";
import { UsageError } from "./errors.js";

export function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${flag} needs a positive number, got '${value}'.`);
    }
    return n;
  };
}

export function nonNegativeInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`${flag} needs a whole number >= 0, got '${value}'.`);
    }
    return n;
  };
}

export function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${flag} needs a whole number >= 1, got '${value}'.`);
    }
    return n;
  };
}

export function oneOf<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} must be one of ${choices.join(", ")}; got '${value}'.`);
    }
    return value as T;
  };
}

/** The JSON object of DEP parameters a `--params FILE` names (`tendon sim`, `hw`, `learn`); a usage error says what is wrong with it. */
export function readDepParamsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --params file '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--params file '${file}' is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--params file '${file}' must hold a JSON object of DEP parameters, e.g. {"kappa": 100, "tau": 20}`);
  }
  return value as Record<string, unknown>;
}
