/**
 * The ROS 2 profile's topics for a run that drives its control loop directly (`tendon sim`,
 * `tendon hw`): every tick becomes the messages the bridge and controller nodes would publish,
 * with the same names, types, QoS and shapes (src/nodes/topics.ts, src/transport/messages.ts):
 *
 *   /clock (a simulator), /joint_states, /muscle_states, /muscle_commands/<controller> (the
 *   controller's own command, before arbitration and limits), /muscle_commands (the command
 *   written), /transitions, /dep/matrix (every `matrixPeriodSec`), /diagnostics (every
 *   `diagnosticsPeriodSec`, loop time); with `planner` (`tendon plan`), /planner/cost ([cost,
 *   disagreement]) and /planner/trajectory on the first tick after a plan is adopted.
 *
 * Messages are preallocated and refilled every tick; sinks encode or copy them at once. Log times
 * are the tick's time on the loop's clock (simulated time in lockstep), after each sink's origin.
 */
import { map, type OperatorFunction } from "rxjs";
import type { RobotSpec } from "../core/spec.js";
import type { LoopStatsSummary } from "../loop/LoopStats.js";
import type { Cycle } from "../loop/operators.js";
import { diagnosticArray, loopStatus } from "../transport/diagnostics.js";
import { fillTransitions, PLANNER_TOPICS, sourceCommandTopic, TOPICS, TRANSITION_FIELDS } from "../transport/topics.js";
import { createClock, createJointState, createMatrix, createVector, setStamp, type DiagnosticStatusMsg, type MessageTypeName } from "../transport/messages.js";
import { QOS_CONTROL, QOS_DEFAULT, type QosProfile } from "../transport/Transport.js";
import type { TopicSink } from "./TopicSink.js";
import type { VectorTopic } from "./chunkSink.js";

export interface LoopTopicsOptions {
  readonly spec: RobotSpec;
  readonly controllerName: string;
  /** The controller's matrix (row-major n x n), for /dep/matrix; absent: no /dep/matrix. */
  readonly matrix?: () => Float64Array;
  /** Loop statistics for /diagnostics; absent: no /diagnostics. */
  readonly stats?: () => LoopStatsSummary;
  /** A simulator: /clock is published and stamps are loop time; otherwise stamps are wall time. */
  readonly simulated: boolean;
  /** Wall time (s since the epoch) of loop time 0, for the stamps of a run on hardware. */
  readonly epochOffsetSec?: number;
  readonly matrixPeriodSec?: number;
  readonly diagnosticsPeriodSec?: number;
  /** Extra key/values for the diagnostics status (mode, rate). */
  readonly diagnosticsExtra?: Readonly<Record<string, string | number | boolean>>;
  /** A planner's topics: the horizon and the names of the planned quantities (`site.x`, a joint). */
  readonly planner?: PlannerTopicsInfo;
  /** Added to every tick's loop time (runs of several episodes, one after the other). */
  readonly timeOffsetSec?: number;
  /** Vector topics published on demand with `writeVector` (/learner/model_loss after a model update). */
  readonly vectors?: readonly VectorTopic[];
  /**
   * `matrix` and `stats` say themselves when there is something to publish (undefined: nothing
   * this tick), as when ticks are replayed from a `LoopRecorder` ring.
   */
  readonly onlyWhenGiven?: boolean;
}

export interface PlannerTopicsInfo {
  readonly horizon: number;
  readonly columns: readonly string[];
}

/** Periods are compared with this slack: tick times are sums of periods and carry rounding. */
const EPS_SEC = 1e-9;

interface Topic {
  readonly name: string;
  readonly type: MessageTypeName;
  readonly qos: QosProfile;
}

export class LoopTopics {
  readonly #o: LoopTopicsOptions;
  readonly #sinks: { sink: TopicSink; ids: number[] }[] = [];
  readonly #topics: Topic[];
  readonly #clock = createClock();
  readonly #joints;
  readonly #muscles;
  readonly #command;
  readonly #own;
  readonly #transitions;
  readonly #matrix;
  readonly #ownValues: Float64Array;
  #ownValid = false;
  readonly #planCost = createVector(2, "cost|disagreement");
  readonly #planTrajectory;
  #planPending = false;
  readonly #vectors: ReturnType<typeof createVector>[] = [];
  #vectorStart = 0;
  #lastMatrixSec = -Infinity;
  #lastDiagnosticsSec = -Infinity;

  constructor(options: LoopTopicsOptions) {
    this.#o = options;
    const spec = options.spec;
    const n = spec.muscles.length;
    this.#joints = createJointState(
      spec.joints.map((j) => j.name),
      { effort: false },
    );
    this.#muscles = createJointState(spec.muscles.map((m) => m.name));
    this.#command = createVector(n);
    this.#own = createVector(n);
    this.#ownValues = this.#own.data;
    this.#transitions = createMatrix(n, TRANSITION_FIELDS.length, "muscle", TRANSITION_FIELDS.join("|"));
    this.#matrix = createMatrix(n, n, "motor", "sensor");
    const p = options.planner;
    this.#planTrajectory = createMatrix(p?.horizon ?? 0, p?.columns.length ?? 0, "step", (p?.columns ?? []).join("|"));
    const topics: Topic[] = [];
    if (options.simulated) topics.push({ name: TOPICS.clock, type: "rosgraph_msgs/msg/Clock", qos: QOS_CONTROL });
    topics.push(
      { name: TOPICS.jointStates, type: "sensor_msgs/msg/JointState", qos: QOS_CONTROL },
      { name: TOPICS.muscleStates, type: "sensor_msgs/msg/JointState", qos: QOS_CONTROL },
      { name: sourceCommandTopic(options.controllerName), type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL },
      { name: TOPICS.muscleCommands, type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL },
      { name: TOPICS.transitions, type: "std_msgs/msg/Float64MultiArray", qos: QOS_CONTROL },
    );
    if (options.matrix) topics.push({ name: TOPICS.depMatrix, type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT });
    if (options.stats) topics.push({ name: TOPICS.diagnostics, type: "diagnostic_msgs/msg/DiagnosticArray", qos: QOS_DEFAULT });
    if (options.planner) {
      topics.push(
        { name: PLANNER_TOPICS.cost, type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
        { name: PLANNER_TOPICS.trajectory, type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT },
      );
    }
    this.#vectorStart = topics.length;
    for (const v of options.vectors ?? []) {
      topics.push({ name: v.name, type: "std_msgs/msg/Float64MultiArray", qos: QOS_DEFAULT });
      this.#vectors.push(createVector(0, v.label));
    }
    this.#topics = topics;
  }

  /**
   * Publishes `values` on the vector topic `name` (one of `vectors`) at loop time `tSec`, at once,
   * outside the ticks (a model update between rounds). Allocates: not for every tick. Unknown topic: nothing.
   */
  writeVector(name: string, values: ArrayLike<number>, tSec: number): void {
    const v = (this.#o.vectors ?? []).findIndex((x) => x.name === name);
    if (v < 0) return;
    const msg = this.#vectors[v];
    if (msg.data.length !== values.length) {
      msg.data = new Float64Array(values.length);
      msg.layout.dim[0].size = values.length;
      msg.layout.dim[0].stride = values.length;
    }
    msg.data.set(values);
    const t = tSec + (this.#o.timeOffsetSec ?? 0);
    for (const { sink, ids } of this.#sinks) sink.write(ids[this.#vectorStart + v], msg, t * 1e9);
  }

  /**
   * Keeps an adopted plan for the next cycle's /planner/* messages: its cost, disagreement and
   * predicted trajectory ([horizon x columns], row-major; copied, not kept). Without `planner`, nothing.
   */
  setPlan(cost: number, disagreement: number, trajectory: ArrayLike<number>): void {
    if (!this.#o.planner) return;
    this.#planCost.data[0] = cost;
    this.#planCost.data[1] = disagreement;
    this.#planTrajectory.data.set(trajectory);
    this.#planPending = true;
  }

  /** The topics this run publishes, in order. */
  get topics(): readonly Topic[] {
    return this.#topics;
  }

  /** Adds a sink: every topic is advertised on it now. */
  addSink(sink: TopicSink): void {
    this.#sinks.push({ sink, ids: this.#topics.map((t) => sink.advertise(t.name, t.type, t.qos)) });
  }

  /**
   * A stage to run right after the controller (before arbitration): keeps the controller's own
   * command of the tick for /muscle_commands/<controller>.
   */
  controllerStage(): OperatorFunction<Cycle, Cycle> {
    const name = this.#o.controllerName;
    return map((c: Cycle) => {
      this.#ownValid = c.source === name;
      if (this.#ownValid) this.#ownValues.set(c.command.values);
      return c;
    });
  }

  /** Sets the controller's own command of the next cycle (instead of `controllerStage`); undefined: none. */
  setOwnCommand(values: ArrayLike<number> | undefined): void {
    this.#ownValid = values !== undefined;
    if (values) this.#ownValues.set(values);
  }

  /**
   * Publishes `status` on /diagnostics at loop time `tSec` at once, outside the periodic loop
   * statistics (a lost link, as it happens). Without /diagnostics (no `stats`), nothing.
   */
  writeDiagnostic(status: DiagnosticStatusMsg, tSec: number): void {
    const k = this.#topics.findIndex((t) => t.name === TOPICS.diagnostics);
    if (k < 0) return;
    const o = this.#o;
    const msg = diagnosticArray(o.simulated ? tSec : (o.epochOffsetSec ?? 0) + tSec, [status]);
    for (const { sink, ids } of this.#sinks) sink.write(ids[k], msg, tSec * 1e9);
  }

  /** Publishes one completed cycle to every sink (call from the loop's `cycles$`). */
  onCycle(c: Cycle): void {
    if (this.#sinks.length === 0) return;
    const o = this.#o;
    const f = c.frame;
    const tSec = c.tick.startSec + (o.timeOffsetSec ?? 0);
    const timeNs = tSec * 1e9;
    const stampSec = o.simulated ? tSec : (o.epochOffsetSec ?? 0) + tSec;
    const joints = this.#joints;
    setStamp(joints.header.stamp, stampSec);
    joints.position.set(f.jointAngleRad);
    joints.velocity.set(f.jointVelocityRadps);
    const muscles = this.#muscles;
    muscles.header.stamp.sec = joints.header.stamp.sec;
    muscles.header.stamp.nanosec = joints.header.stamp.nanosec;
    muscles.position.set(f.muscleLengthM);
    muscles.velocity.set(f.muscleVelocityMps);
    muscles.effort.set(f.muscleForceN);
    this.#command.data.set(c.command.values);
    fillTransitions(this.#transitions.data, f, c.command.values);
    let sendMatrix = false;
    if (o.matrix !== undefined && tSec - this.#lastMatrixSec >= (o.matrixPeriodSec ?? 0.1) - EPS_SEC) {
      const m = o.matrix() as Float64Array | undefined;
      if (m || !o.onlyWhenGiven) {
        sendMatrix = true;
        this.#lastMatrixSec = tSec;
        this.#matrix.data.set(m!);
      }
    }
    let diagnostics: ReturnType<typeof diagnosticArray> | undefined;
    if (o.stats && tSec - this.#lastDiagnosticsSec >= (o.diagnosticsPeriodSec ?? 1) - EPS_SEC) {
      const stats = o.stats() as LoopStatsSummary | undefined;
      if (stats || !o.onlyWhenGiven) {
        this.#lastDiagnosticsSec = tSec;
        diagnostics = diagnosticArray(stampSec, [loopStatus("control loop", o.spec.name, stats!, o.diagnosticsExtra)]);
      }
    }
    if (o.simulated) setStamp(this.#clock.clock, tSec);
    for (const { sink, ids } of this.#sinks) {
      let i = 0;
      if (o.simulated) sink.write(ids[i++], this.#clock, timeNs);
      sink.write(ids[i++], joints, timeNs);
      sink.write(ids[i++], muscles, timeNs);
      const own = ids[i++];
      if (this.#ownValid) sink.write(own, this.#own, timeNs);
      sink.write(ids[i++], this.#command, timeNs);
      sink.write(ids[i++], this.#transitions, timeNs);
      if (o.matrix) {
        const id = ids[i++];
        if (sendMatrix) sink.write(id, this.#matrix, timeNs);
      }
      if (o.stats) {
        const id = ids[i++];
        if (diagnostics) sink.write(id, diagnostics, timeNs);
      }
      if (o.planner) {
        const cost = ids[i++];
        const trajectory = ids[i++];
        if (this.#planPending) {
          sink.write(cost, this.#planCost, timeNs);
          sink.write(trajectory, this.#planTrajectory, timeNs);
        }
      }
    }
    this.#planPending = false;
  }
}
