/**
 * Loop plugins: how a run (`runSim`, `runHw`) lets extra parts into its control loop. One shape
 * for all of them (the safety layer and API of `--serve`, the recorder, the live view, the
 * dashboard, a learning policy as an arbitration source, ...), composed as a list:
 *
 * - `extend(context)`: once the bridge's spec is known, before the loop is built; returns the
 *   reader stages, arbitration stages and limiter the plugin adds (or nothing).
 * - `attach(loop)`: once the loop exists, before it runs (follow `cycles$`, `events$`, stop it).
 * - `close()`: after the run, in reverse order.
 *
 * Stages of the list run in list order; at most one plugin may bring the limiter.
 */
import type { Clock } from "../core/clock.js";
import type { Controller } from "../core/controller.js";
import type { RobotSpec } from "../core/spec.js";
import type { ControlLoop, ControlLoopOptions } from "./ControlLoop.js";

export interface LoopContext {
  readonly spec: RobotSpec;
  readonly periodSec: number;
  readonly controllerName: string;
  /**
   * The loop's controller: read its optional views (`matrix()`), do not call its `update`.
   */
  readonly controller?: Controller;
  /** The loop's tick clock in real time (its timer); undefined in lockstep (time is the tick's). */
  readonly clock: Clock | undefined;
}

/** What a plugin adds to the loop. */
export type LoopExtension = Partial<Pick<ControlLoopOptions, "readers" | "stages" | "limiter">>;

export interface LoopPlugin {
  extend?(context: LoopContext): LoopExtension | undefined;
  attach?(loop: ControlLoop): void;
  close?(): void | Promise<void>;
}

/** The plugins' extensions put together: readers and stages in list order, the one limiter. */
export function extendLoop(plugins: readonly LoopPlugin[], context: LoopContext): LoopExtension {
  const readers: NonNullable<LoopExtension["readers"]>[number][] = [];
  const stages: NonNullable<LoopExtension["stages"]>[number][] = [];
  let limiter: LoopExtension["limiter"];
  for (const p of plugins) {
    const e = p.extend?.(context);
    if (!e) continue;
    readers.push(...(e.readers ?? []));
    stages.push(...(e.stages ?? []));
    if (e.limiter) {
      if (limiter) throw new Error("two loop plugins bring a limiter; one loop has one");
      limiter = e.limiter;
    }
  }
  return { readers, stages, limiter };
}

/** Attaches every plugin to the loop, in list order. */
export function attachLoop(plugins: readonly LoopPlugin[], loop: ControlLoop): void {
  for (const p of plugins) p.attach?.(loop);
}

/** Closes every plugin, last first; every one is closed even if one fails (the first error is thrown after). */
export async function closePlugins(plugins: readonly LoopPlugin[]): Promise<void> {
  let first: unknown;
  for (const p of [...plugins].reverse()) {
    try {
      await p.close?.();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
