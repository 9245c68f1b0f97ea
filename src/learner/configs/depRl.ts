/**
 * depRL experiment configurations (the JSON or YAML files that `python -m deprl.main CONFIG` runs,
 * e.g. experiments/deprl_paper/humanreacher_pointing.json) read into tendon learn's settings, with
 * depRL's names meaning what they mean there:
 *
 * - `tonic.agent`: `dep_factory(K, ...)` picks the mode (0 rl, 1 init-explore, 2 det-switch,
 *   3 dep-rl, as depRL's custom_agents numbers them; no dep_factory: rl); the keyword arguments of
 *   `Buffer(...)` are the replay's (size, batch_size, batch_iterations, steps_before_batches,
 *   steps_between_batches, return_steps, discount_factor). Arguments not given take tonic's Buffer
 *   defaults (return_steps 1, batch_iterations 50, batch_size 100, steps_before_batches 1e4,
 *   steps_between_batches 50), and an agent without a replay argument tonic's MPO replay
 *   (Buffer(return_steps=5)), so a file means the same here as there.
 * - `tonic.trainer`: `Trainer(steps=..., epoch_steps=..., save_steps=..., test_episodes=...)`.
 * - `tonic.seed`; `tonic.parallel` x `tonic.sequential` environments.
 * - `mpo_args` (TunedMPO.set_params): hidden_size (actor and critic 2 x hidden_size), lr_actor,
 *   lr_critic, lr_dual, batch_size, return_steps. Without mpo_args: tonic's MPO, 2 x 256.
 * - `DEP`: DEP's and the switch's parameters under their reference names, as `--params` takes them.
 *
 * What tendon does not take over is listed in `notes` (one line each): the environment (tendon
 * learns its own reach task on its model), and the Python-only keys (header, before_training, ...).
 */
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { UserError } from "../../core/errors.js";
import type { LearnConfig } from "../runLearn.js";
import type { ExplorationMode } from "../explorations/Exploration.js";

/** A depRL configuration that cannot be read; the message is one line that says what is wrong. */
export class DepRlConfigError extends UserError {
  override name = "DepRlConfigError";
}

/** The settings a depRL configuration gives, and what it holds that tendon does not use. */
export interface DepRlSettings {
  readonly config: Partial<LearnConfig>;
  /** Checkpoint interval (tonic's Trainer save_steps), when given. */
  readonly saveSteps?: number;
  readonly notes: readonly string[];
}

/** depRL's dep_factory numbering (deprl/custom_agents.py). */
const DEP_FACTORY_MODES: readonly ExplorationMode[] = ["rl", "init-explore", "det-switch", "dep-rl"];

/** tonic's Buffer defaults (tonic/replays/buffers.py). */
const TONIC_BUFFER = { size: 1e6, return_steps: 1, batch_iterations: 50, batch_size: 100, discount_factor: 0.99, steps_before_batches: 1e4, steps_between_batches: 50 } as const;

const BUFFER_KEYS: Record<keyof typeof TONIC_BUFFER, keyof LearnConfig> = {
  size: "replaySize",
  return_steps: "returnSteps",
  batch_iterations: "batchIterations",
  batch_size: "batchSize",
  discount_factor: "discount",
  steps_before_batches: "stepsBeforeBatches",
  steps_between_batches: "stepsBetweenBatches",
};

/** Python-side keys of a depRL file that have no meaning for tendon. */
const PYTHON_ONLY = new Set(["header", "before_training", "after_training", "checkpoint", "full_save", "name", "path", "environment_name", "test_environment", "resume", "cpu_override"]);

/** Reads a depRL configuration file (JSON, or YAML by its extension). */
export function readDepRlConfig(file: string): DepRlSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new DepRlConfigError(`cannot read depRL config '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new DepRlConfigError(`depRL config '${file}' is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseDepRlConfig(value, file);
}

/** Maps a parsed depRL configuration to tendon learn's settings. */
export function parseDepRlConfig(value: unknown, source = "depRL config"): DepRlSettings {
  const fail = (what: string): never => {
    throw new DepRlConfigError(`${source}: ${what}`);
  };
  if (!isObject(value)) fail("must be an object with a 'tonic' section (a depRL experiment file)");
  const root = value as Record<string, unknown>;
  const tonic = root.tonic;
  if (!isObject(tonic)) fail("has no 'tonic' section (a depRL experiment file has tonic.agent, tonic.trainer, ...)");
  const t = tonic as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const notes: string[] = [];

  // The agent: mode and replay.
  const agent = t.agent;
  if (typeof agent !== "string" || agent.trim() === "") fail("tonic.agent must be the agent's Python expression, e.g. deprl.custom_agents.dep_factory(3, deprl.torch.agents.MPO())(replay=...)");
  const factory = /dep_factory\(\s*([^,\s)]+)\s*,/.exec(agent as string);
  if (factory) {
    const k = Number(factory[1]);
    if (!Number.isInteger(k) || k < 0 || k >= DEP_FACTORY_MODES.length) fail(`tonic.agent: dep_factory's first argument must be 0, 1, 2 or 3 (rl, init-explore, det-switch, dep-rl), got '${factory[1]}'`);
    config.mode = DEP_FACTORY_MODES[k];
  } else {
    config.mode = "rl";
  }
  if (!/MPO\s*\(/.test(agent as string)) notes.push(`tonic.agent is not an MPO agent: tendon learns with MPO`);
  const buffer = callArguments(agent as string, "Buffer", "tonic.agent", fail);
  const replay: Record<string, number> = { ...TONIC_BUFFER, ...(buffer ? {} : { return_steps: 5 }) };
  if (buffer) {
    for (const [key, text] of Object.entries(buffer)) {
      if (!(key in TONIC_BUFFER)) {
        notes.push(`tonic.agent: Buffer(${key}=...) is not used`);
        continue;
      }
      replay[key] = pyNumber(text, `tonic.agent: Buffer(${key}=${text})`, fail);
    }
  }
  for (const [key, name] of Object.entries(BUFFER_KEYS)) config[name] = replay[key];

  // The trainer.
  let saveSteps: number | undefined;
  if (t.trainer !== undefined) {
    if (typeof t.trainer !== "string") fail("tonic.trainer must be the trainer's Python expression, e.g. deprl.custom_trainer.Trainer(steps=int(1e8), epoch_steps=int(2e5))");
    const args = callArguments(t.trainer as string, "Trainer", "tonic.trainer", fail) ?? {};
    const keys: Record<string, string> = { steps: "steps", epoch_steps: "epochSteps", test_episodes: "testEpisodes" };
    for (const [key, text] of Object.entries(args)) {
      if (key === "save_steps") continue;
      if (!(key in keys)) notes.push(`tonic.trainer: Trainer(${key}=...) is not used`);
      else config[keys[key]] = pyNumber(text, `tonic.trainer: Trainer(${key}=${text})`, fail);
    }
    if (args.save_steps !== undefined) saveSteps = pyNumber(args.save_steps, `tonic.trainer: Trainer(save_steps=${args.save_steps})`, fail);
  }

  // Seed and environments.
  if (t.seed !== undefined) config.seed = integer(t.seed, "tonic.seed", 0, fail);
  const parallel = t.parallel === undefined ? 1 : integer(t.parallel, "tonic.parallel", 1, fail);
  const sequential = t.sequential === undefined ? 1 : integer(t.sequential, "tonic.sequential", 1, fail);
  config.envs = parallel * sequential;
  if (typeof t.environment === "string") notes.push(`tonic.environment ${t.environment.trim()} is not run: tendon learns its reach task on --model`);
  const unused = Object.keys(t).filter((k) => PYTHON_ONLY.has(k));
  if (unused.length > 0) notes.push(`not used (Python side): tonic.${unused.join(", tonic.")}`);
  const unknown = Object.keys(t).filter((k) => !PYTHON_ONLY.has(k) && !["agent", "trainer", "seed", "parallel", "sequential", "environment"].includes(k));
  if (unknown.length > 0) notes.push(`unknown tonic keys, not used: ${unknown.join(", ")}`);

  // TunedMPO's set_params.
  if (root.mpo_args !== undefined && root.mpo_args !== null) {
    if (!isObject(root.mpo_args)) fail("mpo_args must be an object (hidden_size, lr_actor, lr_critic, lr_dual, ...)");
    const m = root.mpo_args as Record<string, unknown>;
    const keys: Record<string, keyof LearnConfig> = { lr_actor: "actorLearningRate", lr_critic: "criticLearningRate", lr_dual: "dualLearningRate", batch_size: "batchSize", return_steps: "returnSteps" };
    // set_params' own defaults apply when mpo_args is given.
    config.actorLearningRate = 3e-4;
    config.criticLearningRate = 1e-3;
    config.dualLearningRate = 1e-2;
    let hidden = 256;
    for (const [key, v] of Object.entries(m)) {
      if (key === "hidden_size") hidden = integer(v, "mpo_args.hidden_size", 1, fail);
      else if (key in keys) config[keys[key]] = positive(v, `mpo_args.${key}`, fail);
      else notes.push(`mpo_args.${key} is not used`);
    }
    config.hiddenSizes = [hidden, hidden];
  } else {
    // tonic's MPO: 2 x 256, Adam 3e-4 (actor and critic), 1e-2 (duals).
    config.hiddenSizes = [256, 256];
    config.actorLearningRate = 3e-4;
    config.criticLearningRate = 3e-4;
    config.dualLearningRate = 1e-2;
  }

  // DEP and the switch, under their reference names.
  if (root.DEP !== undefined && root.DEP !== null) {
    if (!isObject(root.DEP)) fail("DEP must be an object of DEP parameters (kappa, tau, ...)");
    config.depParams = { ...(root.DEP as Record<string, unknown>) };
  }
  if (root.env_args !== undefined && root.env_args !== null && isObject(root.env_args) && Object.keys(root.env_args as object).length > 0) {
    notes.push(`env_args (${Object.keys(root.env_args as object).join(", ")}) are the Python environment's: not used`);
  }
  return { config: config as Partial<LearnConfig>, ...(saveSteps !== undefined ? { saveSteps } : {}), notes };
}

const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);

/** The keyword arguments of the first call `name(...)` in a Python expression, as source text; undefined when there is no such call. */
function callArguments(expr: string, name: string, where: string, fail: (what: string) => never): Record<string, string> | undefined {
  const m = new RegExp(`(?:^|[^A-Za-z0-9_])${name}\\s*\\(`).exec(expr);
  if (!m) return undefined;
  let i = m.index + m[0].length;
  let depth = 1;
  let current = "";
  const parts: string[] = [];
  for (; i < expr.length && depth > 0; i++) {
    const c = expr[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    if (c === ")" || c === "]" || c === "}") depth--;
    if (depth === 0) break;
    if (c === "," && depth === 1) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  if (depth !== 0) fail(`${where}: ${name}( has no closing parenthesis`);
  if (current.trim() !== "") parts.push(current);
  const out: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq < 0) fail(`${where}: ${name}(...) takes keyword arguments here (name=value), got '${p.trim()}'`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** A Python number literal, optionally in int(...) or float(...): 3e5, int(1e6), 0.99. */
function pyNumber(text: string, where: string, fail: (what: string) => never): number {
  const m = /^(int|float)?\s*\(?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\)?$/.exec(text.trim());
  if (!m) return fail(`${where}: not a number tendon can read (a literal such as 3e5 or int(1e6))`);
  const v = Number(m[2]);
  return m[1] === "int" ? Math.trunc(v) : v;
}

function integer(v: unknown, where: string, min: number, fail: (what: string) => never): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) return fail(`${where} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function positive(v: unknown, where: string, fail: (what: string) => never): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !(n > 0) || !Number.isFinite(n)) return fail(`${where} must be a number > 0, got ${JSON.stringify(v)}`);
  return n;
}
