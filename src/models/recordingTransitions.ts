/**
 * Transitions from an MCAP recording that tendon wrote (`tendon sim --record`, `tendon hw
 * --record`, a ROS 2 bag of the same topics): per tick the state from /joint_states and
 * /muscle_states, the action from /muscle_commands (the command written that tick), paired by log
 * time; transition t is (state_t, command_t, state_{t+1}). A gap longer than 1.5 ticks starts a
 * new segment. Transitions with a non-finite value are left out and counted.
 *
 * Recordings carry joint angles and velocities and muscle lengths, velocities and forces; muscle
 * activations and site positions are not recorded: a state spec asking for them is refused.
 */
import { UserError } from "../core/errors.js";
import { TOPICS } from "../transport/topics.js";
import { readMessages } from "../observability/readRecording.js";
import type { TransitionSet } from "./EnsembleTrainer.js";
import { parseStateSpec } from "./StateLayout.js";
import type { StateLayout } from "./types.js";

/** A recording that cannot give the transitions asked for: names the file, what is missing and what to do. */
export class RecordingDataError extends UserError {
  override name = "RecordingDataError";
}

export interface RecordedTransitions {
  readonly set: TransitionSet;
  readonly layout: StateLayout;
  readonly joints: readonly string[];
  readonly muscles: readonly string[];
  /** Median time between ticks (s). */
  readonly stepSec: number;
  /** Transitions dropped for a non-finite value. */
  readonly dropped: number;
}

interface JointStateLike {
  name: string[];
  position: ArrayLike<number>;
  velocity: ArrayLike<number>;
  effort: ArrayLike<number>;
}

export async function transitionsFromRecording(file: string, stateSpec: string): Promise<RecordedTransitions> {
  const topics = [TOPICS.jointStates, TOPICS.muscleStates, TOPICS.muscleCommands];
  const ticks = new Map<bigint, { joint?: JointStateLike; muscle?: JointStateLike; command?: ArrayLike<number> }>();
  let joints: string[] | undefined;
  let muscles: string[] | undefined;
  try {
    for await (const m of readMessages(file, { topics })) {
      let t = ticks.get(m.logTimeNs);
      if (!t) ticks.set(m.logTimeNs, (t = {}));
      if (m.topic === TOPICS.jointStates) {
        t.joint = m.message as JointStateLike;
        joints ??= [...t.joint.name];
      } else if (m.topic === TOPICS.muscleStates) {
        t.muscle = m.message as JointStateLike;
        muscles ??= [...t.muscle.name];
      } else {
        t.command = (m.message as { data: ArrayLike<number> }).data;
      }
    }
  } catch (err) {
    throw new RecordingDataError(`cannot read '${file}': ${(err as Error).message}`);
  }
  if (ticks.size === 0) throw new RecordingDataError(`'${file}' has no ${topics.join(", ")} messages: record a run with \`tendon sim --record FILE\``);
  if (stateSpec.includes("muscle_activation")) throw new RecordingDataError(`'${file}': muscle activations are not recorded (/muscle_states carries length, velocity and force): drop muscle_activation from the state spec`);
  const layout = parseStateSpec(stateSpec, { joints: joints ?? [], muscles: muscles ?? [] });
  const needJoints = layout.groups.some((g) => g.kind.startsWith("joint_"));
  const needMuscles = layout.groups.some((g) => g.kind.startsWith("muscle_"));
  if (needJoints && !joints) throw new RecordingDataError(`'${file}' has no ${TOPICS.jointStates} messages, which the state spec needs for joints`);
  if (needMuscles && !muscles) throw new RecordingDataError(`'${file}' has no ${TOPICS.muscleStates} messages, which the state spec needs for muscles`);
  const times = [...ticks.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const usable = times.filter((t) => {
    const k = ticks.get(t)!;
    return k.command && (!needJoints || k.joint) && (!needMuscles || k.muscle);
  });
  if (usable.length < 2) throw new RecordingDataError(`'${file}' has fewer than two ticks with ${needJoints ? "/joint_states, " : ""}${needMuscles ? "/muscle_states, " : ""}and /muscle_commands at the same time: nothing to learn from`);
  const dts = usable.slice(1).map((t, i) => Number(t - usable[i]) / 1e9).sort((a, b) => a - b);
  const stepSec = dts[Math.floor(dts.length / 2)];
  const d = layout.size;
  const a = ticks.get(usable[0])!.command!.length;
  const state = (t: bigint, out: Float32Array, o: number): void => {
    const k = ticks.get(t)!;
    for (const g of layout.groups) {
      const src = g.kind.startsWith("joint_") ? k.joint! : k.muscle!;
      const arr = g.kind === "joint_angle" || g.kind === "muscle_length" ? src.position : g.kind === "joint_velocity" || g.kind === "muscle_velocity" ? src.velocity : src.effort;
      g.names.forEach((n, i) => {
        const idx = src.name.indexOf(n);
        out[o + g.offset + i] = idx >= 0 && idx < arr.length ? arr[idx] : NaN;
      });
    }
  };
  const n = usable.length - 1;
  const states = new Float32Array(n * d);
  const next = new Float32Array(n * d);
  const actions = new Float32Array(n * a);
  const segment = new Int32Array(n);
  let rows = 0;
  let seg = 0;
  let dropped = 0;
  const cur = new Float32Array(d);
  const nxt = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    const gap = Number(usable[i + 1] - usable[i]) / 1e9;
    if (gap > 1.5 * stepSec) {
      seg++;
      continue;
    }
    state(usable[i], cur, 0);
    state(usable[i + 1], nxt, 0);
    const cmd = ticks.get(usable[i])!.command!;
    let ok = cmd.length === a;
    for (let k = 0; k < d && ok; k++) ok = Number.isFinite(cur[k]) && Number.isFinite(nxt[k]);
    for (let k = 0; k < a && ok; k++) ok = Number.isFinite(cmd[k]);
    if (!ok) {
      dropped++;
      seg++;
      continue;
    }
    states.set(cur, rows * d);
    next.set(nxt, rows * d);
    for (let k = 0; k < a; k++) actions[rows * a + k] = cmd[k];
    segment[rows] = seg;
    rows++;
  }
  if (rows === 0) throw new RecordingDataError(`'${file}': every transition has a non-finite value (${dropped} dropped): nothing to learn from`);
  return {
    set: { rows, stateDim: d, actionDim: a, states: states.slice(0, rows * d), next: next.slice(0, rows * d), actions: actions.slice(0, rows * a), segment: segment.slice(0, rows) },
    layout,
    joints: joints ?? [],
    muscles: muscles ?? [],
    stepSec,
    dropped,
  };
}
