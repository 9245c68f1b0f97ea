/**
 * What a run ran, so that it can be told apart from another and repeated: tendon's version, the
 * model and the sha256 of its source, the DEP preset and the effective (resolved) parameters, the
 * output mapping, the seed, the rate and frame skip. `tendon sim` and `tendon hw` print it in
 * their summary and JSON, a recording holds it in its "tendon.params" metadata record (as JSON),
 * `tendon info --params REC.mcap` prints that JSON, and `tendon sim --params FILE` takes it back.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RunIdentity } from "../observability/runMetadata.js";
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

/** sha256 of a model's source (the main MJCF file's bytes, or the XML string). */
export function modelSha256(source: ModelSource): string {
  if (source.kind === "xml") return sha256(source.xml);
  const file = source.kind === "builtin" ? path.join(builtinModelDir(), BUILTIN_MODELS[source.name].file) : source.path;
  return sha256(fs.readFileSync(file));
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
