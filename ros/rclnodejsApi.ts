/**
 * The part of rclnodejs 2.x that `RosTransport` uses, written after its published type
 * declarations (types/*.d.ts of the npm package). rclnodejs cannot be installed where ROS 2 is not
 * sourced, so tendon does not compile against its types; this interface is the contract, and the
 * contract test (test/ros/) runs the adapter against a fake module of the same shape.
 *
 * Facts the adapter relies on:
 * - `createTimer(period: bigint, ...)`: a number throws.
 * - Messages arrive with typed arrays (`enableTypedArray`, default true): float64[] as Float64Array.
 * - `createObservableSubscription` returns a hot subject; its `destroy()` only completes the
 *   subject: the subscription itself must be destroyed with `node.destroySubscription`.
 * - Parameters: integers are bigint; a set is checked against the descriptor (type, read-only,
 *   range) before the node's on-set callbacks run, and pre-set callbacks run before that check.
 *   A `FloatingPointRange` has step 1 unless told otherwise.
 * - `init` reads `--ros-args` (remaps, `--params-file`) from the argv it is given; the values of
 *   a params file become the node's parameter overrides.
 * - Importing the module installs a SIGINT handler that shuts everything down; tendon removes it
 *   and handles SIGINT and SIGTERM itself, so that the safe command goes out first.
 */
import type { Observable } from "rxjs";

export interface RclQosConstructor {
  new (history?: number, depth?: number, reliability?: number, durability?: number): object;
  readonly HistoryPolicy: { readonly RMW_QOS_POLICY_HISTORY_KEEP_LAST: number };
  readonly ReliabilityPolicy: { readonly RMW_QOS_POLICY_RELIABILITY_RELIABLE: number; readonly RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number };
  readonly DurabilityPolicy: { readonly RMW_QOS_POLICY_DURABILITY_VOLATILE: number; readonly RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number };
}

export interface RclParameterTypes {
  readonly PARAMETER_NOT_SET: number;
  readonly PARAMETER_BOOL: number;
  readonly PARAMETER_INTEGER: number;
  readonly PARAMETER_DOUBLE: number;
  readonly PARAMETER_STRING: number;
  readonly PARAMETER_INTEGER_ARRAY: number;
  readonly PARAMETER_DOUBLE_ARRAY: number;
  readonly PARAMETER_STRING_ARRAY: number;
}

export interface RclParameter {
  readonly name: string;
  readonly type: number;
  readonly value: unknown;
}

export interface RclParameterDescriptor {
  readonly name: string;
  readonly type: number;
  readonly description: string;
  readonly readOnly: boolean;
  additionalConstraints: string;
}

export interface RclSetParametersResult {
  successful: boolean;
  reason: string;
}

export interface RclPublisher {
  readonly topic: string;
  publish(message: object): void;
}

export interface RclSubscription {
  readonly topic: string;
}

export interface RclObservableSubscription {
  readonly observable: Observable<unknown>;
  readonly subscription: RclSubscription;
  readonly isDestroyed: boolean;
  destroy(): void;
}

export interface RclTimer {
  cancel(): void;
}

export interface RclLogger {
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
}

export interface RclPubSubOptions {
  qos?: object | string;
  enableTypedArray?: boolean;
}

export interface RclNode {
  name(): string;
  createPublisher(typeClass: string, topic: string, options?: RclPubSubOptions): RclPublisher;
  destroyPublisher(publisher: RclPublisher): void;
  createObservableSubscription(typeClass: string, topic: string, options?: RclPubSubOptions): RclObservableSubscription;
  destroySubscription(subscription: RclSubscription): void;
  createTimer(period: bigint, callback: () => void): RclTimer;
  destroyTimer(timer: RclTimer): void;
  declareParameter(parameter: RclParameter, descriptor?: RclParameterDescriptor, ignoreOverride?: boolean): RclParameter;
  getParameterOverrides(): RclParameter[];
  addPreSetParametersCallback(callback: (parameters: RclParameter[]) => RclParameter[]): void;
  addOnSetParametersCallback(callback: (parameters: RclParameter[]) => RclSetParametersResult): void;
  getLogger(): RclLogger;
  spin(timeout?: number): void;
  destroy(): void;
}

/** The module's default export, as far as tendon uses it. */
export interface Rclnodejs {
  init(context?: unknown, argv?: string[]): Promise<void>;
  shutdown(context?: unknown): void;
  isShutdown(): boolean;
  removeSignalHandlers(): void;
  readonly Node: new (nodeName: string, namespace?: string) => RclNode;
  readonly QoS: RclQosConstructor;
  readonly Parameter: new (name: string, type: number, value?: unknown) => RclParameter;
  readonly ParameterDescriptor: new (name: string, type: number, description?: string, readOnly?: boolean) => RclParameterDescriptor;
  readonly ParameterType: RclParameterTypes;
}
