/**
 * diagnostic_msgs helpers: a status built from loop statistics, and key/value lists.
 * Diagnostics are published at a low rate (1 Hz by default), so these allocate freely.
 */
import type { ProblemEvent } from "../core/events.js";
import type { LoopStatsSummary } from "../loop/LoopStats.js";
import {
  createHeader,
  DIAGNOSTIC_ERROR,
  DIAGNOSTIC_OK,
  DIAGNOSTIC_WARN,
  setStamp,
  type DiagnosticArrayMsg,
  type DiagnosticStatusMsg,
  type KeyValueMsg,
} from "./messages.js";

/** ros2_control warns when a cycle's execution takes longer than this. */
export const COMPUTE_WARN_MS = 1;

export function keyValues(values: Readonly<Record<string, string | number | boolean>>): KeyValueMsg[] {
  return Object.entries(values).map(([key, v]) => ({ key, value: typeof v === "number" ? formatNumber(v) : String(v) }));
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, "");
}

/** A loop's timing as a status: WARN on overruns or a p99 execution time above 1 ms. */
export function loopStatus(name: string, hardwareId: string, stats: LoopStatsSummary, extra: Readonly<Record<string, string | number | boolean>> = {}): DiagnosticStatusMsg {
  const warnings: string[] = [];
  if (stats.overruns > 0) warnings.push(`${stats.overruns} overruns (${stats.missedCycles} cycles skipped)`);
  if (stats.p99ComputeMs > COMPUTE_WARN_MS) warnings.push(`p99 execution time ${stats.p99ComputeMs} ms > ${COMPUTE_WARN_MS} ms`);
  return {
    level: warnings.length > 0 ? DIAGNOSTIC_WARN : DIAGNOSTIC_OK,
    name,
    message: warnings.length > 0 ? warnings.join("; ") : `${stats.ticks} ticks`,
    hardware_id: hardwareId,
    values: keyValues({
      ticks: stats.ticks,
      p50_period_error_ms: stats.p50PeriodErrorMs,
      p99_period_error_ms: stats.p99PeriodErrorMs,
      max_period_error_ms: stats.maxPeriodErrorMs,
      mean_execution_ms: stats.meanComputeMs,
      p99_execution_ms: stats.p99ComputeMs,
      max_execution_ms: stats.maxComputeMs,
      overruns: stats.overruns,
      missed_cycles: stats.missedCycles,
      ...extra,
    }),
  };
}

/**
 * A problem as a status, the moment it happens: ERROR for a lost link (part of the body out of
 * reach, its muscles on the safe command), OK for a link back, WARN for any other.
 */
export function problemStatus(e: ProblemEvent, hardwareId: string): DiagnosticStatusMsg {
  const level = e.code === "link_lost" ? DIAGNOSTIC_ERROR : e.code === "link_restored" ? DIAGNOSTIC_OK : DIAGNOSTIC_WARN;
  return { level, name: e.code.startsWith("link_") ? "link" : "control loop", message: e.message, hardware_id: hardwareId, values: keyValues({ problem: e.code }) };
}

export function diagnosticArray(stampSec: number, status: DiagnosticStatusMsg[]): DiagnosticArrayMsg {
  const header = createHeader();
  setStamp(header.stamp, stampSec);
  return { header, status };
}

/** Wall time since the Unix epoch (s), for stamps of messages about the real world. */
export function epochSec(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
