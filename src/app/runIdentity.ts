/**
 * What a run ran, so that it can be told apart from another and repeated: tendon's version, the
 * model and the sha256 of its source, the DEP preset and the effective (resolved) parameters, the
 * output mapping, the seed, the rate and frame skip. `tendon sim` and `tendon hw` print it in
 * their summary and JSON, a recording holds it in its "tendon.params" metadata record (as JSON),
 * `tendon info --params REC.mcap` prints that JSON, and `tendon sim --params FILE` and `tendon hw
 * --params FILE` take it back.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RUN_IDENTITY_METADATA, type RunIdentity } from "../observability/runMetadata.js";
import { referencedFiles } from "../../sim/loadModel.js";
import { BUILTIN_MODELS, builtinModelDir, type ModelSource } from "../../sim/modelSource.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** tendon's version, from its package.json. */
export const TENDON_VERSION: string = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(here, "..", "..", "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
})();

export function sha256(bytes: Uint8Array | string): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/**
 * sha256 of a model's source: the XML string; for a file, the file's bytes when it refers to no
 * other file, else a manifest of the main file and every file it includes (`<include>`, meshes,
 * textures, ...; those `loadModel` copies for MuJoCo), so that two runs whose included files
 * differ have different hashes. The manifest is what `sha256sum` prints for the files, named
 * relative to the main file's folder and sorted by that name (one `HASH  NAME` line each), so
 * moving the folder keeps the hash.
 */
export function modelSha256(source: ModelSource): string {
  if (source.kind === "xml") return sha256(source.xml);
  const file = path.resolve(source.kind === "builtin" ? path.join(builtinModelDir(), BUILTIN_MODELS[source.name].file) : source.path);
  const files = referencedFiles(file);
  if (files.length <= 1) return sha256(fs.readFileSync(file));
  const dir = path.dirname(file);
  const named = files.map((f) => ({ f, name: path.relative(dir, f).split(path.sep).join("/") }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sha256(named.map(({ f, name }) => `${sha256(fs.readFileSync(f))}  ${name}\n`).join(""));
}

/** The summary's lines about the identity: what ran, and DEP's parameters. */
export function formatRunIdentity(id: RunIdentity): string[] {
  const lines = [
    `  ran            tendon ${id.tendonVersion}, model sha256 ${id.modelSha256.slice(0, 12)}, seed ${id.seed}, ${+id.rateHz.toFixed(3)} Hz${id.frameSkip !== undefined ? `, frame skip ${id.frameSkip}` : ""}`,
  ];
  if (id.params) {
    lines.push(`  dep            preset ${id.preset ?? "default"}, mapping ${id.mapping ?? "default"}`);
    lines.push(`  dep params     ${Object.entries(id.params).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  }
  return lines;
}

/** The identity as the metadata record's entries. */
export function runIdentityMetadata(id: RunIdentity): Record<string, string> {
  return { json: JSON.stringify(id) };
}

/**
 * Whether a parsed `--params` file is a run identity (written from a recording, or the "tendon.params"
 * record's JSON) rather than a plain object of DEP parameters: it has `tendonVersion` and a `params` object.
 */
export function isRunIdentity(value: Record<string, unknown>): value is Record<string, unknown> & RunIdentity {
  return typeof value.tendonVersion === "string" && typeof value.params === "object" && value.params !== null && !Array.isArray(value.params);
}

/**
 * The JSON of a `--params` file as a run identity, when it is one: the "tendon.params" record's
 * JSON (`tendon info --params`), the record's entries (`{"json": "..."}`), or `tendon info
 * --json`'s line (its `metadata`); undefined for a plain object of DEP parameters.
 */
export function runIdentityOf(value: Record<string, unknown>): RunIdentity | undefined {
  const meta = value.metadata as Record<string, unknown> | undefined;
  const record = (meta && typeof meta === "object" ? meta[RUN_IDENTITY_METADATA] : undefined) ?? value;
  let candidate: unknown = record;
  if (record && typeof record === "object" && typeof (record as { json?: unknown }).json === "string") {
    try {
      candidate = JSON.parse((record as { json: string }).json);
    } catch {
      return undefined;
    }
  }
  return candidate && typeof candidate === "object" && isRunIdentity(candidate as Record<string, unknown>) ? (candidate as RunIdentity) : undefined;
}
