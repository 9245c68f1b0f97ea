/**
 * A controller on topics, for a bridge node whose controller runs elsewhere (another node, another
 * process over ROS 2): `update` returns the newest command received on /muscle_commands, or
 * `null` (the safe command) when there is none or it is older than the timeout, counted in ticks
 * of this loop. `publishStates()` is the matching reader stage: it sends each fresh reading
 * (/joint_states, then /muscle_states, and /clock for a simulator) before the controller runs.
 *
 * In one process with the controller node (in-process transport) the command for a reading
 * arrives within the `publish` call, so it is this tick's: lockstep runs stay deterministic. Over
 * ROS it arrives for a later tick.
 */
import { map, type OperatorFunction, type Subscription } from "rxjs";
import type { Controller } from "../core/controller.js";
import type { SensorFrame } from "../core/frames.js";
import type { RobotSpec } from "../core/spec.js";
import type { Cycle } from "../loop/operators.js";
import { createClock, createJointState, setStamp, type Float64MultiArrayMsg } from "../transport/messages.js";
import { QOS_CONTROL, type TransportNode } from "../transport/Transport.js";
import { TOPICS } from "../transport/topics.js";

export interface TopicControllerOptions {
  readonly node: TransportNode;
  /** Stamps of the published messages (s). */
  readonly stampSec: () => number;
  /** Publish /clock (a simulator). */
  readonly publishClock?: boolean;
  /** How long a command stays good (s, counted in ticks of `periodSec`); read every tick, so it may change between ticks. */
  readonly timeoutSec: () => number;
  /** The loop's control period (s). */
  readonly periodSec: number;
}

export interface TopicControllerCounters {
  commandsReceived: number;
  /** Commands ignored because they had the wrong number of values. */
  commandsRejected: number;
  /** Ticks that returned the newest received command. */
  ticksCommanded: number;
  /** Ticks that returned null because no fresh command was there. */
  ticksTimedOut: number;
  statesPublished: number;
}

export class TopicController implements Controller {
  readonly name = "remote";
  readonly counters: TopicControllerCounters = { commandsReceived: 0, commandsRejected: 0, ticksCommanded: 0, ticksTimedOut: 0, statesPublished: 0 };
  readonly #o: TopicControllerOptions;
  #command = new Float64Array(0);
  #commandTick = -1;
  #tick = -1;
  #timedOut = false;
  #publish: ((frame: SensorFrame) => void) | undefined;
  #subscription: Subscription | undefined;

  constructor(options: TopicControllerOptions) {
    this.#o = options;
  }

  /** Whether commands stopped arriving within the timeout (after at least one came). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Creates the publishers and subscribes to /muscle_commands for the spec's muscles. */
  configure(spec: RobotSpec): void {
    this.close();
    const node = this.#o.node;
    const n = spec.muscles.length;
    this.#command = new Float64Array(n);
    this.#commandTick = -1;
    const muscleStates = createJointState(spec.muscles.map((m) => m.name));
    const jointStates = createJointState(
      spec.joints.map((j) => j.name),
      { effort: false },
    );
    const clock = createClock();
    const musclePub = node.createPublisher("sensor_msgs/msg/JointState", TOPICS.muscleStates, QOS_CONTROL);
    const jointPub = node.createPublisher("sensor_msgs/msg/JointState", TOPICS.jointStates, QOS_CONTROL);
    const clockPub = this.#o.publishClock ? node.createPublisher("rosgraph_msgs/msg/Clock", TOPICS.clock, QOS_CONTROL) : undefined;
    this.#subscription = node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands, QOS_CONTROL).subscribe((msg: Float64MultiArrayMsg) => {
      if (msg.data.length !== n) {
        if (this.counters.commandsRejected++ === 0) node.log("warn", `ignoring commands with ${msg.data.length} values on ${TOPICS.muscleCommands}: '${spec.name}' has ${n} muscles`);
        return;
      }
      this.#command.set(msg.data);
      this.#commandTick = this.#tick;
      this.counters.commandsReceived++;
    });
    this.#publish = (frame) => {
      const t = this.#o.stampSec();
      setStamp(muscleStates.header.stamp, t);
      muscleStates.position.set(frame.muscleLengthM);
      muscleStates.velocity.set(frame.muscleVelocityMps);
      muscleStates.effort.set(frame.muscleForceN);
      setStamp(jointStates.header.stamp, t);
      jointStates.position.set(frame.jointAngleRad);
      jointStates.velocity.set(frame.jointVelocityRadps);
      if (clockPub) {
        setStamp(clock.clock, t);
        clockPub.publish(clock);
      }
      jointPub.publish(jointStates);
      // Last: the controller node ticks on muscle states, and then has this tick's joints too.
      musclePub.publish(muscleStates);
      this.counters.statesPublished++;
    };
  }

  /**
   * The reader stage (`ControlLoopOptions.readers`): notes the tick and publishes a fresh reading.
   * Configure first.
   */
  publishStates(): OperatorFunction<Cycle, Cycle> {
    return map((c) => {
      this.#tick = c.tick.index;
      if (c.fresh) this.#publish?.(c.frame);
      return c;
    });
  }

  update(): Float64Array | null {
    const node = this.#o.node;
    const timeoutTicks = Math.max(1, Math.round(this.#o.timeoutSec() / this.#o.periodSec));
    if (this.#commandTick >= 0 && this.#tick - this.#commandTick <= timeoutTicks) {
      this.counters.ticksCommanded++;
      if (this.#timedOut) {
        this.#timedOut = false;
        node.log("info", `commands on ${TOPICS.muscleCommands} are back`);
      }
      return this.#command;
    }
    this.counters.ticksTimedOut++;
    if (!this.#timedOut && this.#commandTick >= 0) {
      this.#timedOut = true;
      node.log("warn", `no command on ${TOPICS.muscleCommands} for more than ${this.#o.timeoutSec()} s: sending the safe command until commands return`);
    }
    return null;
  }

  /** Stops listening for commands. */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }
}
