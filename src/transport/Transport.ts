/**
 * How nodes talk: topics with standard ROS 2 messages, typed parameters, periodic timers and a
 * log. Two implementations: `InProcessTransport` (the default: RxJS subjects in one process,
 * messages passed by reference) and `RosTransport` (ros/: rclnodejs, loaded only with `--ros`).
 * Node code is written once against this interface.
 *
 * Ownership of messages: a published message is the publisher's. In process, subscribers receive
 * that very object, synchronously inside `publish`, and the publisher may refill it on its next
 * tick; over ROS they receive a deserialized copy. So a subscriber must not modify a message, and
 * must copy what it keeps beyond its callback. A publisher may reuse one message object per topic.
 */
import type { Observable } from "rxjs";
import type { MessageTypeName, MessageTypes } from "./messages.js";
import type { NodeParameters, ParameterCheck, ParameterSpecs } from "./parameters.js";

export type TransportKind = "inprocess" | "ros2";

/** Quality of service, as much of it as both transports honour. */
export interface QosProfile {
  /** Keep-last history depth. */
  readonly depth: number;
  readonly reliability: "reliable" | "best_effort";
  /** transient_local: a late subscriber gets the last message (a latched topic). */
  readonly durability: "volatile" | "transient_local";
}

/** Control topics (states, commands): only the newest message matters. */
export const QOS_CONTROL: QosProfile = Object.freeze({ depth: 1, reliability: "reliable", durability: "volatile" });
/** ROS's default profile: reliable, keep last 10. */
export const QOS_DEFAULT: QosProfile = Object.freeze({ depth: 10, reliability: "reliable", durability: "volatile" });
/** The last message kept for late subscribers (a policy, a description). */
export const QOS_LATCHED: QosProfile = Object.freeze({ depth: 1, reliability: "reliable", durability: "transient_local" });

export interface Publisher<T> {
  readonly topic: string;
  /** Sends `message`; see the ownership rule in this module's comment. */
  publish(message: T): void;
}

export interface PeriodicTimer {
  cancel(): void;
}

export type LogLevel = "info" | "warn" | "error";

export interface TransportNode {
  readonly name: string;
  createPublisher<K extends MessageTypeName>(type: K, topic: string, qos?: QosProfile): Publisher<MessageTypes[K]>;
  /**
   * Messages on `topic`, hot: only those published after subscribing (and the last one of a
   * transient_local topic). Unsubscribing releases the middleware's subscription.
   */
  subscribe<K extends MessageTypeName>(type: K, topic: string, qos?: QosProfile): Observable<MessageTypes[K]>;
  /**
   * Declares the node's parameters with their start-up values (params file, flags). Throws a
   * `ParameterError` listing every invalid value. Call once per node.
   */
  declareParameters<S extends ParameterSpecs>(specs: S, check?: ParameterCheck<S>): NodeParameters<S>;
  /** Calls `callback` every `periodSec` (for housekeeping: diagnostics; the control tick has its own clock). */
  createTimer(periodSec: number, callback: () => void): PeriodicTimer;
  log(level: LogLevel, message: string): void;
  /** Releases the node's publishers, subscriptions and timers. Idempotent. */
  destroy(): void;
}

export interface Transport {
  readonly kind: TransportKind;
  /** A node named `name` (unique within the transport). */
  createNode(name: string): TransportNode;
  /** Destroys every node and releases the middleware. Idempotent. */
  close(): Promise<void>;
}
