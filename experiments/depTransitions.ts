/**
 * Transitions of a simulated body moving under DEP, collected directly from MujocoBridge (no
 * recording): one segment per episode, each from its own bridge seed (a different start pose).
 * The state is read in a `StateLayout` (site positions through the bridge); the action is the
 * command DEP wrote for the step.
 */
import { createMuscleCommand, createSensorFrame } from "../src/core/frames.js";
import { DepController } from "../src/dep/DepController.js";
import type { TransitionSet } from "../src/models/EnsembleTrainer.js";
import { FrameStateReader, parseStateSpec } from "../src/models/StateLayout.js";
import type { StateLayout } from "../src/models/types.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { resolveModelSource } from "../sim/modelSource.js";

export interface CollectOptions {
  readonly model: string;
  readonly stateSpec: string;
  readonly episodes: number;
  readonly stepsPerEpisode: number;
  readonly seed: number;
  /** Control ticks discarded at the start of every episode (DEP warming up). */
  readonly warmupSteps?: number;
  readonly depPreset?: string;
}

export interface Collected {
  readonly set: TransitionSet;
  readonly layout: StateLayout;
  readonly stepSec: number;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
}

export async function collectDepTransitions(o: CollectOptions): Promise<Collected> {
  const sets: { states: Float32Array; actions: Float32Array; next: Float32Array }[] = [];
  let layout: StateLayout | undefined;
  let stepSec = 0;
  let low = new Float64Array(0);
  let high = new Float64Array(0);
  for (let ep = 0; ep < o.episodes; ep++) {
    const bridge = new MujocoBridge({ source: resolveModelSource(o.model), seed: o.seed * 1000 + ep, initialNoise: 0.3 });
    await bridge.configure();
    await bridge.activate();
    try {
      const spec = bridge.spec;
      const known = { joints: spec.joints.map((j) => j.name), muscles: spec.muscles.map((m) => m.name), sites: bridge.siteNames };
      layout = parseStateSpec(o.stateSpec, known);
      const reader = new FrameStateReader(layout, known, (ids, out) => bridge.readSitePositions(ids, out));
      const dep = new DepController({ preset: o.depPreset ?? "default" });
      dep.configure(spec);
      const frame = createSensorFrame(spec);
      const cmd = createMuscleCommand(spec);
      const dt = bridge.controlPeriodSec;
      stepSec = dt;
      low = Float64Array.from(spec.muscles, (m) => m.commandMin);
      high = Float64Array.from(spec.muscles, (m) => m.commandMax);
      const d = layout.size;
      const a = spec.muscles.length;
      const T = o.stepsPerEpisode;
      const warm = o.warmupSteps ?? 50;
      const states = new Float32Array((T + 1) * d);
      const actions = new Float32Array(T * a);
      for (let t = -warm; t <= T; t++) {
        bridge.read(bridge.simTimeSec, dt, frame);
        if (t >= 0) reader.fill(frame, states, t * d);
        const u = dep.update(frame, dt);
        for (let k = 0; k < a; k++) cmd.values[k] = Math.min(high[k], Math.max(low[k], Number.isFinite(u[k]) ? u[k] : spec.muscles[k].safeCommand));
        if (t >= 0 && t < T) actions.set(cmd.values, t * a);
        bridge.write(bridge.simTimeSec, dt, cmd);
        bridge.advance(dt);
      }
      sets.push({ states: states.slice(0, T * d), actions, next: states.slice(d) });
    } finally {
      await bridge.deactivate();
      await bridge.shutdown();
    }
  }
  const d = layout!.size;
  const a = low.length;
  const T = o.stepsPerEpisode;
  const rows = T * o.episodes;
  const set: TransitionSet = {
    rows,
    stateDim: d,
    actionDim: a,
    states: new Float32Array(rows * d),
    actions: new Float32Array(rows * a),
    next: new Float32Array(rows * d),
    segment: new Int32Array(rows),
  };
  sets.forEach((s, ep) => {
    set.states.set(s.states, ep * T * d);
    set.next.set(s.next, ep * T * d);
    set.actions.set(s.actions, ep * T * a);
    set.segment!.fill(ep, ep * T, (ep + 1) * T);
  });
  return { set, layout: layout!, stepSec, actionLow: low, actionHigh: high };
}
