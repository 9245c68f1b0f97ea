/**
 * Robot namespaces: several actors (simulated arms, real ones, processes, machines) in one graph,
 * each robot's topics under its own prefix (/robot1/muscle_states, /robot1/muscle_commands,
 * /robot1/estop, ...) and the learner's topics (/transitions, /policy) shared, as a ROS 2 launch
 * file would put each robot's nodes in a namespace and remap the learner's topics to the global
 * ones. tendon's topic names are absolute (a ROS namespace does not move them), so the prefix is
 * applied here, around any transport: the nodes' code is unchanged.
 *
 * Node names: in process a node is registered as `NS/name` (unique in the process, and the key
 * of its start-up parameters); over ROS the same string makes the rcl node `name` in namespace
 * `/NS` (ros/RosTransport.ts).
 */
import type { MessageTypeName, MessageTypes } from "../transport/messages.js";
import type { NodeParameters, ParameterCheck, ParameterSpecs } from "../transport/parameters.js";
import { TOPICS } from "../transport/topics.js";
import type { LogLevel, PeriodicTimer, Publisher, QosProfile, Transport, TransportNode } from "../transport/Transport.js";
import { UserError } from "../core/errors.js";
import type { Observable } from "rxjs";

/** Topics every actor shares with the learner (and with each other): the learner's, and diagnostics. */
export const SHARED_TOPICS: readonly string[] = [TOPICS.transitions, TOPICS.policy, TOPICS.diagnostics];

export class NamespaceError extends UserError {
  override name = "NamespaceError";
}

/** Checks a namespace (a ROS name, no slashes: `robot1`); returns it without a leading slash. */
export function checkNamespace(ns: string): string {
  const plain = ns.replace(/^\/+/, "");
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(plain)) throw new NamespaceError(`namespace '${ns}' must be a ROS name: a letter, then letters, digits or underscores (e.g. robot1)`);
  return plain;
}

/** The namespace of actor `i` (0-based) of a multi-actor set: robot1, robot2, ... */
export function actorNamespace(i: number): string {
  return `robot${i + 1}`;
}

/** The name a node of namespace `ns` is registered under (its start-up parameters' key in process). */
export function namespacedNodeName(name: string, ns: string | undefined): string {
  return ns ? `${ns}/${name}` : name;
}

/** `topic` as seen from namespace `ns`: shared topics keep their name, the others get the prefix. */
export function namespacedTopic(topic: string, ns: string | undefined, shared: readonly string[] = SHARED_TOPICS): string {
  if (!ns || shared.includes(topic)) return topic;
  return `/${ns}${topic}`;
}

/** A transport whose nodes live in namespace `ns` (topics prefixed, `shared` topics as they are). */
export function namespacedTransport(inner: Transport, ns: string, shared: readonly string[] = SHARED_TOPICS): Transport {
  const plain = checkNamespace(ns);
  return {
    kind: inner.kind,
    createNode: (name: string) => new NamespacedNode(inner.createNode(namespacedNodeName(name, plain)), name, plain, shared),
    // The inner transport is the caller's: it closes it.
    close: async () => undefined,
  };
}

class NamespacedNode implements TransportNode {
  readonly name: string;
  readonly #inner: TransportNode;
  readonly #ns: string;
  readonly #shared: readonly string[];

  constructor(inner: TransportNode, name: string, ns: string, shared: readonly string[]) {
    this.#inner = inner;
    this.name = name;
    this.#ns = ns;
    this.#shared = shared;
  }

  createPublisher<K extends MessageTypeName>(type: K, topic: string, qos?: QosProfile): Publisher<MessageTypes[K]> {
    return this.#inner.createPublisher(type, namespacedTopic(topic, this.#ns, this.#shared), qos);
  }

  subscribe<K extends MessageTypeName>(type: K, topic: string, qos?: QosProfile): Observable<MessageTypes[K]> {
    return this.#inner.subscribe(type, namespacedTopic(topic, this.#ns, this.#shared), qos);
  }

  declareParameters<S extends ParameterSpecs>(specs: S, check?: ParameterCheck<S>): NodeParameters<S> {
    return this.#inner.declareParameters(specs, check);
  }

  createTimer(periodSec: number, callback: () => void): PeriodicTimer {
    return this.#inner.createTimer(periodSec, callback);
  }

  log(level: LogLevel, message: string): void {
    this.#inner.log(level, message);
  }

  destroy(): void {
    this.#inner.destroy();
  }
}
