/**
 * Where a MuJoCo model comes from: a built-in model name, an MJCF file, a folder holding one
 * model file (MyoSuite's layout, with `<include>` files and meshes beside it), or an XML string.
 * Resolution touches the file system; loading into MuJoCo happens in `loadModel.ts`.
 */
import { UserError } from "../src/core/errors.js";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type ModelSource =
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "xml"; readonly xml: string; readonly label?: string };

const here = path.dirname(fileURLToPath(import.meta.url));

/** The models shipped with tendon, written for this project. */
export const BUILTIN_MODELS: Readonly<Record<string, { file: string; description: string }>> = {
  arm2j6m: {
    file: "arm2j6m.xml",
    description: "planar arm, 2 joints (shoulder, elbow), 6 muscles (flexor/extensor pairs and a biarticular pair)",
  },
  arm1j2m: { file: "arm1j2m.xml", description: "one elbow joint, an antagonistic flexor/extensor pair" },
};

export const DEFAULT_MODEL = "arm2j6m";

/** Path of the folder with the built-in models, in the source tree and in the built package alike. */
export function builtinModelDir(): string {
  // sim/modelSource.ts -> sim/models; dist/sim/modelSource.js -> ../../sim/models
  const candidates = [path.join(here, "models"), path.join(here, "..", "..", "sim", "models")];
  for (const c of candidates) if (fs.existsSync(path.join(c, BUILTIN_MODELS[DEFAULT_MODEL].file))) return c;
  throw new Error(`built-in models not found (looked in ${candidates.join(", ")}); reinstall tendon`);
}

export class ModelSourceError extends UserError {
  override name = "ModelSourceError";
}

/**
 * Turns what a user typed (`--model X`) into a source: a built-in name, a file, or a folder with
 * exactly one top-level `.xml` model.
 */
export function resolveModelSource(spec: string): ModelSource {
  if (Object.hasOwn(BUILTIN_MODELS, spec)) return { kind: "builtin", name: spec };
  const abs = path.resolve(spec);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new ModelSourceError(
      `model '${spec}' is neither a built-in model (${Object.keys(BUILTIN_MODELS).join(", ")}) nor an existing file or folder`,
    );
  }
  if (stat.isFile()) return { kind: "file", path: abs };
  if (stat.isDirectory()) {
    const xmls = fs.readdirSync(abs).filter((f) => f.toLowerCase().endsWith(".xml"));
    // A model file has a <mujoco> root; <mujocoinclude> files are pieces of a model.
    const models = xmls.filter((f) => /<mujoco[\s>]/.test(fs.readFileSync(path.join(abs, f), "utf8")));
    if (models.length === 1) return { kind: "file", path: path.join(abs, models[0]) };
    if (models.length === 0) throw new ModelSourceError(`folder '${spec}' holds no MJCF model file (*.xml with a <mujoco> root)`);
    throw new ModelSourceError(
      `folder '${spec}' holds ${models.length} model files (${models.join(", ")}): name one of them with --model`,
    );
  }
  throw new ModelSourceError(`model '${spec}' is not a file or folder`);
}

/** A short name for summaries and errors. */
export function describeSource(source: ModelSource): string {
  switch (source.kind) {
    case "builtin":
      return source.name;
    case "file":
      return source.path;
    case "xml":
      return source.label ?? "<xml string>";
  }
}
