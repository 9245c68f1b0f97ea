/**
 * Observes the topics of a transport (what `tendon node ...` runs on) and hands every message to
 * the sinks (the MCAP recorder, the Foxglove live view), as `ros2 bag record` would: a node named
 * "observer" subscribes to every topic of the ROS 2 profile (`PROFILE_TOPICS`) before the other
 * nodes start, and, in process, to any other topic the nodes create (per-source command topics),
 * looked up again every second. Log times are receive times (wall time after the sinks' origin),
 * or, with `simTime` (a lockstep run: simulated time runs faster than the wall's), the time of the
 * last /clock message.
 */
import { Subscription } from "rxjs";
import { LEARNER_TOPICS, PLANNER_TOPICS, sourceCommandTopic, TOPICS } from "../transport/topics.js";
import { InProcessTransport } from "../transport/InProcessTransport.js";
import type { MessageTypeName } from "../transport/messages.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type QosProfile, type Transport, type TransportNode } from "../transport/Transport.js";
import type { TopicSink } from "./TopicSink.js";

interface ProfileTopic {
  readonly type: MessageTypeName;
  readonly qos: QosProfile;
}

/**
 * The type and publishers' QoS of every topic in src/nodes/topics.ts (a topic added there must be
 * added here: the compiler says so).
 */
export const PROFILE_TOPICS: Readonly<Record<keyof typeof TOPICS, ProfileTopic>> = {
  jointStates: { type: "sensor_msgs/msg/JointState", qos: QOS_CONTROL },
  muscleStates: { type: "sensor_msgs/msg/JointState", qos: QOS_CONTROL },
  muscleCommands: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL },
  clock: { type: "rosgraph_msgs/msg/Clock", qos: QOS_CONTROL },
  diagnostics: { type: "diagnostic_msgs/msg/DiagnosticArray", qos: QOS_DEFAULT },
  depMatrix: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
  transitions: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL },
  joy: { type: "sensor_msgs/msg/Joy", qos: QOS_CONTROL },
  estop: { type: "std_msgs/msg/Bool", qos: QOS_DEFAULT },
  estopReset: { type: "std_msgs/msg/Bool", qos: QOS_DEFAULT },
  arbiterOwners: { type: "std_msgs/msg/String", qos: QOS_LATCHED },
  arbiterEvents: { type: "std_msgs/msg/String", qos: QOS_DEFAULT },
  policy: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_LATCHED },
};

/**
 * The learner's and the planner's figures (LEARNER_TOPICS, PLANNER_TOPICS): observed too, so that a
 * recording or the live view of `tendon node ... --ros` has the model loss, the intrinsic reward,
 * the disagreement and the plans. /learner/model (the weights, latched, up to megabytes a version)
 * is left out, as /policy's weights would be if they were not small: `tendon play` saves models.
 */
export const FIGURE_TOPICS: Readonly<Record<string, ProfileTopic>> = {
  [LEARNER_TOPICS.modelLoss]: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
  [LEARNER_TOPICS.intrinsicReward]: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
  [LEARNER_TOPICS.disagreement]: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
  [PLANNER_TOPICS.cost]: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
  [PLANNER_TOPICS.trajectory]: { type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
};

/** The profile's topics by name, the learner's and planner's figures, and the per-source command topics of `sources`. */
export function profileTopics(sources: readonly string[] = ["dep", "teleop", "policy", "planner"]): Map<string, ProfileTopic> {
  const out = new Map<string, ProfileTopic>();
  for (const [key, name] of Object.entries(TOPICS) as [keyof typeof TOPICS, string][]) out.set(name, PROFILE_TOPICS[key]);
  for (const [name, t] of Object.entries(FIGURE_TOPICS)) out.set(name, t);
  for (const s of sources) out.set(sourceCommandTopic(s), { type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL });
  return out;
}

export class TransportRecorder {
  readonly #transport: Transport;
  readonly #node: TransportNode;
  readonly #sinks: readonly TopicSink[];
  readonly #subs = new Subscription();
  readonly #topics = new Set<string>();
  readonly #startMs = performance.now();
  readonly #timer: NodeJS.Timeout;
  readonly #simTime: boolean;
  #clockNs = 0;
  #messages = 0;

  /** Subscribes to the profile's topics now (call before starting the nodes). */
  constructor(transport: Transport, sinks: readonly TopicSink[], options: { sources?: readonly string[]; simTime?: boolean } = {}) {
    this.#transport = transport;
    this.#simTime = options.simTime ?? false;
    this.#sinks = sinks;
    this.#node = transport.createNode("observer");
    for (const [name, t] of profileTopics(options.sources)) this.#add(name, t.type, t.qos);
    this.#timer = setInterval(() => this.refresh(), 1000);
    this.#timer.unref();
  }

  /** Messages handed to the sinks so far. */
  get messages(): number {
    return this.#messages;
  }

  /** Topics observed. */
  get topics(): readonly string[] {
    return [...this.#topics];
  }

  /** Picks up topics the nodes created since (in process; over ROS the profile is what is observed). */
  refresh(): void {
    if (!(this.#transport instanceof InProcessTransport)) return;
    for (const t of this.#transport.topics()) {
      if (!this.#topics.has(t.name) && t.name !== LEARNER_TOPICS.model) this.#add(t.name, t.type, t.name.startsWith(`${TOPICS.muscleCommands}/`) ? QOS_CONTROL : QOS_DEFAULT);
    }
  }

  #add(name: string, type: MessageTypeName, qos: QosProfile): void {
    this.#topics.add(name);
    const ids = this.#sinks.map((s) => s.advertise(name, type, qos));
    const isClock = name === TOPICS.clock;
    this.#subs.add(
      this.#node.subscribe(type, name, qos).subscribe((msg) => {
        if (isClock) {
          const c = (msg as { clock: { sec: number; nanosec: number } }).clock;
          this.#clockNs = c.sec * 1e9 + c.nanosec;
        }
        const timeNs = this.#simTime ? this.#clockNs : (performance.now() - this.#startMs) * 1e6;
        for (let i = 0; i < ids.length; i++) this.#sinks[i].write(ids[i], msg, timeNs);
        this.#messages++;
      }),
    );
  }

  /** Stops observing (the sinks are the caller's to close). */
  stop(): void {
    clearInterval(this.#timer);
    this.#subs.unsubscribe();
    this.#node.destroy();
  }
}
