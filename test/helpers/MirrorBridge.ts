/**
 * Mock hardware after ros2_control's: commands are mirrored to states (muscle control and
 * activation read back what was written; joint angle integrates the mean command). Lets the
 * whole loop run without a simulator or a robot. Can be told to fail reads or go stale.
 */
import { assertTransition, type Bridge } from "../../src/core/bridge.js";
import type { LifecycleState } from "../../src/core/events.js";
import type { MuscleCommand, SensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";

export function mirrorSpec(muscles = 3): RobotSpec {
  return {
    name: "mirror",
    commandUnit: "activation",
    muscles: Array.from({ length: muscles }, (_, i) => ({ name: `m${i}`, commandMin: 0, commandMax: 1, safeCommand: 0 })),
    joints: [{ name: "j0", rangeRad: [-1, 1] }],
  };
}

export class MirrorBridge implements Bridge {
  state: LifecycleState = "unconfigured";
  readonly spec: RobotSpec;
  readonly written: number[][] = [];
  /** Reads at these tick indexes return false (stale link). */
  staleAt = new Set<number>();
  throwOnReadAt = new Set<number>();
  #control: Float64Array;
  #reads = 0;

  constructor(spec: RobotSpec = mirrorSpec()) {
    this.spec = spec;
    this.#control = new Float64Array(spec.muscles.length);
  }

  async configure(): Promise<void> {
    assertTransition(this.state, ["unconfigured"], "configure");
    this.state = "inactive";
  }
  async activate(): Promise<void> {
    assertTransition(this.state, ["inactive"], "activate");
    this.state = "active";
  }
  async deactivate(): Promise<void> {
    assertTransition(this.state, ["active"], "deactivate");
    this.state = "inactive";
  }
  async shutdown(): Promise<void> {
    this.state = "finalized";
  }
  read(timeSec: number, _periodSec: number, frame: SensorFrame): boolean {
    const i = this.#reads++;
    if (this.throwOnReadAt.has(i)) throw new Error("device vanished");
    if (this.staleAt.has(i)) return false;
    frame.muscleControl.set(this.#control);
    frame.muscleActivation.set(this.#control);
    let mean = 0;
    for (const u of this.#control) mean += u / this.#control.length;
    frame.jointAngleRad[0] = mean;
    frame.stampSec = timeSec;
    return true;
  }
  write(_timeSec: number, _periodSec: number, command: MuscleCommand): void {
    if (this.state !== "active") return;
    this.#control.set(command.values);
    this.written.push(Array.from(command.values));
  }
}
