/**
 * A bridge on topics, for a controller node whose body is elsewhere (a bridge node in this process
 * or over ROS 2): `read` copies the newest /muscle_states (lengths, velocities, tensions) and
 * /joint_states into the frame, `write` publishes the command on /muscle_commands. Its `ticks`
 * are the arrivals of /muscle_states, for a `ControlLoop` in "external" mode: the bridge node's
 * tick sets the rate, and each tick's time is the state's stamp.
 *
 * The spec comes from the messages (muscle and joint names) and the caller (command range and
 * unit). Lifecycle without I/O: `activateNow()` makes it active at once, so the loop subscribes
 * to its ticks before the next message arrives. `detach()` stops it publishing (a node that
 * replaces this bridge with another one for a new spec: the old loop's last, safe, command must
 * not reach the body).
 */
import { Observable, type Subscription } from "rxjs";
import type { Bridge } from "../core/bridge.js";
import type { MuscleCommand, SensorFrame } from "../core/frames.js";
import type { LifecycleState } from "../core/events.js";
import type { RobotSpec } from "../core/spec.js";
import type { Tick } from "../loop/ticks.js";
import { createVector, stampToSec, type Float64MultiArrayMsg, type JointStateMsg } from "../transport/messages.js";
import type { Publisher } from "../transport/Transport.js";

export interface TopicBridgeOptions {
  readonly spec: RobotSpec;
  /** /muscle_states, checked (as many positions as names); names as in the spec. */
  readonly states$: Observable<JointStateMsg>;
  /** The newest /joint_states, read each tick (only the muscle states set the rate). */
  readonly joints: () => JointStateMsg | undefined;
  readonly commands: Publisher<Float64MultiArrayMsg>;
  /** Period of the first tick, and of a tick whose stamp did not advance (s). */
  readonly nominalPeriodSec?: number;
}

export class TopicBridge implements Bridge {
  readonly spec: RobotSpec;
  readonly #o: TopicBridgeOptions;
  readonly #commandMsg: Float64MultiArrayMsg;
  #state: LifecycleState = "inactive";
  #newest: JointStateMsg | undefined;
  #fresh = false;
  #seq = 0;
  #detached = false;

  constructor(options: TopicBridgeOptions) {
    this.spec = options.spec;
    this.#o = options;
    this.#commandMsg = createVector(options.spec.muscles.length);
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /**
   * One tick per /muscle_states message (the reused `Tick`): index, the stamp as deadline and
   * start, the stamp's step as period. The message is the bridge's newest reading when the tick is
   * emitted.
   */
  readonly ticks: Observable<Tick> = new Observable<Tick>((subscriber) => {
    const nominal = this.#o.nominalPeriodSec ?? 0.01;
    const tick: Tick = { index: -1, cycle: 0, deadlineSec: 0, startSec: 0, periodSec: nominal, missed: 0 };
    let lastStampSec = Number.NaN;
    const sub: Subscription = this.#o.states$.subscribe((msg) => {
      this.#newest = msg;
      this.#fresh = true;
      const t = stampToSec(msg.header.stamp);
      const dt = t - lastStampSec;
      lastStampSec = t;
      tick.index++;
      tick.cycle = tick.index + 1;
      if (dt > 0) tick.periodSec = dt;
      tick.deadlineSec = t;
      tick.startSec = t;
      subscriber.next(tick);
    });
    return () => sub.unsubscribe();
  });

  configure(): Promise<void> {
    return Promise.resolve();
  }

  /** Active at once (nothing to open). */
  activateNow(): void {
    this.#state = "active";
  }

  activate(): Promise<void> {
    this.activateNow();
    return Promise.resolve();
  }

  deactivate(): Promise<void> {
    if (this.#state === "active") this.#state = "inactive";
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.#state = "finalized";
    return Promise.resolve();
  }

  /** From now on, writes publish nothing. */
  detach(): void {
    this.#detached = true;
  }

  read(_timeSec: number, _periodSec: number, frame: SensorFrame): boolean {
    const msg = this.#newest;
    if (!msg) return false;
    copyInto(frame.muscleLengthM, msg.position);
    copyInto(frame.muscleVelocityMps, msg.velocity);
    copyInto(frame.muscleForceN, msg.effort);
    const joints = this.#o.joints();
    if (joints && joints.position.length === frame.jointAngleRad.length) {
      frame.jointAngleRad.set(joints.position);
      copyInto(frame.jointVelocityRadps, joints.velocity);
    }
    frame.stampSec = stampToSec(msg.header.stamp);
    frame.seq = this.#seq++;
    const fresh = this.#fresh;
    this.#fresh = false;
    return fresh;
  }

  write(_timeSec: number, _periodSec: number, command: MuscleCommand): void {
    if (this.#state !== "active" || this.#detached) return;
    this.#commandMsg.data.set(command.values);
    this.#o.commands.publish(this.#commandMsg);
  }
}

/** Copies `src` into `dst` when the sizes match; leaves `dst` as it was otherwise (an empty effort array, say). */
function copyInto(dst: Float64Array, src: ArrayLike<number>): void {
  if (src.length === dst.length) dst.set(src);
}
