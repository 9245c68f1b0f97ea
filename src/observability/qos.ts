/**
 * The `offered_qos_profiles` channel metadata rosbag2 reads from MCAP files: a YAML list of the
 * publishers' profiles, with integer enums (the most portable form across Humble and Jazzy):
 * history 1 (keep last), reliability 1 reliable / 2 best effort, durability 1 transient local /
 * 2 volatile, liveliness 1 (automatic), durations zero (unset).
 */
import type { QosProfile } from "../transport/Transport.js";

const ZERO = "{sec: 0, nsec: 0}";

export function offeredQosProfiles(qos: QosProfile): string {
  return [
    `- history: 1`,
    `  depth: ${qos.depth}`,
    `  reliability: ${qos.reliability === "reliable" ? 1 : 2}`,
    `  durability: ${qos.durability === "transient_local" ? 1 : 2}`,
    `  deadline: ${ZERO}`,
    `  lifespan: ${ZERO}`,
    `  liveliness: 1`,
    `  liveliness_lease_duration: ${ZERO}`,
    `  avoid_ros_namespace_conventions: false`,
    "",
  ].join("\n");
}
