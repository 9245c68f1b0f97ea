/**
 * `tendon node NAME...`: runs tendon's nodes, each on its own (what `ros2 launch` starts) or
 * several composed in one process (`tendon node sim controller`).
 *
 * Without `--ros` the nodes talk in process (no ROS needed). With `--ros` they are ROS 2 nodes
 * (rclnodejs, loaded only then); `--ros-args ...` at the end of the command line goes to rcl.
 * Parameters come from `--params-file` (a ROS params YAML file) and the flags below, which win
 * over the file. SIGINT and SIGTERM stop the nodes: bridges write the safe command, the
 * controller publishes it, then the process exits 0. Without ROS, SIGHUP re-reads the params
 * file and applies what changed (rejected values are logged with their reason).
 */
import { Command, Option } from "commander";
import { DEP_PRESET_NAMES } from "../dep/params.js";
import { checkNodeNames, NODE_NAMES, NodeSetError, startNodes, type NodeName, type NodeSet } from "../nodes/nodeSet.js";
import { InProcessTransport } from "../transport/InProcessTransport.js";
import { ParameterError } from "../transport/parameters.js";
import { parametersFor, ParamsFileError, readParamsFile, type ParamsFile } from "../transport/paramsFile.js";
import type { Transport } from "../transport/Transport.js";
import { UsageError } from "./errors.js";
import type { RunObservers } from "../observability/RunObservers.js";
import { addObserveOptions, formatRecording, observersFromFlags, type ObserveFlags } from "./observeFlags.js";
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber } from "./parse.js";
import { actorPlaces, type ActorPlace } from "../nodes/nodeSet.js";
import { namespacedNodeName } from "../nodes/namespace.js";

interface NodeFlags extends Partial<ObserveFlags> {
  ros: boolean;
  paramsFile?: string;
  model?: string;
  rate?: number;
  port?: string;
  seed?: number;
  preset?: string;
  lockstep: boolean;
  duration?: number;
  namespace?: string;
  stream?: number;
  actors?: number;
}

/** Parameter values the flags set, per node. */
export function flagParameters(flags: Pick<NodeFlags, "model" | "rate" | "port" | "seed" | "lockstep" | "stream" | "actors">): Map<NodeName, Record<string, unknown>> {
  const sim: Record<string, unknown> = {};
  const hardware: Record<string, unknown> = {};
  const controller: Record<string, unknown> = {};
  const learner: Record<string, unknown> = {};
  if (flags.stream !== undefined) controller.stream = flags.stream;
  if (flags.actors !== undefined) learner.streams = flags.actors;
  if (flags.model !== undefined) sim.model = flags.model;
  if (flags.seed !== undefined) sim.seed = flags.seed;
  if (flags.lockstep) sim.mode = "lockstep";
  if (flags.rate !== undefined) {
    sim.rate_hz = flags.rate;
    hardware.rate_hz = flags.rate;
  }
  if (flags.port !== undefined) hardware.port = flags.port;
  return new Map<NodeName, Record<string, unknown>>([
    ["sim", sim],
    ["hardware", hardware],
    ["controller", controller],
    ["learner", learner],
  ]);
}

/** `-p node:name:=value` arguments for rcl (values written as YAML, which rcl parses). */
export function rosParameterArgs(nodes: readonly NodeName[], values: ReadonlyMap<NodeName, Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const node of nodes) {
    for (const [name, v] of Object.entries(values.get(node) ?? {})) {
      // A string in double quotes stays a string in YAML; numbers and booleans as they are
      // (an integer for a double parameter is accepted by the node).
      const text = typeof v === "string" ? JSON.stringify(v) : String(v);
      out.push("-p", `${node}:${name}:=${text}`);
    }
  }
  return out;
}

export interface NodeRunPlan {
  readonly nodes: NodeName[];
  readonly ros: boolean;
  readonly paramsFile?: string;
  readonly file?: ParamsFile;
  /** Start-up parameters per node, file then flags (in-process). */
  readonly parameters: Map<NodeName, Record<string, unknown>>;
  /** The flags' values alone (for rcl's `-p`). */
  readonly flagValues: Map<NodeName, Record<string, unknown>>;
  readonly preset?: string;
  readonly durationSec?: number;
  /** --record, --foxglove: every topic observed. */
  readonly observe?: ObserveFlags;
  /** The robot's namespace (--namespace), or several actors (--actors): see src/nodes/namespace.ts. */
  readonly namespace?: string;
  readonly actors?: number;
  /** Start-up parameters per node as the transport registers it (robot1/controller, ...), for the in-process transport. */
  readonly transportParameters: Map<string, Record<string, unknown>>;
}

/** Checks the names and reads the params file: everything that can fail before a node starts. */
export function planNodeRun(names: readonly string[], flags: NodeFlags): NodeRunPlan {
  let nodes: NodeName[];
  try {
    nodes = checkNodeNames(names);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let file: ParamsFile | undefined;
  if (flags.paramsFile) {
    try {
      file = readParamsFile(flags.paramsFile);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const flagValues = flagParameters(flags);
  const parameters = new Map<NodeName, Record<string, unknown>>(nodes.map((n) => [n, { ...parametersFor(file, n), ...(flagValues.get(n) ?? {}) }]));
  if (flags.lockstep && flags.ros) throw new UsageError("--lockstep runs without ROS only: over ROS the sim runs in real time and publishes /clock");
  if (flags.lockstep && !nodes.includes("sim")) throw new UsageError("--lockstep is for the sim node");
  const observe = flags.record !== undefined || flags.foxglove !== undefined ? { record: flags.record, foxglove: flags.foxglove, foxgloveHost: flags.foxgloveHost ?? "127.0.0.1" } : undefined;
  if (flags.stream !== undefined && !nodes.includes("controller")) throw new UsageError("--stream is the controller's stream number: name the controller node");
  if (flags.actors !== undefined && flags.stream !== undefined) throw new UsageError("--actors numbers the actors' streams 0 .. N-1 itself: leave out --stream");
  let places: ActorPlace[];
  try {
    places = actorPlaces({ namespace: flags.namespace, actors: flags.actors });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (flags.actors !== undefined && nodes.includes("hardware")) throw new UsageError("--actors runs simulated arms: give each hardware robot its own --namespace and --stream");
  // Robot nodes once per place (robot1/sim, ...); the learner once, in the global namespace.
  const transportParameters = new Map<string, Record<string, unknown>>();
  for (const n of nodes) {
    for (const place of n === "learner" ? [{ namespace: undefined, stream: undefined }] : places) transportParameters.set(namespacedNodeName(n, place.namespace), parameters.get(n)!);
  }
  return { nodes, ros: flags.ros, paramsFile: flags.paramsFile, file, parameters, flagValues, preset: flags.preset, durationSec: flags.duration, observe, namespace: places.length === 1 ? places[0].namespace : undefined, actors: flags.actors, transportParameters };
}

/** The `node` subcommand's flags on `parent`; `action` gets the checked plan. */
function defineNodeCommand(parent: Command, action: (plan: NodeRunPlan) => Promise<void>): Command {
  const command = parent
    .command("node")
    .description(`run tendon nodes (${NODE_NAMES.join(", ")}), alone or several in one process`)
    .argument("<names...>", `nodes to run: ${NODE_NAMES.join(", ")}`)
    .option("--ros", "run as ROS 2 nodes (rclnodejs; needs a sourced ROS 2); without it the nodes talk in process", false)
    .option("--params-file <file>", "ROS params YAML file (node_name: ros__parameters: {...})")
    .option("-m, --model <name|file|folder>", "sim: model (parameter sim.model)")
    .option("-r, --rate <hz>", "sim and hardware: control rate (parameter rate_hz)", positiveNumber("--rate"))
    .option("--port <device>", "hardware: serial device of the muscle boards (parameter hardware.port)")
    .option("-s, --seed <n>", "sim: seed of the initial state (parameter sim.seed)", nonNegativeInteger("--seed"))
    .addOption(new Option("-p, --preset <name>", "controller: DEP preset under the parameters").argParser(oneOf("--preset", DEP_PRESET_NAMES)))
    .option("--lockstep", "sim: run as fast as possible, the controller in this process (not with --ros)", false)
    .option("-d, --duration <sec>", "end after this many seconds of the bridge's time (default: until stopped)", positiveNumber("--duration"))
    .option("--namespace <ns>", "the robot's namespace: its topics under /NS (/NS/muscle_states, /NS/estop, ...); /transitions, /policy and /diagnostics stay shared with the learner")
    .option("--stream <n>", "controller: this actor's stream number in its transition rows (parameter controller.stream)", nonNegativeInteger("--stream"))
    .option("--actors <n>", "sim and controller: run N actors in namespaces robot1 .. robotN, streams 0 .. N-1; learner: train on N streams (parameter learner.streams)", positiveInteger("--actors"));
  return addObserveOptions(command).action(async (names: string[], flags: NodeFlags) => {
      await action(planNodeRun(names, flags));
    });
}

export function registerNodeCommand(program: Command, context: { readonly rosArgs: readonly string[] } = { rosArgs: [] }): void {
  defineNodeCommand(program, (plan) => runNodeCommand(plan, context.rosArgs));
}

/**
 * The plan of a `tendon node ...` command line (the arguments after `tendon`), without running
 * it: for tools and tests that start the same node set another way (the launch-file test).
 */
export async function parseNodeCommandLine(args: readonly string[]): Promise<NodeRunPlan> {
  const program = new Command("tendon").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  let plan: NodeRunPlan | undefined;
  defineNodeCommand(program, async (p) => {
    plan = p;
  }).exitOverride();
  await program.parseAsync([...args], { from: "user" });
  if (!plan) throw new UsageError(`not a 'tendon node' command line: ${args.join(" ")}`);
  return plan;
}

async function openTransport(plan: NodeRunPlan, rosArgs: readonly string[]): Promise<Transport> {
  if (!plan.ros) return new InProcessTransport({ parameters: plan.transportParameters });
  // Only ros/ touches rclnodejs; it is loaded here, and only here, on request.
  const { loadRclnodejs, RosUnavailableError } = await import("../../ros/loadRclnodejs.js");
  const { RosTransport } = await import("../../ros/RosTransport.js");
  let rcl;
  try {
    rcl = await loadRclnodejs();
  } catch (err) {
    if (err instanceof RosUnavailableError) throw new UsageError(err.message, 1);
    throw err;
  }
  const args = [...rosArgs];
  if (plan.paramsFile) args.push("--params-file", plan.paramsFile);
  args.push(...rosParameterArgs(plan.nodes, plan.flagValues));
  return RosTransport.open(rcl, { rosArgs: args });
}

async function runNodeCommand(plan: NodeRunPlan, rosArgs: readonly string[]): Promise<void> {
  let signal: NodeJS.Signals | undefined;
  let set: NodeSet | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (s: NodeJS.Signals): void => {
    if (signal) return;
    signal = s;
    process.stderr.write(`tendon: ${s}: stopping (${plan.nodes.join(", ")})\n`);
    wake?.();
  };
  const onHangup = (): void => reloadParams(plan, set);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (!plan.ros) process.on("SIGHUP", onHangup);
  let transport: Transport | undefined;
  let observers: RunObservers | undefined;
  try {
    transport = await openTransport(plan, rosArgs);
    // --record, --foxglove: subscribed before the nodes start, so that nothing is missed.
    observers = plan.observe ? await observersFromFlags(plan.observe, { command: "node" }) : undefined;
    const lockstep = plan.parameters.get("sim")?.mode === "lockstep";
    const observer = observers?.observeTransport(transport, { nodes: JSON.stringify(plan.nodes), transport: transport.kind }, { simTime: lockstep });
    try {
      set = await startNodes({ nodes: plan.nodes, transport, durationSec: plan.durationSec, preset: plan.preset, namespace: plan.namespace, actors: plan.actors });
    } catch (err) {
      if (err instanceof ParameterError || err instanceof NodeSetError || err instanceof ParamsFileError) throw new UsageError(err.message);
      throw err;
    }
    observer?.refresh();
    process.stderr.write(`tendon: running ${plan.nodes.join(", ")} (${transport.kind === "ros2" ? "ROS 2" : "in process"}); SIGINT or SIGTERM stops\n`);
    if (!signal) {
      await Promise.race([set.finished, new Promise<void>((resolve) => (wake = resolve))]);
    }
    await set.stop();
    for (const n of set.nodes) {
      const r = (n as { result?: { ticks: number; simSec: number; wallSec: number } }).result;
      if (r) process.stderr.write(`tendon: ${n.name}: ${r.ticks} ticks, ${r.simSec.toFixed(2)} s in ${r.wallSec.toFixed(2)} s of wall time\n`);
    }
  } finally {
    await set?.stop().catch(() => undefined);
    const recording = await observers?.close().catch((err: unknown) => {
      process.stderr.write(`tendon: the recording could not be completed: ${(err as Error).message}\n`);
      return undefined;
    });
    if (recording) process.stderr.write(`tendon:${formatRecording(recording).trimEnd().replace(/^ +recording +/, " recording ")}\n`);
    await transport?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onHangup);
  }
  // A requested stop is a clean end, as for rclcpp nodes under ros2 launch.
  process.exitCode = 0;
}

/** SIGHUP without ROS: re-reads the params file and sets each node's parameters (flags still win). */
function reloadParams(plan: NodeRunPlan, set: NodeSet | undefined): void {
  if (!set || !plan.paramsFile) {
    process.stderr.write("tendon: SIGHUP: no --params-file to re-read\n");
    return;
  }
  let file: ParamsFile;
  try {
    file = readParamsFile(plan.paramsFile);
  } catch (err) {
    process.stderr.write(`tendon: SIGHUP: ${(err as Error).message}; parameters unchanged\n`);
    return;
  }
  for (const node of plan.nodes) {
    const values = { ...parametersFor(file, node), ...(plan.flagValues.get(node) ?? {}) };
    for (const ns of node === "learner" ? [undefined] : set.namespaces) {
      const target = set.get(node, ns)?.params;
      if (!target || Object.keys(values).length === 0) continue;
      const r = target.set(values);
      const who = namespacedNodeName(node, ns);
      process.stderr.write(r.successful ? `tendon: ${who}: parameters re-read from ${plan.paramsFile}\n` : `tendon: ${who}: parameters rejected: ${r.reason}\n`);
    }
  }
}
