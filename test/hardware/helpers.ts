/** Helpers of the hardware tests: waiting for conditions (never fixed sleeps), a command pump. */
import { createMuscleCommand, type MuscleCommand } from "../../src/core/frames.js";
import type { MuscleBoardBridge } from "../../hardware/MuscleBoardBridge.js";
import type { HardwareEvent } from "../../hardware/events.js";

/** Resolves once `cond()` holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Collects a bridge's events. */
export function recordEvents(bridge: MuscleBoardBridge): HardwareEvent[] {
  const events: HardwareEvent[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  return events;
}

export const has = (events: HardwareEvent[], pred: (e: HardwareEvent) => boolean): boolean => events.some(pred);

/** Writes `value` (or `fill(k, values)`) to every muscle every `periodMs` until stopped; reads too. */
export class CommandPump {
  readonly command: MuscleCommand;
  #timer: NodeJS.Timeout | undefined;
  ticks = 0;
  constructor(
    readonly bridge: MuscleBoardBridge,
    readonly fill: (k: number, values: Float64Array) => void,
    periodMs = 2,
  ) {
    this.command = createMuscleCommand(bridge.spec);
    this.#timer = setInterval(() => {
      this.fill(this.ticks++, this.command.values);
      bridge.write(0, periodMs / 1000, this.command);
    }, periodMs);
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
