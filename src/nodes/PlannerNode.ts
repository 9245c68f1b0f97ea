/**
 * The planner node: iCEM on a learned world model (`model_from`, tendon play's model.json), in a
 * planning worker, driven by /muscle_states like the controller node. Without `task_file` it plays
 * freely (cost = −the ensemble's disagreement, CEE-US); with one it solves that task zero-shot. Its
 * commands go to /muscle_commands/planner, a command source: list `planner` in the controller
 * node's `command_sources` and the arbiter and the safety layer decide when it drives the body.
 * Each adopted plan's cost and disagreement are published on /planner/cost ([cost, disagreement]);
 * /diagnostics carries the planner's counts (plans, late plans, safe ticks, errors, plan time).
 *
 * The state comes from the topics, so the model's state spec may hold what they carry (TOPIC_STATE_KINDS:
 * joint angles and velocities, muscle lengths, velocities and forces) and nothing else: a model of
 * site positions (those exist only in a simulation) or activations is refused at start.
 *
 * Online (`online_model: true`, free play with the model learned while the robot plays, as in
 * CEE-US): the node sends its transitions to a learner node as transition rows on /transitions
 * (`transition_block` rows a message): the state in the model's layout, the command the body got
 * (the newest /muscle_commands, i.e. after the arbiter and the safety limits, so that teleop or
 * DEP stretches are recorded as what they were), and the next state. A learner node with
 * `intrinsic: disagreement`, `train_policy: false` and the same `model_from` retrains the model
 * and publishes each version on /learner/model; the planner loads each one into its planning
 * worker between two plans (a plan under way finishes on the old weights). A version that does
 * not fit the model is refused with one log line and counted; planning goes on with the last one.
 */
import fs from "node:fs";
import { filter, Subscription } from "rxjs";
import YAML from "yaml";
import type { RobotSpec } from "../core/spec.js";
import { ControlLoop } from "../loop/ControlLoop.js";
import { FrameStateReader } from "../models/StateLayout.js";
import type { StateGroupKind } from "../models/types.js";
import { WorkerBackend } from "../planning/PlanBackends.js";
import { PlannerController } from "../planning/PlannerController.js";
import type { CostSetup } from "../planning/planSetup.js";
import { layoutOfSpec, readWorldModel } from "../planning/WorldModelFile.js";
import { validateTask } from "../tasks/TaskSpec.js";
import { createVector, DIAGNOSTIC_OK, type JointStateMsg } from "../transport/messages.js";
import { param, type NodeParameters } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type PeriodicTimer, type TransportNode } from "../transport/Transport.js";
import { diagnosticArray, epochSec, keyValues } from "../transport/diagnostics.js";
import { LEARNER_TOPICS, PLANNER_TOPICS, sourceCommandTopic, TOPICS } from "../transport/topics.js";
import { UserError } from "../core/errors.js";
import type { Controller } from "../core/controller.js";
import type { SensorFrame } from "../core/frames.js";
import { ModelMessageError, readModelMessage } from "../learner/split/modelMessages.js";
import { transitionRowsMessage } from "../learner/split/rosMessages.js";
import { TransitionRowWriter } from "../learner/split/TransitionRowWriter.js";
import type { TendonNode } from "./TendonNode.js";
import { TopicBridge } from "./TopicBridge.js";

export function plannerParameterSpecs() {
  return {
    model_from: param.string("model_from", { default: "", readOnly: true, description: "world model file to plan on (tendon play's model.json)" }),
    task_file: param.string("task_file", { default: "", readOnly: true, description: "task file (YAML/JSON TaskSpec); empty: free play, maximising the model's disagreement" }),
    population: param.integer("population", { default: 32, min: 2, readOnly: true, description: "iCEM trajectories in the first iteration" }),
    horizon: param.integer("horizon", { default: 10, min: 1, readOnly: true, description: "planned steps" }),
    iterations: param.integer("iterations", { default: 3, min: 1, readOnly: true, description: "iCEM iterations per plan" }),
    beta: param.double("beta", { default: 3.5, min: 0, max: 10, readOnly: true, description: "colored-noise exponent" }),
    command_min: param.double("command_min", { default: 0, readOnly: true, description: "lowest command of every muscle" }),
    command_max: param.double("command_max", { default: 1, readOnly: true, description: "highest command of every muscle" }),
    safe_command: param.double("safe_command", { default: 0, readOnly: true, description: "the command when no plan is usable" }),
    online_model: param.bool("online_model", { default: false, readOnly: true, description: "send transitions on /transitions and plan on each world-model version a learner node publishes on /learner/model" }),
    transition_block: param.integer("transition_block", { default: 50, min: 1, max: 100_000, readOnly: true, description: "transition rows per /transitions message (online_model)" }),
    stream: param.integer("stream", { default: 0, min: 0, max: 1023, readOnly: true, description: "this robot's stream number in the rows (several robots feeding one learner; online_model)" }),
    diagnostics_period_sec: param.double("diagnostics_period_sec", { default: 1, min: 0, exclusiveMin: true, readOnly: true, description: "period of /diagnostics (s)" }),
  };
}

export type PlannerParameterSpecs = ReturnType<typeof plannerParameterSpecs>;

/** The state entries /joint_states and /muscle_states carry (TopicBridge.read). */
export const TOPIC_STATE_KINDS: readonly StateGroupKind[] = ["joint_angle", "joint_velocity", "muscle_length", "muscle_velocity", "muscle_force"];

/** Where the planner's commands go: the command source `planner` of the controller node. */
export const PLANNER_COMMAND_TOPIC = sourceCommandTopic("planner");
/** [cost, disagreement] per plan: the same topic and message as `tendon plan --record` (PLANNER_TOPICS). */
export const PLANNER_COST_TOPIC = PLANNER_TOPICS.cost;

export class PlannerNode implements TendonNode {
  readonly name: string;
  readonly finished = undefined;
  readonly #node: TransportNode;
  readonly #params: NodeParameters<PlannerParameterSpecs>;
  readonly #subs = new Subscription();
  #backend: WorkerBackend | undefined;
  #controller: PlannerController | undefined;
  #loop: ControlLoop | undefined;
  #timer: PeriodicTimer | undefined;
  #rows: TransitionRowWriter | undefined;
  #badModelMessages = 0;
  #stopped = false;

  constructor(o: { node: TransportNode; params: NodeParameters<PlannerParameterSpecs> }) {
    this.#node = o.node;
    this.name = o.node.name;
    this.#params = o.params;
  }

  get params(): NodeParameters<PlannerParameterSpecs> {
    return this.#params;
  }

  get stats(): PlannerController["stats"] | undefined {
    return this.#controller?.stats;
  }

  /** Online: the world-model versions loaded and refused, the transition rows sent, the /learner/model messages that were not models. */
  get online(): { models: WorkerBackend["models"]; rowsSent: number; badMessages: number } | undefined {
    if (!this.#params.values.online_model || !this.#backend) return undefined;
    return { models: this.#backend.models, rowsSent: this.#rows?.rows ?? 0, badMessages: this.#badModelMessages };
  }

  async start(): Promise<void> {
    const v = this.#params.values;
    if (!v.model_from) throw new UserError("planner: set the model_from parameter to a world model (tendon play's model.json)");
    const wm = readWorldModel(v.model_from);
    const layout = layoutOfSpec(wm.stateSpec);
    const notOnTopics = layout.groups.find((g) => !TOPIC_STATE_KINDS.includes(g.kind));
    if (notOnTopics) {
      throw new UserError(
        `planner: world model '${v.model_from}' holds ${notOnTopics.kind} (${wm.stateSpec}), which /muscle_states and /joint_states do not carry: play with --state of ${TOPIC_STATE_KINDS.map((k) => `${k}:*`).join(",")} entries only`,
      );
    }
    const joints = layout.groups.filter((g) => g.kind.startsWith("joint_")).flatMap((g) => g.names);
    const muscles = layout.groups.filter((g) => g.kind.startsWith("muscle_")).flatMap((g) => g.names);
    let cost: CostSetup = { kind: "disagreement" };
    if (v.task_file) {
      let raw: unknown;
      try {
        raw = YAML.parse(fs.readFileSync(v.task_file, "utf8"));
      } catch (err) {
        throw new UserError(`planner: cannot read task_file '${v.task_file}': ${(err as Error).message.split("\n")[0]}`);
      }
      cost = { kind: "task", task: validateTask(raw, { joints: [...new Set(joints)], muscles: [...new Set(muscles)], sites: [] }) };
    }
    this.#backend = await WorkerBackend.start({
      model: { kind: "ensemble", file: v.model_from, propagation: cost.kind === "task" ? "mean" : "members" },
      cost,
      planner: { population: v.population, horizon: v.horizon, iterations: v.iterations, beta: v.beta, ...(cost.kind === "disagreement" ? { decay: 1, initStd: 0.8 } : {}) },
    });
    const node = this.#node;
    const commands = node.createPublisher("std_msgs/msg/Float64MultiArray", PLANNER_COMMAND_TOPIC, QOS_CONTROL);
    const costPub = node.createPublisher("std_msgs/msg/Float64MultiArray", PLANNER_COST_TOPIC, QOS_DEFAULT);
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    const costMsg = createVector(2, "cost|disagreement");
    const backend = this.#backend;
    // Online: the body's newest command, and how many states ago it came (a row needs a recent one).
    let applied: Float64Array | undefined;
    let appliedAge = Number.POSITIVE_INFINITY;
    if (v.online_model) {
      const rowsPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.transitions, QOS_DEFAULT);
      this.#rows = new TransitionRowWriter({
        observationSize: layout.size,
        actionSize: wm.ensemble.actionDim,
        block: v.transition_block,
        stream: v.stream,
        onBlock: (count, data) => rowsPub.publish(transitionRowsMessage(count, layout.size, wm.ensemble.actionDim, data)),
      });
      this.#subs.add(
        node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands, QOS_CONTROL).subscribe((m) => {
          if (m.data.length !== wm.ensemble.actionDim) return;
          applied ??= new Float64Array(m.data.length);
          applied.set(m.data);
          appliedAge = 0;
        }),
      );
      backend.watchModels((version, error) => {
        if (error === undefined) node.log("info", `planning on world-model version ${version} from ${LEARNER_TOPICS.model}`);
        else if (backend.models.refused === 1) node.log("error", `planner: world-model version ${version} from ${LEARNER_TOPICS.model} does not fit '${v.model_from}': ${error}; planning on with the last model that did`);
      });
      this.#subs.add(
        node.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model, QOS_LATCHED).subscribe((m) => {
          if (this.#stopped) return;
          try {
            backend.loadModel(readModelMessage(m).state);
          } catch (err) {
            // One line for the first bad message; planning goes on with the model it has.
            const why = err instanceof ModelMessageError ? err.message : `unreadable message (${err instanceof Error ? err.message : String(err)})`;
            if (this.#badModelMessages++ === 0) node.log("error", `planner: ignoring ${LEARNER_TOPICS.model}: ${why}`);
          }
        }),
      );
    }
    let jointMsg: JointStateMsg | undefined;
    this.#subs.add(node.subscribe("sensor_msgs/msg/JointState", TOPICS.jointStates, QOS_CONTROL).subscribe((j) => (jointMsg = j)));
    const states$ = node.subscribe("sensor_msgs/msg/JointState", TOPICS.muscleStates, QOS_CONTROL).pipe(filter((m) => m.name.length > 0 && m.position.length === m.name.length));
    // The first state message names the muscles; the loop starts with it.
    const first = states$.subscribe((msg) => {
      first.unsubscribe();
      if (this.#stopped) return;
      if (msg.name.length !== wm.ensemble.actionDim) {
        node.log("error", `planner: /muscle_states names ${msg.name.length} muscles, the world model takes ${wm.ensemble.actionDim}: not planning`);
        return;
      }
      const spec: RobotSpec = {
        name: "muscle_states",
        commandUnit: "activation",
        muscles: msg.name.map((name) => ({ name, commandMin: v.command_min, commandMax: v.command_max, safeCommand: v.safe_command })),
        joints: (jointMsg?.name ?? []).map((name) => ({ name, rangeRad: null })),
      };
      let reader: FrameStateReader;
      try {
        reader = new FrameStateReader(layout, { joints: spec.joints.map((j) => j.name), muscles: spec.muscles.map((m) => m.name) });
      } catch (err) {
        node.log("error", `planner: ${(err as Error).message}`);
        return;
      }
      const controller = new PlannerController({
        backend: this.#backend!,
        readState: (frame, out) => reader.fill(frame, out),
        stateSize: layout.size,
        horizon: v.horizon,
        stepSec: wm.stepSec,
        onPlan: (p) => {
          costMsg.data[0] = p.cost;
          costMsg.data[1] = p.disagreement;
          costPub.publish(costMsg);
        },
      });
      this.#controller = controller;
      let loopController: Controller = controller;
      const rows = this.#rows;
      if (rows) {
        const observation = new Float64Array(layout.size);
        loopController = new RowTap(controller, (frame) => {
          reader.fill(frame, observation);
          rows.step(observation, appliedAge <= 2 ? applied : undefined);
          appliedAge++;
        });
      }
      const bridge = new TopicBridge({ spec, states$, joints: () => jointMsg, commands, nominalPeriodSec: 0.01 });
      bridge.activateNow();
      this.#loop = new ControlLoop({ bridge, controller: loopController, mode: "external", ticks: bridge.ticks, periodSec: 0.01 });
      void this.#loop.run().catch((err: unknown) => node.log("error", `planner loop ended: ${err instanceof Error ? err.message : String(err)}`));
      node.log("info", `planning on ${v.model_from} (${wm.body}, ${wm.stateSpec}) ${cost.kind === "task" ? `for task ${cost.task.kind}` : "for free play"}${v.online_model ? `; transitions to ${TOPICS.transitions}, models from ${LEARNER_TOPICS.model}` : ""}`);
    });
    this.#subs.add(first);
    this.#timer = node.createTimer(v.diagnostics_period_sec, () => {
      const s = this.#controller?.stats;
      const online = this.online;
      diagPub.publish(
        diagnosticArray(epochSec(), [
          {
            level: DIAGNOSTIC_OK,
            name: `${this.name}: planner`,
            message: s ? `${s.plans} plans, ${s.late} late, ${s.safeTicks} safe ticks${s.errors ? `, ${s.errors} errors: ${s.lastError}` : ""}` : "waiting for /muscle_states",
            hardware_id: "",
            values: keyValues({
              plans: s?.plans ?? 0,
              late: s?.late ?? 0,
              safe_ticks: s?.safeTicks ?? 0,
              errors: s?.errors ?? 0,
              mean_plan_ms: s?.meanPlanMs ?? 0,
              p99_plan_ms: s?.p99PlanMs ?? 0,
              ...(online ? { model_version: online.models.version, models_loaded: online.models.loaded, models_refused: online.models.refused, transitions_sent: online.rowsSent } : {}),
            }),
          },
        ]),
      );
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#loop?.stop();
    this.#rows?.flush();
    this.#timer?.cancel();
    this.#subs.unsubscribe();
    await this.#backend?.close();
    this.#node.destroy();
  }
}

/** The planner controller, with a look at every tick's frame first (the online transition rows). */
class RowTap implements Controller {
  readonly name: string;
  readonly #inner: Controller;
  readonly #onTick: (frame: SensorFrame) => void;

  constructor(inner: Controller, onTick: (frame: SensorFrame) => void) {
    this.name = inner.name;
    this.#inner = inner;
    this.#onTick = onTick;
  }

  configure(spec: RobotSpec): void {
    this.#inner.configure(spec);
  }

  update(frame: SensorFrame, dtSec: number): Float64Array | null {
    this.#onTick(frame);
    return this.#inner.update(frame, dtSec);
  }
}
