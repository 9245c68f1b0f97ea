/**
 * A learned world model on disk (what `tendon play` saves and `tendon plan --model-from` loads):
 * one JSON file with the body it was learned on, the state spec, the model step, the action
 * bounds and the ensemble's full state (configuration, normalizers, weights as base64 float32).
 *
 * Loading checks the format and, against a body, the state and action sizes: a file of the wrong
 * shape is refused with one line (`WorldModelFileError`) before anything is planned with it.
 */
import fs from "node:fs";
import { UserError } from "../core/errors.js";
import type { EnsembleState } from "../models/ProbabilisticEnsemble.js";
import { parseStateSpec } from "../models/StateLayout.js";
import type { StateLayout } from "../models/types.js";

export const WORLD_MODEL_FORMAT = "tendon-world-model";

export interface WorldModelFile {
  readonly format: typeof WORLD_MODEL_FORMAT;
  readonly version: 1;
  /** The body (model label) the model was learned on, and its state spec. */
  readonly body: string;
  readonly stateSpec: string;
  readonly stepSec: number;
  readonly actionLow: readonly number[];
  readonly actionHigh: readonly number[];
  /** Transitions the model was trained on. */
  readonly transitions: number;
  readonly ensemble: EnsembleState;
}

export class WorldModelFileError extends UserError {
  override name = "WorldModelFileError";
}

interface Stored extends Omit<WorldModelFile, "ensemble"> {
  readonly ensemble: Omit<EnsembleState, "weights"> & { readonly weights: readonly (readonly string[])[] };
}

export function writeWorldModel(file: string, m: WorldModelFile): void {
  const stored: Stored = {
    ...m,
    ensemble: { ...m.ensemble, weights: m.ensemble.weights.map((member) => member.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64"))) },
  };
  fs.writeFileSync(`${file}.part`, JSON.stringify(stored));
  fs.renameSync(`${file}.part`, file);
}

export function readWorldModel(file: string): WorldModelFile {
  let raw: Stored;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8")) as Stored;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not JSON";
    throw new WorldModelFileError(`cannot read world model '${file}': ${why} (give a model.json written by tendon play)`);
  }
  if (raw?.format !== WORLD_MODEL_FORMAT || raw.version !== 1 || !raw.ensemble?.weights) {
    throw new WorldModelFileError(`'${file}' is not a tendon world model (format ${JSON.stringify(raw?.format)}): give a model.json written by tendon play`);
  }
  const weights = raw.ensemble.weights.map((member) =>
    member.map((b64) => {
      const buf = Buffer.from(b64, "base64");
      const copy = new Uint8Array(buf.byteLength);
      copy.set(buf);
      return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
    }),
  );
  return { ...raw, ensemble: { ...raw.ensemble, weights } };
}

/** Refuses a model learned on a body of another shape. */
export function checkWorldModelFits(m: WorldModelFile, file: string, stateSize: number, actionDim: number, body: string): void {
  if (m.ensemble.actionDim !== actionDim || m.actionLow.length !== actionDim) {
    throw new WorldModelFileError(`world model '${file}' takes ${m.ensemble.actionDim} actions (learned on ${m.body}), this body has ${actionDim} muscles (${body}): use a model learned on this body`);
  }
  if (m.ensemble.stateDim !== stateSize) {
    throw new WorldModelFileError(`world model '${file}' predicts ${m.ensemble.stateDim} state entries (${m.stateSpec}), this body's state has ${stateSize}: use a model learned on this body`);
  }
}

/** The layout a stored spec names, with the names it uses as the known ones (the body is not needed to read the file). */
export function layoutOfSpec(spec: string): StateLayout {
  const names = { joints: [] as string[], muscles: [] as string[], sites: [] as string[] };
  for (const part of spec.split(",")) {
    const [kind, list] = part.split(":");
    const target = kind.startsWith("joint_") ? names.joints : kind.startsWith("muscle_") ? names.muscles : names.sites;
    for (const n of (list ?? "").split("+")) if (n && !target.includes(n)) target.push(n);
  }
  return parseStateSpec(spec, names);
}
