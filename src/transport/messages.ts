/**
 * The standard ROS 2 messages tendon publishes and subscribes to, shaped exactly as rclnodejs 2.x
 * delivers them with typed arrays enabled (its default): float64[] fields are Float64Array,
 * float32[] Float32Array, int32[] Int32Array, stamps are `{sec, nanosec}`. Both transports carry
 * these objects, so node code never knows which one it runs on.
 *
 * Only standard packages (sensor_msgs, std_msgs, diagnostic_msgs, rosgraph_msgs): users build no
 * interface package.
 */

/** builtin_interfaces/msg/Time. */
export interface TimeMsg {
  sec: number;
  nanosec: number;
}

/** std_msgs/msg/Header. */
export interface HeaderMsg {
  stamp: TimeMsg;
  frame_id: string;
}

/**
 * sensor_msgs/msg/JointState. tendon publishes joints on /joint_states (position rad, velocity
 * rad/s, effort left empty) and muscles on /muscle_states (name = muscle, position = musculotendon
 * length m, velocity m/s, effort = tendon force N, positive when pulling).
 */
export interface JointStateMsg {
  header: HeaderMsg;
  name: string[];
  position: Float64Array;
  velocity: Float64Array;
  effort: Float64Array;
}

/** std_msgs/msg/MultiArrayDimension. */
export interface MultiArrayDimensionMsg {
  label: string;
  size: number;
  stride: number;
}

/** std_msgs/msg/MultiArrayLayout. */
export interface MultiArrayLayoutMsg {
  dim: MultiArrayDimensionMsg[];
  data_offset: number;
}

/** std_msgs/msg/Float64MultiArray: muscle commands (forward_command_controller's convention) and matrices. */
export interface Float64MultiArrayMsg {
  layout: MultiArrayLayoutMsg;
  data: Float64Array;
}

/** diagnostic_msgs/msg/KeyValue. */
export interface KeyValueMsg {
  key: string;
  value: string;
}

/** diagnostic_msgs/msg/DiagnosticStatus. `level` is a byte: OK 0, WARN 1, ERROR 2, STALE 3. */
export interface DiagnosticStatusMsg {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValueMsg[];
}

/** diagnostic_msgs/msg/DiagnosticArray. */
export interface DiagnosticArrayMsg {
  header: HeaderMsg;
  status: DiagnosticStatusMsg[];
}

/** rosgraph_msgs/msg/Clock: simulated time, for nodes that run with use_sim_time. */
export interface ClockMsg {
  clock: TimeMsg;
}

/** sensor_msgs/msg/Joy: a joystick (axes in [-1, 1], buttons 0 or 1). */
export interface JoyMsg {
  header: HeaderMsg;
  axes: Float32Array;
  buttons: Int32Array;
}

/** std_msgs/msg/Bool: e-stop and reset requests (/estop, /estop_reset), arbitration locks. */
export interface BoolMsg {
  data: boolean;
}

/** std_msgs/msg/String: the arbiter's owners and events, as JSON text. */
export interface StringMsg {
  data: string;
}

/** Every message type tendon uses, by its ROS 2 name. */
export interface MessageTypes {
  "sensor_msgs/msg/JointState": JointStateMsg;
  "sensor_msgs/msg/Joy": JoyMsg;
  "std_msgs/msg/Float64MultiArray": Float64MultiArrayMsg;
  "diagnostic_msgs/msg/DiagnosticArray": DiagnosticArrayMsg;
  "rosgraph_msgs/msg/Clock": ClockMsg;
  "std_msgs/msg/Bool": BoolMsg;
  "std_msgs/msg/String": StringMsg;
}

export type MessageTypeName = keyof MessageTypes;

export const MESSAGE_TYPE_NAMES: readonly MessageTypeName[] = Object.freeze([
  "sensor_msgs/msg/JointState",
  "sensor_msgs/msg/Joy",
  "std_msgs/msg/Float64MultiArray",
  "diagnostic_msgs/msg/DiagnosticArray",
  "rosgraph_msgs/msg/Clock",
]);

export const DIAGNOSTIC_OK = 0;
export const DIAGNOSTIC_WARN = 1;
export const DIAGNOSTIC_ERROR = 2;
export const DIAGNOSTIC_STALE = 3;

/** Writes `timeSec` into a stamp in place (no allocation). Negative times clamp to 0. */
export function setStamp(stamp: TimeMsg, timeSec: number): TimeMsg {
  const t = timeSec > 0 ? timeSec : 0;
  let sec = Math.floor(t);
  let nanosec = Math.round((t - sec) * 1e9);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  stamp.sec = sec;
  stamp.nanosec = nanosec;
  return stamp;
}

export function stampToSec(stamp: TimeMsg): number {
  return stamp.sec + stamp.nanosec * 1e-9;
}

export function createHeader(frameId = ""): HeaderMsg {
  return { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId };
}

/** A JointState with preallocated arrays for `names`; `effort` may be left empty (length 0). */
export function createJointState(names: readonly string[], options: { effort?: boolean } = {}): JointStateMsg {
  const n = names.length;
  return {
    header: createHeader(),
    name: [...names],
    position: new Float64Array(n),
    velocity: new Float64Array(n),
    effort: new Float64Array(options.effort === false ? 0 : n),
  };
}

/** A 1-D Float64MultiArray of `n` values labelled `label` (a command vector: one value per muscle). */
export function createVector(n: number, label = "muscle"): Float64MultiArrayMsg {
  return { layout: { dim: [{ label, size: n, stride: n }], data_offset: 0 }, data: new Float64Array(n) };
}

/** A row-major 2-D Float64MultiArray (`rows` x `cols`), the layout std_msgs documents for matrices. */
export function createMatrix(rows: number, cols: number, rowLabel: string, colLabel: string): Float64MultiArrayMsg {
  return {
    layout: {
      dim: [
        { label: rowLabel, size: rows, stride: rows * cols },
        { label: colLabel, size: cols, stride: cols },
      ],
      data_offset: 0,
    },
    data: new Float64Array(rows * cols),
  };
}

export function createClock(): ClockMsg {
  return { clock: { sec: 0, nanosec: 0 } };
}

export function createJoy(axes: number, buttons: number): JoyMsg {
  return { header: createHeader(), axes: new Float32Array(axes), buttons: new Int32Array(buttons) };
}
