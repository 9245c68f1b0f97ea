/**
 * The teleop node: a joystick (/joy, sensor_msgs/Joy) to a per-source muscle command on
 * /muscle_commands/<source> (default /muscle_commands/teleop), which the controller's arbitration
 * lets override DEP while it is fresh.
 *
 * Mapping: muscle i follows axis `first_axis + i`, from [-1, 1] onto [command_min, command_max]
 * (axis -1 gives command_min); muscles without an axis get command_min. The command is published
 * for every joy message while the deadman button (`enable_button`) is held, and not at all
 * otherwise, as teleop_twist_joy does with require_enable_button: when the button is released
 * the controller's source timeout hands control back. The standard joy node repeats at 20 Hz,
 * which keeps a held command fresh.
 *
 * The number of muscles comes from /muscle_states (the first message) unless `muscles` is set.
 */
import { Subscription } from "rxjs";
import { createVector, type Float64MultiArrayMsg } from "../transport/messages.js";
import { param, type NodeParameters } from "../transport/parameters.js";
import { QOS_CONTROL, type TransportNode } from "../transport/Transport.js";
import type { TendonNode } from "./TendonNode.js";
import { sourceCommandTopic, TOPICS } from "../transport/topics.js";

export function teleopParameterSpecs() {
  return {
    source: param.string("source", { default: "teleop", readOnly: true, description: "command source name: publishes /muscle_commands/<source>" }),
    muscles: param.integer("muscles", { default: 0, min: 0, readOnly: true, description: "number of muscles; 0 learns it from /muscle_states" }),
    first_axis: param.integer("first_axis", { default: 0, min: 0, description: "joystick axis of muscle 0; muscle i follows axis first_axis + i" }),
    enable_button: param.integer("enable_button", { default: 5, min: -1, description: "deadman button that must be held to command; -1 needs none" }),
    command_min: param.double("command_min", { default: 0, description: "command at axis -1 (command unit)" }),
    command_max: param.double("command_max", { default: 1, description: "command at axis +1 (command unit)" }),
  };
}

export type TeleopParameterSpecs = ReturnType<typeof teleopParameterSpecs>;

export function checkTeleopParameters(v: { command_min: number; command_max: number; source: string }): string | undefined {
  if (!(v.command_min < v.command_max)) return `command_min (${v.command_min}) must be < command_max (${v.command_max})`;
  try {
    sourceCommandTopic(v.source);
  } catch (err) {
    return (err as Error).message;
  }
  if (v.source === "dep") return "source must not be 'dep': /muscle_commands/dep is the controller's own output";
  return undefined;
}

export interface TeleopNodeOptions {
  readonly node: TransportNode;
  readonly params: NodeParameters<TeleopParameterSpecs>;
}

export class TeleopNode implements TendonNode {
  readonly name: string;
  readonly finished = undefined;
  readonly #node: TransportNode;
  readonly #params: NodeParameters<TeleopParameterSpecs>;
  readonly #subs = new Subscription();
  #published = 0;
  #stopped = false;

  constructor(options: TeleopNodeOptions) {
    this.#node = options.node;
    this.#params = options.params;
    this.name = options.node.name;
  }

  /** Commands published so far. */
  get published(): number {
    return this.#published;
  }

  get params(): NodeParameters<TeleopParameterSpecs> {
    return this.#params;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const node = this.#node;
    const params = this.#params;
    const pub = node.createPublisher("std_msgs/msg/Float64MultiArray", sourceCommandTopic(params.values.source), QOS_CONTROL);
    let msg: Float64MultiArrayMsg | undefined = params.values.muscles > 0 ? createVector(params.values.muscles) : undefined;
    if (!msg) {
      this.#subs.add(
        node.subscribe("sensor_msgs/msg/JointState", TOPICS.muscleStates, QOS_CONTROL).subscribe((m) => {
          if (!msg || msg.data.length !== m.name.length) {
            msg = createVector(m.name.length);
            node.log("info", `commanding ${m.name.length} muscles`);
          }
        }),
      );
    }
    this.#subs.add(
      node.subscribe("sensor_msgs/msg/Joy", TOPICS.joy, QOS_CONTROL).subscribe((joy) => {
        // Joy messages are between ticks of nobody: parameter changes apply message by message.
        params.applyPending();
        const v = params.values;
        if (!msg) return;
        if (v.enable_button >= 0 && !(joy.buttons[v.enable_button] === 1)) return;
        const d = msg.data;
        const span = v.command_max - v.command_min;
        for (let i = 0; i < d.length; i++) {
          const a = v.first_axis + i;
          const x = a < joy.axes.length ? Math.min(1, Math.max(-1, joy.axes[a])) : -1;
          d[i] = v.command_min + ((Number.isFinite(x) ? x : -1) + 1) * 0.5 * span;
        }
        pub.publish(msg);
        this.#published++;
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#subs.unsubscribe();
    this.#node.destroy();
  }
}
