/**
 * The ROS 2 transport: tendon's nodes as rclnodejs nodes. The module is passed in (production
 * code loads it with `loadRclnodejs`; the contract test passes a fake of the same shape), so this
 * file never imports rclnodejs itself.
 *
 * Per tendon node: one `rclnodejs.Node`, spun at creation. Topics map one to one; QoS profiles
 * become `QoS` objects; parameters are declared with a descriptor (type, description, read-only,
 * constraints) and every set request goes through the node's `NodeParameters`, whose reasons are
 * the ones a user sees.
 *
 * Why no range in the descriptors: rclnodejs checks a descriptor range before the node's callback
 * and answers an out-of-range value with a generic message ("Parameter kappa does not  readonly");
 * tendon publishes ranges as `additional_constraints` text and rejects with its own reason
 * ("kappa (-1) must be a finite number > 0: ...").
 */
import { Observable, share } from "rxjs";
import type { MessageTypeName, MessageTypes } from "../src/transport/messages.js";
import { NodeParameters, type ParameterCheck, type ParameterKind, type ParameterSpec, type ParameterSpecs, type ParameterValue } from "../src/transport/parameters.js";
import { isRosReservedParameter } from "../src/transport/paramsFile.js";
import { QOS_DEFAULT, type LogLevel, type PeriodicTimer, type Publisher, type QosProfile, type Transport, type TransportNode } from "../src/transport/Transport.js";
import type { Rclnodejs, RclNode, RclParameter } from "./rclnodejsApi.js";

export interface RosTransportOptions {
  /** Arguments for rcl, as they follow `--ros-args` (remaps, `--params-file FILE`, `-p name:=value`). */
  readonly rosArgs?: readonly string[];
  /** The program's own argv[0] and argv[1] (default: this process's). */
  readonly program?: readonly string[];
}

export class RosTransport implements Transport {
  readonly kind = "ros2" as const;
  readonly #rcl: Rclnodejs;
  readonly #nodes = new Map<string, RosNode>();
  #closed = false;

  private constructor(rcl: Rclnodejs) {
    this.#rcl = rcl;
  }

  /**
   * Initializes rcl with the given ROS arguments. rclnodejs's own SIGINT handler is removed first:
   * the caller handles SIGINT and SIGTERM, commands the safe state, then calls `close()`.
   */
  static async open(rcl: Rclnodejs, options: RosTransportOptions = {}): Promise<RosTransport> {
    rcl.removeSignalHandlers();
    const program = options.program ?? process.argv.slice(0, 2);
    const rosArgs = options.rosArgs ?? [];
    await rcl.init(undefined, rosArgs.length > 0 ? [...program, "--ros-args", ...rosArgs] : [...program]);
    return new RosTransport(rcl);
  }

  createNode(name: string): TransportNode {
    if (this.#closed) throw new Error("RosTransport: closed");
    if (this.#nodes.has(name)) throw new Error(`a node named '${name}' already exists in this process`);
    // "robot1/controller": node controller in namespace /robot1 (src/nodes/namespace.ts).
    const slash = name.lastIndexOf("/");
    const rclNode = slash < 0 ? new this.#rcl.Node(name) : new this.#rcl.Node(name.slice(slash + 1), `/${name.slice(0, slash)}`);
    const node = new RosNode(this.#rcl, rclNode, () => this.#nodes.delete(name));
    this.#nodes.set(name, node);
    return node;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const node of [...this.#nodes.values()]) node.destroy();
    if (!this.#rcl.isShutdown()) this.#rcl.shutdown();
  }
}

class RosNode implements TransportNode {
  readonly name: string;
  readonly #rcl: Rclnodejs;
  readonly #node: RclNode;
  readonly #onDestroy: () => void;
  #parameters: NodeParameters<ParameterSpecs> | undefined;
  #destroyed = false;

  constructor(rcl: Rclnodejs, node: RclNode, onDestroy: () => void) {
    this.#rcl = rcl;
    this.#node = node;
    this.#onDestroy = onDestroy;
    this.name = node.name();
    // Callbacks (subscriptions, timers, parameter services) run once the node spins.
    node.spin();
  }

  createPublisher<K extends MessageTypeName>(type: K, topic: string, qos: QosProfile = QOS_DEFAULT): Publisher<MessageTypes[K]> {
    const publisher = this.#node.createPublisher(type, topic, { qos: this.#qos(qos) });
    return {
      topic,
      publish: (message: MessageTypes[K]): void => {
        if (!this.#destroyed) publisher.publish(message as object);
      },
    };
  }

  subscribe<K extends MessageTypeName>(type: K, topic: string, qos: QosProfile = QOS_DEFAULT): Observable<MessageTypes[K]> {
    const node = this.#node;
    const options = { qos: this.#qos(qos), enableTypedArray: true };
    return new Observable<MessageTypes[K]>((subscriber) => {
      const observable = node.createObservableSubscription(type, topic, options);
      const inner = observable.observable.subscribe(subscriber as never);
      return () => {
        inner.unsubscribe();
        // destroy() only completes rclnodejs's subject; the rcl subscription is released here.
        observable.destroy();
        if (!this.#destroyed) node.destroySubscription(observable.subscription);
      };
    }).pipe(share());
  }

  declareParameters<S extends ParameterSpecs>(specs: S, check?: ParameterCheck<S>): NodeParameters<S> {
    if (this.#parameters) throw new Error(`node '${this.name}' declared its parameters already`);
    const rcl = this.#rcl;
    const T = rcl.ParameterType;
    // Start-up values: what rcl parsed from --params-file and -p for this node.
    const overrides: Record<string, unknown> = {};
    for (const p of this.#node.getParameterOverrides()) {
      if (!isRosReservedParameter(p.name)) overrides[p.name] = p.value;
    }
    const params = new NodeParameters(this.name, specs, overrides, check);
    for (const [name, spec] of Object.entries(specs)) {
      const type = rclType(rcl, spec.kind);
      const descriptor = new rcl.ParameterDescriptor(name, type, spec.description, spec.readOnly ?? false);
      if (spec.constraints) descriptor.additionalConstraints = spec.constraints;
      // The override was validated above and is in `params`: declare that value, not rcl's raw one.
      this.#node.declareParameter(new rcl.Parameter(name, type, toRclValue(spec, params.values[name])), descriptor, true);
    }
    // A params file or `ros2 param set` writes 100 for 100.0: accept an integer for a double.
    this.#node.addPreSetParametersCallback((ps) =>
      ps.map((p) => {
        const spec = specs[p.name];
        if (spec?.kind === "double" && p.type === T.PARAMETER_INTEGER) return new rcl.Parameter(p.name, T.PARAMETER_DOUBLE, Number(p.value));
        if (spec?.kind === "double_array" && p.type === T.PARAMETER_INTEGER_ARRAY) {
          return new rcl.Parameter(p.name, T.PARAMETER_DOUBLE_ARRAY, (p.value as unknown[]).map((v) => Number(v)));
        }
        return p;
      }),
    );
    this.#node.addOnSetParametersCallback((ps: RclParameter[]) => {
      const changes: Record<string, unknown> = {};
      for (const p of ps) if (p.name in specs) changes[p.name] = p.value;
      if (Object.keys(changes).length === 0) return { successful: true, reason: "" };
      const result = params.set(changes);
      return { successful: result.successful, reason: result.reason };
    });
    this.#parameters = params as unknown as NodeParameters<ParameterSpecs>;
    return params;
  }

  createTimer(periodSec: number, callback: () => void): PeriodicTimer {
    if (!(periodSec > 0)) throw new RangeError(`timer period must be > 0 s, got ${periodSec}`);
    // rclnodejs takes the period in nanoseconds as a bigint; a number throws.
    const timer = this.#node.createTimer(BigInt(Math.round(periodSec * 1e9)), callback);
    let cancelled = false;
    return {
      cancel: () => {
        if (cancelled || this.#destroyed) return;
        cancelled = true;
        timer.cancel();
        this.#node.destroyTimer(timer);
      },
    };
  }

  log(level: LogLevel, message: string): void {
    const logger = this.#node.getLogger();
    if (level === "error") logger.error(message);
    else if (level === "warn") logger.warn(message);
    else logger.info(message);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#parameters?.dispose();
    this.#node.destroy();
    this.#onDestroy();
  }

  #qos(qos: QosProfile): object {
    const Q = this.#rcl.QoS;
    return new Q(
      Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
      qos.depth,
      qos.reliability === "reliable" ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
      qos.durability === "transient_local" ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
    );
  }
}

function rclType(rcl: Rclnodejs, kind: ParameterKind): number {
  const T = rcl.ParameterType;
  switch (kind) {
    case "double":
      return T.PARAMETER_DOUBLE;
    case "integer":
      return T.PARAMETER_INTEGER;
    case "bool":
      return T.PARAMETER_BOOL;
    case "string":
      return T.PARAMETER_STRING;
    case "double_array":
      return T.PARAMETER_DOUBLE_ARRAY;
    case "integer_array":
      return T.PARAMETER_INTEGER_ARRAY;
    case "string_array":
      return T.PARAMETER_STRING_ARRAY;
  }
}

/** rclnodejs wants bigint for integers (and in integer arrays), plain arrays for arrays. */
function toRclValue(spec: ParameterSpec, value: ParameterValue): unknown {
  if (spec.kind === "integer") return BigInt(value as number);
  if (spec.kind === "integer_array") return (value as readonly number[]).map((v) => BigInt(v));
  if (Array.isArray(value)) return [...value];
  return value;
}
