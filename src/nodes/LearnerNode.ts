/**
 * The learner node, in its first, minimal form: it records what the controller saw and sent
 * (/transitions) as transitions (state, command, next state) in a bounded replay buffer, and
 * publishes nothing. It advertises /policy, where policy updates will go once a learner exists
 * that produces a policy; until then no message is ever published there, and its diagnostics say
 * so. It does not train anything.
 *
 * A /transitions message is one tick: per muscle (rows) length, velocity, force and the command
 * sent (columns). Consecutive messages make a transition; a change in the number of muscles starts
 * the buffer afresh.
 */
import { Subscription } from "rxjs";
import { DIAGNOSTIC_OK, type Float64MultiArrayMsg } from "../transport/messages.js";
import { param, type NodeParameters } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type PeriodicTimer, type TransportNode } from "../transport/Transport.js";
import { diagnosticArray, epochSec, keyValues } from "../transport/diagnostics.js";
import type { TendonNode } from "./TendonNode.js";
import { TOPICS, TRANSITION_FIELDS } from "../transport/topics.js";

export function learnerParameterSpecs() {
  return {
    replay_capacity: param.integer("replay_capacity", { default: 50000, min: 2, max: 10_000_000, readOnly: true, description: "ticks kept in the replay buffer (oldest dropped first)" }),
    diagnostics_period_sec: param.double("diagnostics_period_sec", { default: 1, min: 0, exclusiveMin: true, readOnly: true, description: "period of /diagnostics (s)" }),
  };
}

export type LearnerParameterSpecs = ReturnType<typeof learnerParameterSpecs>;

/** One recorded transition, copied out of the buffer. */
export interface Transition {
  /** Per muscle: length (m), velocity (m/s), force (N), interleaved as in /transitions (3 per muscle). */
  readonly state: Float64Array;
  readonly command: Float64Array;
  readonly nextState: Float64Array;
}

/** Ticks in a ring: row r holds muscles x 4 values. */
class TickRing {
  readonly rowSize: number;
  readonly capacity: number;
  readonly #data: Float64Array;
  #next = 0;
  #size = 0;

  constructor(muscles: number, capacity: number) {
    this.rowSize = muscles * TRANSITION_FIELDS.length;
    this.capacity = capacity;
    this.#data = new Float64Array(this.rowSize * capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(values: Float64Array): void {
    this.#data.set(values, this.#next * this.rowSize);
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Row `i`, 0 = oldest kept. */
  row(i: number): Float64Array {
    const start = (this.#next - this.#size + i + this.capacity) % this.capacity;
    return this.#data.subarray(start * this.rowSize, (start + 1) * this.rowSize);
  }
}

export interface LearnerNodeOptions {
  readonly node: TransportNode;
  readonly params: NodeParameters<LearnerParameterSpecs>;
}

export class LearnerNode implements TendonNode {
  readonly name: string;
  readonly finished = undefined;
  readonly #node: TransportNode;
  readonly #params: NodeParameters<LearnerParameterSpecs>;
  readonly #subs = new Subscription();
  #ring: TickRing | undefined;
  #ticks = 0;
  #rejected = 0;
  #timer: PeriodicTimer | undefined;
  #stopped = false;

  constructor(options: LearnerNodeOptions) {
    this.#node = options.node;
    this.#params = options.params;
    this.name = options.node.name;
  }

  /** Transitions available in the buffer. */
  get transitions(): number {
    return this.#ring ? Math.max(0, this.#ring.size - 1) : 0;
  }

  /** Ticks received in all (including those dropped from the buffer). */
  get ticksReceived(): number {
    return this.#ticks;
  }

  /** Policy updates published: none, until a learner that produces a policy exists. */
  readonly policyUpdates = 0;

  /** Transition `i` (0 = oldest kept), copied. */
  transition(i: number): Transition {
    const ring = this.#ring;
    if (!ring || i < 0 || i >= this.transitions) throw new RangeError(`transition ${i} does not exist (${this.transitions} recorded)`);
    const a = ring.row(i);
    const b = ring.row(i + 1);
    const k = TRANSITION_FIELDS.length;
    const n = ring.rowSize / k;
    const state = new Float64Array(3 * n);
    const nextState = new Float64Array(3 * n);
    const command = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      for (let j = 0; j < 3; j++) {
        state[3 * m + j] = a[k * m + j];
        nextState[3 * m + j] = b[k * m + j];
      }
      command[m] = a[k * m + 3];
    }
    return { state, command, nextState };
  }

  get params(): NodeParameters<LearnerParameterSpecs> {
    return this.#params;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const node = this.#node;
    const capacity = this.#params.values.replay_capacity;
    // Advertised for the learner to come; nothing is published on it yet.
    node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.policy, QOS_LATCHED);
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    this.#subs.add(
      node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions, QOS_CONTROL).subscribe((msg) => this.#record(msg, capacity)),
    );
    this.#timer = node.createTimer(this.#params.values.diagnostics_period_sec, () =>
      diagPub.publish(
        diagnosticArray(epochSec(), [
          {
            level: DIAGNOSTIC_OK,
            name: `${this.name}: replay`,
            message: "recording transitions; no policy yet (nothing is published on /policy)",
            hardware_id: "",
            values: keyValues({ ticks_received: this.#ticks, transitions: this.transitions, capacity, messages_rejected: this.#rejected, policy_updates: 0 }),
          },
        ]),
      ),
    );
  }

  #record(msg: Float64MultiArrayMsg, capacity: number): void {
    const dim = msg.layout.dim;
    const k = TRANSITION_FIELDS.length;
    if (dim.length !== 2 || dim[1].size !== k || dim[0].size * k !== msg.data.length) {
      if (this.#rejected++ === 0) this.#node.log("warn", `ignoring ${TOPICS.transitions} messages that are not muscles x ${k} (${TRANSITION_FIELDS.join(", ")})`);
      return;
    }
    const n = dim[0].size;
    if (!this.#ring || this.#ring.rowSize !== n * k) {
      if (this.#ring) this.#node.log("info", `the number of muscles changed to ${n}: the replay buffer starts afresh`);
      this.#ring = new TickRing(n, capacity);
    }
    this.#ring.push(msg.data);
    this.#ticks++;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#subs.unsubscribe();
    this.#node.destroy();
  }
}
