/**
 * The default transport: every topic is an RxJS subject in this process. `publish` delivers the
 * message object itself to each subscriber, synchronously: no serialization and no copy, so a
 * sensor frame reaches the controller and its command comes back within the same tick. The
 * ownership rule of `Transport` applies: subscribers neither modify nor keep what they are handed.
 *
 * A topic has one message type; using it with another type throws (over ROS the two ends would
 * silently never match).
 */
import { Observable, Subject } from "rxjs";
import type { MessageTypeName, MessageTypes } from "./messages.js";
import { NodeParameters, type ParameterCheck, type ParameterSpecs } from "./parameters.js";
import { QOS_DEFAULT, type LogLevel, type PeriodicTimer, type Publisher, type QosProfile, type Transport, type TransportNode } from "./Transport.js";

export interface InProcessTransportOptions {
  /** Start-up parameter values per node name (from a params file and flags). */
  readonly parameters?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Where log lines go; default stderr. */
  readonly log?: (node: string, level: LogLevel, message: string) => void;
}

interface Topic {
  readonly type: MessageTypeName;
  readonly subject: Subject<unknown>;
  /** The last message, kept when a publisher is transient_local. */
  latched: unknown;
  latching: boolean;
}

export class InProcessTransport implements Transport {
  readonly kind = "inprocess" as const;
  readonly #options: InProcessTransportOptions;
  readonly #topics = new Map<string, Topic>();
  readonly #nodes = new Map<string, InProcessNode>();
  #closed = false;

  constructor(options: InProcessTransportOptions = {}) {
    this.#options = options;
  }

  createNode(name: string): TransportNode {
    if (this.#closed) throw new Error("InProcessTransport: closed");
    if (this.#nodes.has(name)) throw new Error(`a node named '${name}' already exists in this process`);
    const node = new InProcessNode(name, this, this.#options.parameters?.get(name) ?? {}, this.#options.log ?? defaultLog);
    this.#nodes.set(name, node);
    return node;
  }

  /** The node named `name`, for run-time parameter changes without ROS. */
  node(name: string): InProcessNode | undefined {
    return this.#nodes.get(name);
  }

  /** Topic names and their types, sorted (like `ros2 topic list -t`). */
  topics(): { name: string; type: MessageTypeName }[] {
    return [...this.#topics.entries()].map(([name, t]) => ({ name, type: t.type })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** @internal */
  topic(name: string, type: MessageTypeName): Topic {
    if (!name.startsWith("/")) throw new Error(`topic names are absolute in tendon: '${name}' must start with '/'`);
    let t = this.#topics.get(name);
    if (!t) {
      t = { type, subject: new Subject<unknown>(), latched: undefined, latching: false };
      this.#topics.set(name, t);
    } else if (t.type !== type) {
      throw new Error(`topic '${name}' carries ${t.type}; it cannot also carry ${type}`);
    }
    return t;
  }

  /** @internal */
  forget(node: string): void {
    this.#nodes.delete(node);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const node of [...this.#nodes.values()]) node.destroy();
    for (const t of this.#topics.values()) t.subject.complete();
  }
}

function defaultLog(node: string, level: LogLevel, message: string): void {
  process.stderr.write(`[${level.toUpperCase()}] [${node}]: ${message}\n`);
}

export class InProcessNode implements TransportNode {
  readonly name: string;
  readonly #transport: InProcessTransport;
  readonly #overrides: Readonly<Record<string, unknown>>;
  readonly #log: (node: string, level: LogLevel, message: string) => void;
  readonly #timers = new Set<ReturnType<typeof setInterval>>();
  readonly #teardown = new Set<() => void>();
  #parameters: NodeParameters<ParameterSpecs> | undefined;
  #destroyed = false;

  constructor(name: string, transport: InProcessTransport, overrides: Readonly<Record<string, unknown>>, log: (node: string, level: LogLevel, message: string) => void) {
    this.name = name;
    this.#transport = transport;
    this.#overrides = overrides;
    this.#log = log;
  }

  /** The declared parameters (after `declareParameters`). */
  get parameters(): NodeParameters<ParameterSpecs> | undefined {
    return this.#parameters;
  }

  createPublisher<K extends MessageTypeName>(type: K, topic: string, qos: QosProfile = QOS_DEFAULT): Publisher<MessageTypes[K]> {
    this.#assertAlive();
    const t = this.#transport.topic(topic, type);
    if (qos.durability === "transient_local") t.latching = true;
    const node = this;
    return {
      topic,
      publish(message: MessageTypes[K]): void {
        if (node.#destroyed) return;
        if (t.latching) t.latched = message;
        t.subject.next(message);
      },
    };
  }

  subscribe<K extends MessageTypeName>(type: K, topic: string, _qos: QosProfile = QOS_DEFAULT): Observable<MessageTypes[K]> {
    this.#assertAlive();
    const t = this.#transport.topic(topic, type);
    return new Observable<MessageTypes[K]>((subscriber) => {
      if (t.latched !== undefined) subscriber.next(t.latched as MessageTypes[K]);
      const sub = t.subject.subscribe(subscriber as never);
      const stop = (): void => {
        sub.unsubscribe();
        this.#teardown.delete(stop);
      };
      this.#teardown.add(stop);
      return stop;
    });
  }

  declareParameters<S extends ParameterSpecs>(specs: S, check?: ParameterCheck<S>): NodeParameters<S> {
    this.#assertAlive();
    if (this.#parameters) throw new Error(`node '${this.name}' declared its parameters already`);
    const p = new NodeParameters(this.name, specs, this.#overrides, check);
    this.#parameters = p as unknown as NodeParameters<ParameterSpecs>;
    return p;
  }

  createTimer(periodSec: number, callback: () => void): PeriodicTimer {
    this.#assertAlive();
    if (!(periodSec > 0)) throw new RangeError(`timer period must be > 0 s, got ${periodSec}`);
    const h = setInterval(callback, periodSec * 1000);
    this.#timers.add(h);
    return {
      cancel: () => {
        clearInterval(h);
        this.#timers.delete(h);
      },
    };
  }

  log(level: LogLevel, message: string): void {
    this.#log(this.name, level, message);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const h of this.#timers) clearInterval(h);
    this.#timers.clear();
    for (const stop of [...this.#teardown]) stop();
    this.#parameters?.dispose();
    this.#transport.forget(this.name);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error(`node '${this.name}' was destroyed`);
  }
}
