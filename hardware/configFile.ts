/**
 * The hardware configuration file of `tendon hw --config FILE`: JSON, or YAML (`.yaml`, `.yml`,
 * with comments; config/arm.hw.yaml is a commented example), with the bridge's options (ports,
 * command mode and range, calibration, gains, joint names and ranges, timing), checked with zod
 * so that a mistake gives one line naming the field.
 */
import fs from "node:fs";
import { UserError } from "../src/core/errors.js";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { COMMAND_MODES, type MuscleBoardBridgeOptions } from "./options.js";

const finite = z.number().refine(Number.isFinite, "must be a finite number");
const positive = finite.refine((v) => v > 0, "must be > 0");

const calibration = z.strictObject({
  countsPerRad: positive.optional(),
  spoolRadiusM: positive.optional(),
  lengthOffsetM: finite.optional(),
  metersPerCount: positive.optional(),
  spring: z.tuple([finite, finite, finite, finite]).optional(),
  ampsPerCount: positive.optional(),
});

const gains = z.strictObject({
  kp: finite.optional(),
  ki: finite.optional(),
  kd: finite.optional(),
  integralLimit: finite.min(0).optional(),
  deadband: z.number().int().min(0).optional(),
  outputLimit: z.number().int().min(0).max(10000).optional(),
});

export const hardwareConfigSchema = z.strictObject({
  name: z.string().optional(),
  ports: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        boards: z.array(z.number().int().min(1).max(254)).optional(),
        baudRate: z.number().int().positive().optional(),
      }),
    )
    .optional(),
  mode: z.enum(COMMAND_MODES).optional(),
  commandMin: finite.optional(),
  commandMax: finite.optional(),
  calibration: calibration.optional(),
  muscles: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        commandMin: finite.optional(),
        commandMax: finite.optional(),
        calibration: calibration.optional(),
        gains: z.strictObject({ position: gains.optional(), velocity: gains.optional(), displacement: gains.optional() }).optional(),
      }),
    )
    .optional(),
  joints: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        rangeRad: z.tuple([finite, finite]).nullable().optional(),
        calibration: z.strictObject({ zeroRad: finite.optional(), sign: z.union([z.literal(1), z.literal(-1)]).optional() }).optional(),
      }),
    )
    .optional(),
  statusRateHz: positive.optional(),
  hostWatchdogMs: positive.optional(),
  boardWatchdogMs: positive.max(65535).optional(),
  staleAfterMs: positive.optional(),
  reconnectMs: positive.optional(),
  retryMs: positive.optional(),
  configureTimeoutMs: positive.optional(),
});

export type HardwareConfigFile = z.infer<typeof hardwareConfigSchema>;

export class HardwareConfigError extends UserError {
  override name = "HardwareConfigError";
}

/** What the command line (flags) or a node (parameters) sets over a configuration file: a defined value wins. */
export interface HardwareOverrides {
  readonly ports?: MuscleBoardBridgeOptions["ports"];
  readonly commandMode?: MuscleBoardBridgeOptions["commandMode"];
  readonly commandMin?: number;
  readonly commandMax?: number;
  readonly hostWatchdogMs?: number;
  readonly boardWatchdogMs?: number;
}

/**
 * The bridge options of `tendon hw` and of the hardware node: the configuration file (if any),
 * read and checked, with the overrides over it. `what` names the file in messages ("--config
 * file 'X'"); `noPorts` is the message when neither gives a serial port. Throws `HardwareConfigError`.
 */
export function hardwareOptions(file: string | undefined, overrides: HardwareOverrides, messages: { readonly what: string; readonly noPorts: string }): MuscleBoardBridgeOptions {
  let fromFile: ReturnType<typeof parseHardwareConfig> = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new HardwareConfigError(`cannot read ${messages.what} '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    fromFile = parseHardwareConfig(text, file);
  }
  const { mode: _mode, ...rest } = fromFile;
  const ports = overrides.ports && overrides.ports.length > 0 ? overrides.ports : fromFile.ports;
  if (!ports || ports.length === 0) throw new HardwareConfigError(messages.noPorts);
  return {
    ...rest,
    ports,
    commandMode: overrides.commandMode ?? fromFile.commandMode,
    commandMin: overrides.commandMin ?? fromFile.commandMin,
    commandMax: overrides.commandMax ?? fromFile.commandMax,
    hostWatchdogMs: overrides.hostWatchdogMs ?? fromFile.hostWatchdogMs,
    boardWatchdogMs: overrides.boardWatchdogMs ?? fromFile.boardWatchdogMs,
  };
}

/** Parses and checks a configuration file's text; throws `HardwareConfigError` with every problem. */
export function parseHardwareConfig(text: string, label: string): Omit<MuscleBoardBridgeOptions, "ports"> & { ports?: MuscleBoardBridgeOptions["ports"]; mode?: MuscleBoardBridgeOptions["commandMode"] } {
  let value: unknown;
  const yaml = /\.ya?ml$/i.test(label);
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new HardwareConfigError(`${label} is not valid ${yaml ? "YAML" : "JSON"}: ${(err as Error).message.split("\n")[0]}`);
  }
  const result = hardwareConfigSchema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(top level)"}: ${i.message}`);
    throw new HardwareConfigError(`${label}: ${lines.join("; ")}`);
  }
  const c = result.data;
  for (const [i, j] of (c.joints ?? []).entries()) {
    if (j.rangeRad && !(j.rangeRad[0] < j.rangeRad[1])) throw new HardwareConfigError(`${label}: joints.${i}.rangeRad: lower limit must be below the upper`);
  }
  return { ...c, commandMode: c.mode } as ReturnType<typeof parseHardwareConfig>;
}
