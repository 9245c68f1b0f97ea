/** Flag parsers that reject bad values with a message naming the flag and what it accepts. */
import { InvalidArgumentError } from "commander";

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
