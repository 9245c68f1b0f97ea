/**
 * Where observed topics go: the MCAP recorder, the Foxglove live view. A sink is fed on the
 * control loop's thread, synchronously: `write` must be cheap and must not keep `message` (it is
 * reused by its publisher on the next tick).
 */
import type { QosProfile } from "../transport/Transport.js";

export interface TopicSink {
  /** Declares a topic of a ROS 2 type ("sensor_msgs/msg/JointState"); returns its channel id. Idempotent per topic. */
  advertise(topic: string, type: string, qos: QosProfile): number;
  /** One message on a channel, at `timeNs` nanoseconds after the sink's origin. */
  write(channel: number, message: unknown, timeNs: number): void;
}
