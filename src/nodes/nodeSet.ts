/**
 * tendon's nodes by name, and a set of them started together: one node per process under
 * `ros2 launch`, or several composed in one process (`tendon node sim controller`). The same
 * code runs on either transport.
 *
 * Nodes: sim (MuJoCo), hardware (any core `Bridge`; the muscle boards by default), controller
 * (DEP + arbitration + limits), teleop (joystick), learner (records transitions), planner (iCEM on
 * a world model, as the controller's `planner` command source). Subscribers
 * start before the bridges, so that the first readings find their controller.
 */
import { UserError } from "../core/errors.js";
import fs from "node:fs";
import type { Bridge } from "../core/bridge.js";
import type { CommandModeName } from "../../hardware/options.js";
import type { Clock } from "../core/clock.js";
import { resolveDepParams } from "../dep/params.js";
import type { LoopMode } from "../loop/ControlLoop.js";
import type { TimerPort } from "../loop/ticks.js";
import { param, type ParameterValues } from "../transport/parameters.js";
import type { Transport, TransportNode } from "../transport/Transport.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { DEFAULT_MODEL, resolveModelSource } from "../../sim/modelSource.js";
import { BridgeNode, bridgeParameterSpecs } from "./BridgeNode.js";
import { checkControllerParameters, controllerParameterSpecs, ControllerNode } from "./ControllerNode.js";
import { LearnerNode, learnerParameterSpecs } from "./LearnerNode.js";
import { checkTeleopParameters, TeleopNode, teleopParameterSpecs } from "./TeleopNode.js";
import type { TendonNode } from "./TendonNode.js";
import { actorNamespace, checkNamespace, namespacedTransport, NamespaceError } from "./namespace.js";

export const NODE_NAMES = ["sim", "hardware", "controller", "teleop", "learner", "planner"] as const;
export type NodeName = (typeof NODE_NAMES)[number];

/** Start order: consumers first, bridges (which start the ticks) last. */
const START_ORDER: readonly NodeName[] = ["learner", "teleop", "planner", "controller", "sim", "hardware"];

export function simParameterSpecs() {
  return {
    ...bridgeParameterSpecs({ rateHz: 100 }),
    model: param.string("model", { default: DEFAULT_MODEL, readOnly: true, description: "built-in model name, MJCF file, or folder holding one model" }),
    seed: param.integer("seed", { default: 0, min: 0, readOnly: true, description: "seed of the initial state" }),
    mode: param.string("mode", {
      default: "realtime",
      choices: ["realtime", "lockstep"],
      readOnly: true,
      description: "realtime: ticks on the wall clock; lockstep: as fast as possible, the controller in the same process without ROS",
    }),
    publish_clock: param.bool("publish_clock", { default: true, readOnly: true, description: "publish simulated time on /clock" }),
  };
}

export function hardwareParameterSpecs() {
  return {
    ...bridgeParameterSpecs({ rateHz: 500 }),
    port: param.string("port", { default: "/dev/ttyACM0", readOnly: true, description: "serial device of the muscle boards; empty: the ports of config_file" }),
    config_file: param.string("config_file", {
      default: "",
      readOnly: true,
      description: "hardware configuration (JSON, as for tendon hw --config): boards, mode, ranges, calibration, gains, joints, timing",
    }),
    command_mode: param.string("command_mode", {
      default: "",
      choices: ["", "pwm", "position", "velocity", "displacement", "force"],
      readOnly: true,
      description: "control mode of every muscle on the boards (sets the command unit); empty: config_file's, else pwm",
    }),
  };
}

export type HardwareParameters = Readonly<ParameterValues<ReturnType<typeof hardwareParameterSpecs>>>;

/** Makes the hardware node's bridge from its parameters. */
export type HardwareBridgeFactory = (params: HardwareParameters, node: TransportNode) => Bridge | Promise<Bridge>;

export interface NodeSetOptions {
  readonly nodes: readonly NodeName[];
  readonly transport: Transport;
  /** Run bridge nodes for this long (s of their loop's time), then end; default until stopped. */
  readonly durationSec?: number;
  /** DEP preset under the controller's parameters. */
  readonly preset?: string;
  /** Real-time timer of bridge nodes (tests: a virtual one). */
  readonly timer?: TimerPort;
  /** Clock of the controller's per-source commands (tests: a manual one). */
  readonly clock?: Clock;
  /** The hardware node's bridge (default: the muscle boards). */
  readonly hardwareBridge?: HardwareBridgeFactory;
  /**
   * The robot's namespace: every node but the learner publishes and subscribes under /NS (see
   * namespace.ts), /transitions, /policy and /diagnostics stay shared with the learner.
   */
  readonly namespace?: string;
  /** With `namespace`: the controller's stream number in its transition rows (over its `stream` parameter). */
  readonly stream?: number;
  /**
   * Several actors: the robot nodes of the set run `actors` times, in namespaces robot1 ..
   * robotN, streams 0 .. N − 1; the learner (if named) once, shared. Not with `namespace`.
   */
  readonly actors?: number;
}

/** One actor of a node set: its namespace (none: the global one) and stream. */
export interface ActorPlace {
  readonly namespace: string | undefined;
  readonly stream: number | undefined;
}

/** Where the robot nodes of a set run: one place, or one per actor. */
export function actorPlaces(options: Pick<NodeSetOptions, "namespace" | "stream" | "actors">): ActorPlace[] {
  if (options.actors !== undefined) {
    if (options.namespace !== undefined) throw new NamespaceError("several actors get their namespaces robot1 .. robotN: give either actors or a namespace");
    if (!Number.isInteger(options.actors) || options.actors < 1) throw new NamespaceError(`actors must be an integer >= 1, got ${options.actors}`);
    return Array.from({ length: options.actors }, (_, i) => ({ namespace: actorNamespace(i), stream: i }));
  }
  return [{ namespace: options.namespace === undefined ? undefined : checkNamespace(options.namespace), stream: options.stream }];
}

/** A started node and where it runs. */
interface Placed {
  readonly kind: NodeName;
  readonly namespace: string | undefined;
  readonly node: TendonNode;
}

export class NodeSet {
  readonly nodes: readonly TendonNode[];
  readonly #placed: readonly Placed[];
  #durationTimer: NodeJS.Timeout | undefined;
  readonly finished: Promise<void>;
  #stopping: Promise<void> | undefined;

  /** @internal */
  constructor(placed: readonly Placed[], durationSec: number | undefined) {
    this.#placed = placed;
    const nodes = placed.map((p) => p.node);
    this.nodes = nodes;
    const own = nodes.map((n) => n.finished).filter((f): f is Promise<void> => f !== undefined);
    if (own.length > 0) {
      this.finished = Promise.all(own).then(() => undefined);
    } else if (durationSec !== undefined) {
      this.finished = new Promise((resolve) => {
        this.#durationTimer = setTimeout(resolve, durationSec * 1000);
      });
    } else {
      this.finished = new Promise(() => undefined);
    }
  }

  /** The node `name` (of namespace `namespace`; without one: the first of that name). */
  get<T extends TendonNode = TendonNode>(name: NodeName, namespace?: string): T | undefined {
    return this.#placed.find((p) => p.kind === name && (namespace === undefined || p.namespace === namespace))?.node as T | undefined;
  }

  /** The namespaces the set's robot nodes run in (undefined: the global one), in start order. */
  get namespaces(): (string | undefined)[] {
    return [...new Set(this.#placed.filter((p) => p.kind !== "learner").map((p) => p.namespace))];
  }

  /** Stops bridges first (each writes the safe command), then the others (the controller publishes the safe command). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#durationTimer) clearTimeout(this.#durationTimer);
      const order = [...this.#placed].sort((a, b) => START_ORDER.indexOf(b.kind) - START_ORDER.indexOf(a.kind));
      const errors: unknown[] = [];
      for (const p of order) {
        try {
          await p.node.stop();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw errors[0];
    })();
    return this.#stopping;
  }
}

export class NodeSetError extends UserError {
  override name = "NodeSetError";
}

/** Validates a list of node names: known, no duplicates, at most one bridge. */
export function checkNodeNames(names: readonly string[]): NodeName[] {
  if (names.length === 0) throw new NodeSetError(`name at least one node: ${NODE_NAMES.join(", ")}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (!(NODE_NAMES as readonly string[]).includes(n)) throw new NodeSetError(`unknown node '${n}': the nodes are ${NODE_NAMES.join(", ")}`);
    if (seen.has(n)) throw new NodeSetError(`node '${n}' is named twice`);
    seen.add(n);
  }
  if (seen.has("sim") && seen.has("hardware")) throw new NodeSetError("sim and hardware both command /muscle_commands' body: run one of them");
  return names as NodeName[];
}

/**
 * Creates and starts the nodes. Throws (after stopping whatever had started) when a node cannot
 * start: bad parameters, a model that does not load, a port that does not open.
 */
export async function startNodes(options: NodeSetOptions): Promise<NodeSet> {
  const names = checkNodeNames(options.nodes);
  const places = actorPlaces(options);
  if (places.length > 1 && names.includes("hardware")) throw new NodeSetError("several actors run simulated arms: one hardware node per robot, each with its --namespace");
  const ordered = START_ORDER.filter((n) => names.includes(n));
  // Each robot's nodes in its namespace; the learner once, in the global one.
  const global: ActorPlace = { namespace: undefined, stream: undefined };
  const plan = ordered.flatMap((name): { name: NodeName; place: ActorPlace }[] => (name === "learner" ? [{ name, place: global }] : places.map((place) => ({ name, place }))));
  const transports = new Map<string | undefined, Transport>();
  const transportOf = (ns: string | undefined): Transport => {
    if (!ns) return options.transport;
    let t = transports.get(ns);
    if (!t) transports.set(ns, (t = namespacedTransport(options.transport, ns)));
    return t;
  };
  const started: Placed[] = [];
  try {
    for (const { name, place } of plan) {
      const node = await createNode(name, options, transportOf(place.namespace), place.stream);
      started.push({ kind: name, namespace: place.namespace, node });
      await node.start();
    }
  } catch (err) {
    for (const p of started.reverse()) await p.node.stop().catch(() => undefined);
    throw err;
  }
  return new NodeSet(started, options.durationSec);
}

async function createNode(name: NodeName, options: NodeSetOptions, transport: Transport, stream: number | undefined): Promise<TendonNode> {
  const node = transport.createNode(name);
  try {
    switch (name) {
      case "controller": {
        const preset = resolveDepParams({ preset: options.preset });
        const params = node.declareParameters(controllerParameterSpecs(preset), checkControllerParameters);
        return new ControllerNode({ node, params, preset: options.preset, clock: options.clock, stream });
      }
      case "teleop":
        return new TeleopNode({ node, params: node.declareParameters(teleopParameterSpecs(), checkTeleopParameters) });
      case "learner":
        return new LearnerNode({ node, params: node.declareParameters(learnerParameterSpecs()) });
      case "planner": {
        // Loaded only when a planner runs: the other nodes never load the planning code.
        const { PlannerNode, plannerParameterSpecs } = await import("./PlannerNode.js");
        return new PlannerNode({ node, params: node.declareParameters(plannerParameterSpecs()) });
      }
      case "sim": {
        const params = node.declareParameters(simParameterSpecs());
        const v = params.values;
        const mode = v.mode as LoopMode;
        if (mode === "lockstep" && transport.kind !== "inprocess") {
          throw new NodeSetError("sim: lockstep needs the controller in the same process without --ros (over ROS the sim runs in real time and publishes /clock)");
        }
        // Actors of a multi-actor set start from different states (seed + actor index).
        const bridge = new MujocoBridge({ source: resolveModelSource(v.model), controlRateHz: v.rate_hz, seed: v.seed + (stream ?? 0) });
        try {
          await bridge.configure();
        } catch (err) {
          await bridge.shutdown();
          throw err;
        }
        const periodSec = bridge.controlPeriodSec;
        return new BridgeNode({
          node,
          bridge,
          params,
          mode,
          periodSec,
          maxTicks: ticksFor(options.durationSec, periodSec),
          timer: options.timer,
          publishClock: v.publish_clock,
        });
      }
      case "hardware": {
        const params = node.declareParameters(hardwareParameterSpecs());
        const v = params.values;
        const factory = options.hardwareBridge ?? defaultHardwareBridge;
        const bridge = await factory(v, node);
        const periodSec = 1 / v.rate_hz;
        return new BridgeNode({ node, bridge, params, mode: "realtime", periodSec, maxTicks: ticksFor(options.durationSec, periodSec), timer: options.timer });
      }
    }
  } catch (err) {
    node.destroy();
    throw err;
  }
}

function ticksFor(durationSec: number | undefined, periodSec: number): number | undefined {
  return durationSec === undefined ? undefined : Math.max(1, Math.round(durationSec / periodSec));
}

/**
 * The muscle boards (hardware/MuscleBoardBridge), imported only when the hardware node runs, so
 * that the other nodes never load the serial port code. `port` and `command_mode` win over the
 * configuration file.
 */
async function defaultHardwareBridge(params: HardwareParameters): Promise<Bridge> {
  const { MuscleBoardBridge } = await import("../../hardware/MuscleBoardBridge.js");
  const { hardwareOptions, HardwareConfigError } = await import("../../hardware/configFile.js");
  try {
    const options = hardwareOptions(
      params.config_file || undefined,
      { ports: params.port ? [{ path: params.port }] : undefined, commandMode: (params.command_mode || undefined) as CommandModeName | undefined },
      { what: "config_file", noPorts: "no serial port: set the port parameter (--port) or ports in config_file" },
    );
    return new MuscleBoardBridge({ ...options, commandMode: options.commandMode ?? "pwm" });
  } catch (err) {
    if (err instanceof HardwareConfigError) throw new NodeSetError(`hardware: ${err.message}`);
    throw err;
  }
}
