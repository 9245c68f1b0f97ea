/**
 * Loads an MJCF model into MuJoCo's in-memory file system. MuJoCo's wasm build cannot see the
 * host's files, so the model file and every file it references (`<include>`, meshes, textures,
 * height fields, skins) are copied into the module's MEMFS under the same absolute path with a
 * prefix, MuJoCo loads from there, and the copies are removed afterwards. References are found by
 * scanning the XML; a file that the scan missed is copied when MuJoCo looked for it and did not
 * find it, and the load is tried again. A file missing on the host too is named as MuJoCo looked
 * for it (the absolute path it resolved), not as the model wrote it.
 */
import { UserError } from "../src/core/errors.js";
import fs from "node:fs";
import path from "node:path";
import type { MjModel, Mujoco } from "./mujocoModule.js";
import { BUILTIN_MODELS, builtinModelDir, describeSource, type ModelSource } from "./modelSource.js";

const MOUNT = "/tendon_host";

export class ModelLoadError extends UserError {
  override name = "ModelLoadError";
  constructor(
    readonly file: string,
    readonly mujocoMessage: string,
  ) {
    super(`cannot load model '${file}': ${mujocoMessage}`);
  }
}

/** The result owns `model`: call `model.delete()` when done with it. */
export interface LoadedModel {
  readonly model: MjModel;
  readonly label: string;
}

export function loadModel(mj: Mujoco, source: ModelSource): LoadedModel {
  if (source.kind === "xml") {
    const label = describeSource(source);
    try {
      return { model: mj.MjModel.from_xml_string(source.xml), label };
    } catch (err) {
      throw new ModelLoadError(label, mujocoMessage(err));
    }
  }
  const file = source.kind === "builtin" ? path.join(builtinModelDir(), BUILTIN_MODELS[source.name].file) : source.path;
  return { model: loadFromHostFile(mj, file), label: describeSource(source) };
}

function loadFromHostFile(mj: Mujoco, hostFile: string): MjModel {
  const abs = path.resolve(hostFile);
  if (!fs.existsSync(abs)) throw new ModelLoadError(abs, "no such file");
  const copied = new Set<string>();
  try {
    for (const f of referencedFiles(abs)) copyIn(mj, f, copied);
    // Each retry copies the files MuJoCo looked for that the scan did not find.
    for (let attempt = 0; attempt < 64; attempt++) {
      const missed: string[] = [];
      try {
        return recordingMissedLookups(mj, missed, () => mj.MjModel.from_xml_path(MOUNT + abs));
      } catch (err) {
        const message = mujocoMessage(err);
        const asked = askedFor(message, missed);
        const found = asked.filter((f) => !copied.has(f) && fs.existsSync(f) && fs.statSync(f).isFile());
        if (found.length > 0) {
          for (const f of found) copyIn(mj, f, copied);
          continue;
        }
        const where = asked.length > 0 ? `; MuJoCo looked for ${asked.map((f) => `'${f}'`).join(" and ")}, ${asked.length > 1 ? "none of which exists" : "which does not exist"}` : "";
        throw new ModelLoadError(abs, `${message}${where}${myoSimFolderAdvice(abs)}`);
      }
    }
    throw new ModelLoadError(abs, "too many missing files");
  } finally {
    for (const f of copied) {
      try {
        mj.FS.unlink(MOUNT + f);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Runs `load` with MuJoCo's file lookups watched: every path under the mount that it looked up
 * and did not find goes into `missed` (as a host path, in the order asked). MuJoCo's messages
 * give a missing file as the model wrote it (`'../meshes/bone.stl'`, relative to a folder they do
 * not name); these lookups are where it actually looked. The file system's `lookupPath` is
 * wrapped for the call only and restored after it, whatever the call did.
 */
function recordingMissedLookups<T>(mj: Mujoco, missed: string[], load: () => T): T {
  const vfs = mj.FS as unknown as { lookupPath: (p: unknown, opts?: unknown) => unknown };
  const lookupPath = vfs.lookupPath;
  vfs.lookupPath = function (this: unknown, p: unknown, opts?: unknown): unknown {
    try {
      return lookupPath.call(this, p, opts);
    } catch (err) {
      if (typeof p === "string" && p.startsWith(`${MOUNT}/`)) {
        const host = path.posix.normalize(p.slice(MOUNT.length));
        if (!missed.includes(host)) missed.push(host);
      }
      throw err;
    }
  };
  try {
    return load();
  } finally {
    vfs.lookupPath = lookupPath;
  }
}

/**
 * The files MuJoCo looked for and did not find, for its message: the missed lookups of the file
 * the message names (same base name), or every missed lookup when none matches; an absolute path
 * in the message itself when nothing was looked up.
 */
function askedFor(message: string, missed: readonly string[]): string[] {
  const named = missingFileInMessage(message);
  if (named !== undefined) {
    const same = missed.filter((f) => path.posix.basename(f) === path.posix.basename(named));
    if (same.length > 0) return same;
  }
  if (missed.length > 0) return [...missed];
  return named !== undefined && path.isAbsolute(named) ? [named] : [];
}

function copyIn(mj: Mujoco, hostFile: string, copied: Set<string>): void {
  if (copied.has(hostFile)) return;
  mj.FS.mkdirTree(MOUNT + path.dirname(hostFile), 0o777);
  mj.FS.writeFile(MOUNT + hostFile, fs.readFileSync(hostFile));
  copied.add(hostFile);
}

/**
 * MyoSuite's models (github.com/MyoHub/myo_sim) refer to each other through a folder named
 * `myo_sim`; a GitHub zip unpacks as `myo_sim-main` (or `myo_sim-<tag>`). Advice for a model under
 * such a folder, or "" when the path shows nothing of the kind.
 */
export function myoSimFolderAdvice(modelFile: string): string {
  const parts = path.resolve(modelFile).split(path.sep);
  const k = parts.findIndex((p) => /^myo_?sim[-_.].+/i.test(p) && p.toLowerCase() !== "myo_sim");
  if (k < 0) return "";
  const dir = parts.slice(0, k + 1).join(path.sep);
  return `; the MyoSuite models must be in a folder named myo_sim, and this one is '${parts[k]}' (as a GitHub zip unpacks): rename it (mv '${dir}' '${path.join(path.dirname(dir), "myo_sim")}')`;
}

/** MuJoCo's own message, without the mount prefix and the "MuJoCo Error:" decoration. */
export function mujocoMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  return raw
    .replace(/^MuJoCo Error:\s*/, "")
    .replaceAll(MOUNT, "")
    .replace(/\s+/g, " ")
    .trim();
}

function missingFileInMessage(message: string): string | undefined {
  const m = /(?:Error opening file|could not open file|resource not found via provider or OS filesystem:?)\s*'([^']+)'/i.exec(message);
  return m ? m[1] : undefined;
}

const FILE_ATTR = /\bfile\s*=\s*"([^"]+)"/g;
const DIR_ATTR = /\b(meshdir|texturedir|assetdir)\s*=\s*"([^"]+)"/g;
const INCLUDE = /<include\b[^>]*\bfile\s*=\s*"([^"]+)"/g;

/**
 * The model file and every existing host file its XML tree references. Paths in MJCF are relative
 * to the main model's folder (includes), or to it joined with meshdir/texturedir/assetdir (assets).
 */
export function referencedFiles(mainFile: string): string[] {
  const mainDir = path.dirname(mainFile);
  const xmlFiles: string[] = [];
  const queue = [mainFile];
  const seen = new Set<string>();
  const fileValues: Array<{ value: string; from: string }> = [];
  const dirs = new Set<string>();
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    let text: string;
    try {
      text = fs.readFileSync(f, "utf8");
    } catch {
      continue; // MuJoCo will name it
    }
    xmlFiles.push(f);
    for (const m of text.matchAll(DIR_ATTR)) dirs.add(m[2]);
    for (const m of text.matchAll(INCLUDE)) {
      for (const base of [mainDir, path.dirname(f)]) {
        const p = path.resolve(base, m[1]);
        if (fs.existsSync(p)) queue.push(p);
      }
    }
    for (const m of text.matchAll(FILE_ATTR)) fileValues.push({ value: m[1], from: f });
  }
  const out = new Set(xmlFiles);
  for (const { value, from } of fileValues) {
    const bases = [mainDir, path.dirname(from), ...[...dirs].map((d) => path.resolve(mainDir, d))];
    for (const base of bases) {
      const p = path.resolve(base, value);
      if (fs.existsSync(p) && fs.statSync(p).isFile()) out.add(p);
    }
  }
  return [...out];
}
