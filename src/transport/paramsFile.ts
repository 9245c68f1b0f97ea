/**
 * ROS 2 params files, read without ROS: the same YAML that `--ros-args --params-file` takes.
 *
 * ```yaml
 * controller:            # a node name; "/controller" is the same node
 *   ros__parameters:
 *     kappa: 100.0
 *     limits:            # nested maps are parameter namespaces: limits.max_rate
 *       max_rate: 5.0
 * /**:                   # every node
 *   ros__parameters:
 *     use_sim_time: false
 * ```
 *
 * Integers are kept apart from doubles (as bigint, as rcl and rclnodejs do), so a value's ROS
 * type is known; parameter declarations accept an integer for a double parameter.
 */
import { UserError } from "../core/errors.js";
import fs from "node:fs";
import { parseDocument } from "yaml";

/** Parameter values per node name, as written in the file (wildcard sections kept under "/**"). */
export type ParamsFile = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

export class ParamsFileError extends UserError {
  override name = "ParamsFileError";
}

const WILDCARDS = new Set(["/**", "**"]);

/** Parses the text of a params file. `file` names it in messages. Throws `ParamsFileError`. */
export function parseParamsFile(text: string, file: string): ParamsFile {
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `line ${e.linePos[0].line}: ` : "";
    throw new ParamsFileError(`params file '${file}': ${where}${e.message.split("\n")[0]}`);
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return new Map();
  if (!isMap(root)) throw new ParamsFileError(`params file '${file}' must map node names to 'ros__parameters' blocks, e.g.\ncontroller:\n  ros__parameters:\n    kappa: 100.0`);
  const out = new Map<string, Record<string, unknown>>();
  for (const [rawName, section] of Object.entries(root)) {
    const name = WILDCARDS.has(rawName) ? "/**" : rawName.replace(/^\/+/, "");
    if (name.includes("/") && name !== "/**") {
      throw new ParamsFileError(`params file '${file}': node '${rawName}': namespaced node names are not used by tendon; write the plain node name ('${name.split("/").pop()}')`);
    }
    if (!isMap(section) || !("ros__parameters" in section)) {
      throw new ParamsFileError(`params file '${file}': node '${rawName}' has no 'ros__parameters' block; write\n${rawName}:\n  ros__parameters:\n    name: value`);
    }
    const extra = Object.keys(section).filter((k) => k !== "ros__parameters");
    if (extra.length > 0) throw new ParamsFileError(`params file '${file}': node '${rawName}': '${extra[0]}' must go inside 'ros__parameters'`);
    const params = section.ros__parameters;
    if (params !== null && !isMap(params)) throw new ParamsFileError(`params file '${file}': node '${rawName}': 'ros__parameters' must be a map of names to values`);
    const flat: Record<string, unknown> = { ...(out.get(name) ?? {}) };
    flatten(params ?? {}, "", flat);
    out.set(name, flat);
  }
  return out;
}

export function readParamsFile(file: string): ParamsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ParamsFileError(`cannot read params file '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseParamsFile(text, file);
}

/**
 * Parameters that ROS itself declares on every node (or on request): a params file may set them
 * for every node, and tendon's own nodes leave them to ROS.
 */
export function isRosReservedParameter(name: string): boolean {
  return name === "use_sim_time" || name === "start_type_description_service" || name.startsWith("qos_overrides.");
}

/** The values for one node: the wildcard section, then the node's own (which wins); ROS's own parameters left out. */
export function parametersFor(file: ParamsFile | undefined, node: string): Record<string, unknown> {
  if (!file) return {};
  const merged = { ...(file.get("/**") ?? {}), ...(file.get(node) ?? {}) };
  return Object.fromEntries(Object.entries(merged).filter(([k]) => !isRosReservedParameter(k)));
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flatten(obj: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isMap(v)) flatten(v, key, out);
    else out[key] = v;
  }
}
