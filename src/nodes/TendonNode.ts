/**
 * What every tendon node offers the process that runs it (alone, or composed with others).
 */
import type { SetParametersResult } from "../transport/parameters.js";

export interface TendonNode {
  /** The node's name on the transport ("sim", "controller", ...). */
  readonly name: string;
  /** Starts the node's work (subscriptions, ticks). Throws when the node cannot start; nothing is left running then. */
  start(): Promise<void>;
  /** The node's parameters: `set` validates a change and queues it for the next tick boundary. */
  readonly params: { set(changes: Readonly<Record<string, unknown>>): SetParametersResult };
  /** Resolves when the node ended on its own (a bridge node that ran its ticks); undefined for nodes that run until stopped. */
  readonly finished: Promise<void> | undefined;
  /**
   * Ends the node: a node that commands anything sends the safe command first, then everything
   * is released. Idempotent; safe before `start()` completed.
   */
  stop(): Promise<void>;
}
