/**
 * A fake rclnodejs 2.x, shaped after the package's published type declarations (types/*.d.ts)
 * and the behaviour of its lib/ code that tendon relies on, for the contract test of
 * `RosTransport`. It checks what the real module checks, the way it does:
 *
 * - `init(context, argv)` must come first; it parses `--ros-args` (`--params-file FILE`,
 *   `-p [node:]name:=value`) into per-node parameter overrides, typed as rcl types them (YAML:
 *   integers are INTEGER with bigint values, floats DOUBLE, ...).
 * - `createTimer(period)` throws unless `period` is a bigint (nanoseconds).
 * - Publishing checks the message against its type's fields; delivery is asynchronous (on the
 *   next turn of the event loop, as rclnodejs's spin delivers from its wait set), only to
 *   spinning nodes, as a deep copy with typed arrays (float64[] as Float64Array, ...) when
 *   `enableTypedArray` is on (its default).
 * - QoS: a `QoS` object (history, depth, reliability, durability) or a profile string.
 * - `createObservableSubscription(...).destroy()` only completes the subject; the subscription
 *   lives until `node.destroySubscription`.
 * - Parameters: `Parameter` validates its value against its type (INTEGER needs bigint);
 *   `declareParameter` applies a matching override unless told to ignore it and checks the type
 *   against the descriptor; `setParameters` (what `ros2 param set` reaches) runs pre-set
 *   callbacks, then checks declared / read-only / type / range (answering with rclnodejs's
 *   generic reasons), then the on-set callbacks (most recently added first).
 * - `FloatingPointRange` has step 1 unless told otherwise (as in rclnodejs).
 * - `removeSignalHandlers()` removes the SIGINT handler the module installs when imported.
 */
import fs from "node:fs";
import { Subject } from "rxjs";
import { parse as parseYaml } from "yaml";
import type {
  Rclnodejs,
  RclLogger,
  RclNode,
  RclObservableSubscription,
  RclParameter,
  RclParameterDescriptor,
  RclPublisher,
  RclPubSubOptions,
  RclSetParametersResult,
  RclSubscription,
  RclTimer,
} from "../../ros/rclnodejsApi.js";

export const ParameterType = {
  PARAMETER_NOT_SET: 0,
  PARAMETER_BOOL: 1,
  PARAMETER_INTEGER: 2,
  PARAMETER_DOUBLE: 3,
  PARAMETER_STRING: 4,
  PARAMETER_BYTE_ARRAY: 5,
  PARAMETER_BOOL_ARRAY: 6,
  PARAMETER_INTEGER_ARRAY: 7,
  PARAMETER_DOUBLE_ARRAY: 8,
  PARAMETER_STRING_ARRAY: 9,
} as const;

function validValue(value: unknown, type: number): boolean {
  if (value === null || value === undefined) return type === ParameterType.PARAMETER_NOT_SET;
  switch (type) {
    case ParameterType.PARAMETER_BOOL:
      return typeof value === "boolean";
    case ParameterType.PARAMETER_STRING:
      return typeof value === "string";
    case ParameterType.PARAMETER_DOUBLE:
      return typeof value === "number";
    case ParameterType.PARAMETER_INTEGER:
      return typeof value === "bigint";
    case ParameterType.PARAMETER_BOOL_ARRAY:
      return Array.isArray(value) && value.every((v) => typeof v === "boolean");
    case ParameterType.PARAMETER_INTEGER_ARRAY:
      return Array.isArray(value) && value.every((v) => typeof v === "bigint");
    case ParameterType.PARAMETER_DOUBLE_ARRAY:
      return Array.isArray(value) && value.every((v) => typeof v === "number");
    case ParameterType.PARAMETER_STRING_ARRAY:
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    default:
      return false;
  }
}

export class Parameter implements RclParameter {
  readonly name: string;
  readonly type: number;
  value: unknown;
  constructor(name: string, type: number, value?: unknown) {
    this.name = name;
    this.type = type;
    this.value = type === ParameterType.PARAMETER_INTEGER ? BigInt(value as number | bigint) : value;
    this.validate();
  }
  validate(): void {
    if (!this.name || typeof this.name !== "string") throw new TypeError("parameter name must be a non-empty string");
    if (!validValue(this.value, this.type)) throw new TypeError(`Parameter ${this.name}: value ${String(this.value)} does not match type ${this.type}`);
  }
}

export class FloatingPointRange {
  constructor(
    readonly fromValue: number,
    readonly toValue: number,
    readonly step = 1,
    readonly tolerance = 1e-6,
  ) {}
  inRange(v: number): boolean {
    if (Math.abs(v - this.fromValue) <= this.tolerance || Math.abs(v - this.toValue) <= this.tolerance) return true;
    if (v < this.fromValue || v > this.toValue) return false;
    if (this.step !== 0) {
      const k = Math.round((v - this.fromValue) / this.step);
      if (Math.abs(this.fromValue + k * this.step - v) > this.tolerance) return false;
    }
    return true;
  }
}

export class ParameterDescriptor implements RclParameterDescriptor {
  additionalConstraints = "";
  range: FloatingPointRange | undefined;
  constructor(
    readonly name: string,
    readonly type: number = ParameterType.PARAMETER_NOT_SET,
    readonly description = "no description",
    readonly readOnly = false,
    range?: FloatingPointRange,
  ) {
    this.range = range;
    if (typeof description !== "string") throw new TypeError("description must be a string");
  }
  validateParameter(p: RclParameter): void {
    if (p.name !== this.name) throw new Error("Name mismatch");
    if (p.type !== this.type) throw new TypeError(`type mismatch: ${p.type} != ${this.type}`);
    if (this.range && typeof p.value === "number" && !this.range.inRange(p.value)) throw new RangeError("out of range");
  }
}

const HistoryPolicy = { RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1, RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2 } as const;
const ReliabilityPolicy = { RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1, RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2 } as const;
const DurabilityPolicy = { RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1, RMW_QOS_POLICY_DURABILITY_VOLATILE: 2 } as const;

export class QoS {
  static get HistoryPolicy() {
    return HistoryPolicy;
  }
  static get ReliabilityPolicy() {
    return ReliabilityPolicy;
  }
  static get DurabilityPolicy() {
    return DurabilityPolicy;
  }
  static readonly profileDefault = "qos_profile_default";
  constructor(
    readonly history: number = 0,
    readonly depth: number = 0,
    readonly reliabilityPolicy: number = 0,
    readonly durability: number = 0,
  ) {}
  reliability(): number {
    return this.reliabilityPolicy;
  }
}

// Message types: field kinds, so that publishing checks shapes and delivery builds typed arrays.
type Field = "string" | "bool" | "uint" | "int" | "byte" | "float64[]" | "float32[]" | "int32[]" | "string[]" | { msg: Shape } | { array: Shape };
interface Shape {
  readonly [field: string]: Field;
}
const TIME: Shape = { sec: "int", nanosec: "uint" };
const HEADER: Shape = { stamp: { msg: TIME }, frame_id: "string" };
export const MESSAGE_SHAPES: Readonly<Record<string, Shape>> = {
  "sensor_msgs/msg/JointState": { header: { msg: HEADER }, name: "string[]", position: "float64[]", velocity: "float64[]", effort: "float64[]" },
  "sensor_msgs/msg/Joy": { header: { msg: HEADER }, axes: "float32[]", buttons: "int32[]" },
  "std_msgs/msg/Float64MultiArray": {
    layout: { msg: { dim: { array: { label: "string", size: "uint", stride: "uint" } }, data_offset: "uint" } },
    data: "float64[]",
  },
  "diagnostic_msgs/msg/DiagnosticArray": {
    header: { msg: HEADER },
    status: { array: { level: "byte", name: "string", message: "string", hardware_id: "string", values: { array: { key: "string", value: "string" } } } },
  },
  "rosgraph_msgs/msg/Clock": { clock: { msg: TIME } },
  "std_msgs/msg/Bool": { data: "bool" },
  "std_msgs/msg/String": { data: "string" },
};

/** Checks `value` against `shape` and returns the copy a subscriber receives (throws like a failed serialization). */
function convert(shape: Shape, value: unknown, typed: boolean, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw new TypeError(`${path}: expected a message object`);
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const x = v[name];
    const where = `${path}.${name}`;
    if (typeof field === "object") {
      if ("msg" in field) out[name] = convert(field.msg, x, typed, where);
      else {
        if (!Array.isArray(x)) throw new TypeError(`${where}: expected an array`);
        out[name] = x.map((e, i) => convert(field.array, e, typed, `${where}[${i}]`));
      }
      continue;
    }
    switch (field) {
      case "string":
        if (typeof x !== "string") throw new TypeError(`${where}: expected a string`);
        out[name] = x;
        break;
      case "bool":
        if (typeof x !== "boolean") throw new TypeError(`${where}: expected a bool`);
        out[name] = x;
        break;
      case "uint":
      case "int":
      case "byte":
        if (typeof x !== "number" || !Number.isInteger(x) || (field !== "int" && x < 0) || (field === "byte" && x > 255)) throw new TypeError(`${where}: expected ${field}, got ${String(x)}`);
        out[name] = x;
        break;
      case "string[]":
        if (!Array.isArray(x) || !x.every((s) => typeof s === "string")) throw new TypeError(`${where}: expected string[]`);
        out[name] = [...x];
        break;
      case "float64[]":
      case "float32[]":
      case "int32[]": {
        if (!Array.isArray(x) && !ArrayBuffer.isView(x)) throw new TypeError(`${where}: expected ${field}`);
        const arr = Array.from(x as ArrayLike<number>);
        if (!arr.every((n) => typeof n === "number")) throw new TypeError(`${where}: expected numbers`);
        out[name] = !typed ? arr : field === "float64[]" ? Float64Array.from(arr) : field === "float32[]" ? Float32Array.from(arr) : Int32Array.from(arr);
        break;
      }
    }
  }
  return out;
}

interface BusSubscription {
  readonly node: FakeNode;
  readonly type: string;
  readonly typed: boolean;
  readonly deliver: (message: unknown) => void;
  destroyed: boolean;
}

/** Everything the adapter did, for assertions. */
export interface CallRecord {
  readonly call: string;
  readonly args: readonly unknown[];
}

export class FakeRclnodejs implements Rclnodejs {
  readonly Node: new (name: string, namespace?: string) => FakeNode;
  readonly QoS = QoS;
  readonly Parameter = Parameter;
  readonly ParameterDescriptor = ParameterDescriptor;
  readonly ParameterType = ParameterType;
  readonly calls: CallRecord[] = [];
  readonly nodes: FakeNode[] = [];
  /** Parameter overrides per node name ("/**" for all), from init's argv. */
  readonly overrides = new Map<string, Map<string, Parameter>>();
  /** topic -> subscriptions */
  readonly bus = new Map<string, Set<BusSubscription>>();
  readonly topicTypes = new Map<string, string>();
  initArgv: string[] | undefined;
  signalHandlerInstalled = true;
  #shutdown = false;

  constructor() {
    const rcl = this;
    this.Node = class extends FakeNode {
      constructor(name: string, namespace?: string) {
        super(rcl, name, namespace);
      }
    };
  }

  record(call: string, ...args: unknown[]): void {
    this.calls.push({ call, args });
  }

  called(call: string): CallRecord[] {
    return this.calls.filter((c) => c.call === call);
  }

  async init(context?: unknown, argv: string[] = process.argv): Promise<void> {
    this.record("init", context, argv);
    if (this.initArgv) throw new Error("The context has already been initialized.");
    this.initArgv = [...argv];
    const i = argv.indexOf("--ros-args");
    if (i < 0) return;
    const ros = argv.slice(i + 1);
    for (let k = 0; k < ros.length; k++) {
      if (ros[k] === "--params-file") this.#loadParamsFile(ros[++k]);
      else if (ros[k] === "-p") {
        const m = /^(?:([^:]+):)?([^:]+):=(.*)$/.exec(ros[++k] ?? "");
        if (!m) throw new Error(`bad -p argument '${ros[k]}'`);
        this.#override(m[1] ?? "/**", m[2], parseYaml(m[3], { intAsBigInt: true }));
      } else if (ros[k] === "-r") k++;
      else throw new Error(`unknown ROS argument '${ros[k]}'`);
    }
  }

  #loadParamsFile(file: string): void {
    const doc = parseYaml(fs.readFileSync(file, "utf8"), { intAsBigInt: true }) as Record<string, { ros__parameters: Record<string, unknown> }>;
    for (const [rawNode, section] of Object.entries(doc)) {
      const node = rawNode === "/**" ? "/**" : rawNode.replace(/^\//, "");
      for (const [name, value] of Object.entries(section.ros__parameters ?? {})) this.#override(node, name, value);
    }
  }

  #override(node: string, name: string, value: unknown): void {
    const type =
      typeof value === "bigint"
        ? ParameterType.PARAMETER_INTEGER
        : typeof value === "number"
          ? ParameterType.PARAMETER_DOUBLE
          : typeof value === "boolean"
            ? ParameterType.PARAMETER_BOOL
            : typeof value === "string"
              ? ParameterType.PARAMETER_STRING
              : Array.isArray(value) && value.every((v) => typeof v === "string")
                ? ParameterType.PARAMETER_STRING_ARRAY
                : Array.isArray(value) && value.every((v) => typeof v === "bigint")
                  ? ParameterType.PARAMETER_INTEGER_ARRAY
                  : ParameterType.PARAMETER_DOUBLE_ARRAY;
    let m = this.overrides.get(node);
    if (!m) this.overrides.set(node, (m = new Map()));
    m.set(name, new Parameter(name, type, value));
  }

  assertInitialized(): void {
    if (!this.initArgv) throw new Error("rclnodejs.init() must be called before creating nodes");
    if (this.#shutdown) throw new Error("the context was shut down");
  }

  shutdown(context?: unknown): void {
    this.record("shutdown", context);
    if (this.#shutdown) throw new Error("already shut down");
    this.#shutdown = true;
    for (const n of this.nodes) n.destroy();
  }

  isShutdown(): boolean {
    return this.#shutdown;
  }

  removeSignalHandlers(): void {
    this.record("removeSignalHandlers");
    this.signalHandlerInstalled = false;
  }

  /**
   * Delivers like DDS: on the next turn of the event loop, to spinning nodes' live subscriptions.
   * `history`: a transient_local publisher's store of its last `depth` samples, which
   * transient_local subscriptions created later receive (volatile ones do not).
   */
  publish(topic: string, type: string, message: unknown, history?: LatchedHistory): void {
    const shape = MESSAGE_SHAPES[type];
    if (!shape) throw new TypeError(`unknown message type ${type}`);
    // Serialization happens at publish time: a later change of the object does not reach subscribers.
    const typed = convert(shape, message, true, type);
    const plain = convert(shape, message, false, type);
    if (history) {
      history.samples.push({ type, typed, plain });
      if (history.samples.length > history.depth) history.samples.shift();
    }
    for (const sub of this.bus.get(topic) ?? []) {
      if (sub.type !== type) continue;
      this.deliverLater(sub, typed, plain);
    }
  }

  deliverLater(sub: BusSubscription, typed: unknown, plain: unknown): void {
    setImmediate(() => {
      if (!sub.destroyed && sub.node.spinning && !sub.node.destroyed) sub.deliver(sub.typed ? structuredClone(typed) : structuredClone(plain));
    });
  }

  /** transient_local publishers' stores, per topic. */
  readonly latched = new Map<string, Set<LatchedHistory>>();
}

interface LatchedHistory {
  readonly samples: LatchedSample[];
  readonly depth: number;
  /** A destroyed publisher's samples are gone with it. */
  readonly publisher: { readonly destroyed: boolean };
}

interface LatchedSample {
  readonly type: string;
  readonly typed: unknown;
  readonly plain: unknown;
}

const isTransientLocal = (options: RclPubSubOptions | undefined): boolean => options?.qos instanceof QoS && options.qos.durability === DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL;

export class FakeTimer implements RclTimer {
  canceled = false;
  constructor(
    readonly period: bigint,
    readonly handle: NodeJS.Timeout,
  ) {}
  cancel(): void {
    this.canceled = true;
    clearInterval(this.handle);
  }
}

export class FakeNode implements RclNode {
  readonly rcl: FakeRclnodejs;
  readonly nodeName: string;
  spinning = false;
  destroyed = false;
  readonly publishers: { topic: string; type: string; options: RclPubSubOptions | undefined; destroyed: boolean }[] = [];
  readonly subscriptions: (BusSubscription & { topic: string; options: RclPubSubOptions | undefined })[] = [];
  readonly timers: FakeTimer[] = [];
  readonly parameters = new Map<string, Parameter>();
  readonly descriptors = new Map<string, ParameterDescriptor>();
  readonly logs: { level: string; message: string }[] = [];
  readonly #pre: ((ps: RclParameter[]) => RclParameter[])[] = [];
  readonly #onSet: ((ps: RclParameter[]) => RclSetParametersResult)[] = [];

  constructor(rcl: FakeRclnodejs, name: string, _namespace?: string) {
    rcl.assertInitialized();
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid node name '${name}'`);
    this.rcl = rcl;
    this.nodeName = name;
    rcl.nodes.push(this);
    rcl.record("Node", name);
  }

  name(): string {
    return this.nodeName;
  }

  #qos(options: RclPubSubOptions | undefined): void {
    const q = options?.qos;
    if (q === undefined || typeof q === "string") return;
    if (!(q instanceof QoS)) throw new TypeError("options.qos must be a QoS object or a profile name");
  }

  createPublisher(typeClass: string, topic: string, options?: RclPubSubOptions): RclPublisher {
    this.#alive();
    this.rcl.record("createPublisher", this.nodeName, typeClass, topic, options);
    if (!MESSAGE_SHAPES[typeClass]) throw new TypeError(`unknown message type ${typeClass}`);
    this.#qos(options);
    const entry = { topic, type: typeClass, options, destroyed: false };
    this.publishers.push(entry);
    const rcl = this.rcl;
    let history: LatchedHistory | undefined;
    if (isTransientLocal(options)) {
      history = { samples: [], depth: Math.max(1, (options!.qos as QoS).depth), publisher: entry };
      let set = rcl.latched.get(topic);
      if (!set) rcl.latched.set(topic, (set = new Set()));
      set.add(history);
    }
    return {
      topic,
      publish(message: object) {
        if (entry.destroyed) throw new Error("publisher destroyed");
        rcl.publish(topic, typeClass, message, history);
      },
    };
  }

  destroyPublisher(publisher: RclPublisher): void {
    this.rcl.record("destroyPublisher", publisher.topic);
  }

  createObservableSubscription(typeClass: string, topic: string, options?: RclPubSubOptions): RclObservableSubscription {
    this.#alive();
    this.rcl.record("createObservableSubscription", this.nodeName, typeClass, topic, options);
    if (!MESSAGE_SHAPES[typeClass]) throw new TypeError(`unknown message type ${typeClass}`);
    this.#qos(options);
    const subject = new Subject<unknown>();
    const sub = { node: this, type: typeClass, typed: options?.enableTypedArray ?? true, deliver: (m: unknown) => subject.next(m), destroyed: false, topic, options };
    this.subscriptions.push(sub);
    let set = this.rcl.bus.get(topic);
    if (!set) this.rcl.bus.set(topic, (set = new Set()));
    set.add(sub);
    if (isTransientLocal(options)) {
      for (const h of this.rcl.latched.get(topic) ?? []) if (!h.publisher.destroyed) for (const m of h.samples) if (m.type === typeClass) this.rcl.deliverLater(sub, m.typed, m.plain);
    }
    let destroyed = false;
    const subscription: RclSubscription & { entry: typeof sub } = { topic, entry: sub };
    return {
      observable: subject.asObservable(),
      subscription,
      get isDestroyed() {
        return destroyed;
      },
      // As in rclnodejs: completes the subject; the subscription stays until destroySubscription.
      destroy() {
        if (!destroyed) {
          destroyed = true;
          subject.complete();
        }
      },
    };
  }

  destroySubscription(subscription: RclSubscription): void {
    this.rcl.record("destroySubscription", this.nodeName, subscription.topic);
    const entry = (subscription as RclSubscription & { entry?: BusSubscription }).entry;
    if (!entry) throw new Error("not a subscription of this node");
    entry.destroyed = true;
    this.rcl.bus.get(subscription.topic)?.delete(entry);
  }

  createTimer(period: bigint, callback: () => void): RclTimer {
    this.#alive();
    this.rcl.record("createTimer", this.nodeName, period);
    if (typeof period !== "bigint") throw new TypeError(`Invalid argument: period must be a bigint, got ${typeof period}`);
    if (period <= 0n) throw new RangeError("period must be > 0");
    const h = setInterval(() => {
      if (this.spinning && !this.destroyed) callback();
    }, Number(period / 1_000_000n));
    const t = new FakeTimer(period, h);
    this.timers.push(t);
    return t;
  }

  destroyTimer(timer: RclTimer): void {
    this.rcl.record("destroyTimer", this.nodeName);
    (timer as FakeTimer).cancel();
  }

  getParameterOverrides(): RclParameter[] {
    this.rcl.record("getParameterOverrides", this.nodeName);
    return [...(this.rcl.overrides.get("/**")?.values() ?? []), ...(this.rcl.overrides.get(this.nodeName)?.values() ?? [])];
  }

  declareParameter(parameter: RclParameter, descriptor?: RclParameterDescriptor, ignoreOverride = false): RclParameter {
    this.#alive();
    this.rcl.record("declareParameter", this.nodeName, parameter, descriptor, ignoreOverride);
    if (!(parameter instanceof Parameter)) throw new TypeError("declareParameter needs a Parameter");
    if (descriptor !== undefined && !(descriptor instanceof ParameterDescriptor)) throw new TypeError("the descriptor must be a ParameterDescriptor");
    if (this.parameters.has(parameter.name)) throw new Error(`Parameter(${parameter.name}) already declared.`);
    const override = ignoreOverride ? undefined : this.getParameterOverrides().find((p) => p.name === parameter.name);
    const p = (override as Parameter | undefined) ?? parameter;
    const d = descriptor ?? new ParameterDescriptor(p.name, p.type, "Created from parameter.");
    this.descriptors.set(p.name, d);
    const result = this.#setAtomically([p], true);
    if (!result.successful) {
      this.descriptors.delete(p.name);
      throw new Error(result.reason);
    }
    return this.parameters.get(p.name)!;
  }

  addPreSetParametersCallback(callback: (parameters: RclParameter[]) => RclParameter[]): void {
    this.rcl.record("addPreSetParametersCallback", this.nodeName);
    this.#pre.push(callback);
  }

  addOnSetParametersCallback(callback: (parameters: RclParameter[]) => RclSetParametersResult): void {
    this.rcl.record("addOnSetParametersCallback", this.nodeName);
    this.#onSet.unshift(callback);
  }

  /** What `ros2 param set` reaches (the parameter service). */
  setParameters(parameters: RclParameter[]): RclSetParametersResult {
    return this.#setAtomically(parameters, false);
  }

  getParameter(name: string): Parameter | undefined {
    return this.parameters.get(name);
  }

  #setAtomically(parameters: RclParameter[], declaring: boolean): RclSetParametersResult {
    for (const cb of this.#pre) {
      parameters = cb(parameters);
      if (!Array.isArray(parameters)) return { successful: false, reason: "pre-set parameters callback must return an array of Parameters" };
      if (parameters.length === 0) return { successful: false, reason: "parameter list is empty after pre-set callback; set rejected" };
    }
    for (const p of parameters) {
      try {
        (p as Parameter).validate();
      } catch {
        return { successful: false, reason: `Invalid ${p.name}` };
      }
      const d = this.descriptors.get(p.name);
      if (!d) return { successful: false, reason: `Parameter ${p.name} has not been declared` };
      if (!declaring && d.readOnly) return { successful: false, reason: `Parameter ${p.name} is readonly` };
      try {
        d.validateParameter(p);
      } catch {
        return { successful: false, reason: `Parameter ${p.name} does not  readonly` };
      }
    }
    for (const cb of this.#onSet) {
      const r = cb(parameters);
      if (!r.successful) return r;
    }
    for (const p of parameters) this.parameters.set(p.name, p as Parameter);
    return { successful: true, reason: "" };
  }

  getLogger(): RclLogger {
    const logs = this.logs;
    const at =
      (level: string) =>
      (message: string): boolean => {
        if (typeof message !== "string") throw new TypeError("log messages are strings");
        logs.push({ level, message });
        return true;
      };
    return { info: at("info"), warn: at("warn"), error: at("error") };
  }

  spin(_timeout?: number): void {
    this.rcl.record("spin", this.nodeName);
    if (this.spinning) throw new Error("The node is already spinning.");
    this.spinning = true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.rcl.record("destroy", this.nodeName);
    this.destroyed = true;
    this.spinning = false;
    for (const t of this.timers) t.cancel();
    for (const s of this.subscriptions) {
      s.destroyed = true;
      this.rcl.bus.get(s.topic)?.delete(s);
    }
    for (const p of this.publishers) p.destroyed = true;
  }

  #alive(): void {
    if (this.destroyed) throw new Error(`node ${this.nodeName} was destroyed`);
  }
}
