/**
 * The controller node: the same `ControlLoop` as every other run, over topics. Its bridge is a
 * `TopicBridge` (the newest /muscle_states and /joint_states in, /muscle_commands out) and its
 * ticks are the arrivals of /muscle_states, so the bridge node's tick sets the rate. Per state
 * message: read -> DEP -> publish DEP's own command on /muscle_commands/dep -> the newest command
 * of each source (/muscle_commands/teleop, ...) into the arbiter -> the safety layer (arbiter:
 * priorities, timeouts, the latched e-stop of /estop until /estop_reset, the rate-limited
 * hand-over; then the limits) -> write /muscle_commands; after the write, /transitions and, every
 * `matrix_period_sec`, /dep/matrix. The owner of each muscle group is published on
 * /arbiter/owners (latched, on every change) and every switch on /arbiter/events.
 *
 * The arbitration and limits are a `SafetyLayer` built from one `SafetyConfig`, made from the
 * parameters (`safetyConfigFromParameters`): the same code and configuration shape as `--serve`.
 *
 * The robot spec comes from the messages: muscle names from /muscle_states, joint names from
 * /joint_states, command range and unit from parameters. The first state message (and the first
 * after the muscles change) configures DEP; control starts with the next one.
 *
 * Parameters are applied between ticks. A change of a DEP parameter (kappa, tau, ...), of the
 * output mapping or of the command range restarts DEP with the new values (a new loop for the
 * new spec): the current `Dep` cannot change its parameters in place, so what it learned (its
 * matrix and buffers) starts afresh. A change of the rate limit or the source timeout keeps DEP
 * running.
 *
 * With `learning: true` the node hosts a learning policy, the actor of the actor-learner loop:
 * the reach task's `PolicyController` (the DEP-RL schedules switch inside it) runs in a stage
 * before the arbiter (`LearningPolicy`) and submits its command as the `policy` source, below
 * every command source and above DEP, so teleop and the e-stop override it at once (and their
 * ticks are not learned from). Its transition rows (the in-process format, with the node's
 * `stream`) go out on /transitions every `transitions_every_ticks` ticks, instead of the
 * per-muscle matrix; each versioned policy on /policy is swapped in between ticks, and the newest
 * is kept for the next configuration when DEP restarts.
 */
import { combineLatest, filter, map, share, startWith, Subscription, tap, type Observable } from "rxjs";
import { WallClock, type Clock } from "../core/clock.js";
import type { ProblemCode } from "../core/events.js";
import type { CommandUnit, RobotSpec } from "../core/spec.js";
import { DepController } from "../dep/DepController.js";
import { DEP_DEFAULTS, DEP_NUMBER_RULES, DEP_NORMALIZATION_AXES, DEP_NORMALIZATIONS, DEP_Q_NORM_SELECTORS, DepParamsError, depParamsSchema, resolveDepParams, type DepParams } from "../dep/params.js";
import { CommandLimits } from "../loop/CommandLimits.js";
import { ControlLoop, type LoopResult } from "../loop/ControlLoop.js";
import { LoopStats } from "../loop/LoopStats.js";
import type { Cycle } from "../loop/operators.js";
import { createMatrix, createVector, DIAGNOSTIC_OK, DIAGNOSTIC_WARN, type Float64MultiArrayMsg, type JointStateMsg } from "../transport/messages.js";
import { param, type AppliedChange, type NodeParameters, type ParameterValues } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type PeriodicTimer, type Publisher, type TransportNode } from "../transport/Transport.js";
import type { StringMsg } from "../transport/messages.js";
import { diagnosticArray, epochSec, keyValues, loopStatus } from "../transport/diagnostics.js";
import { latestCommand, type CommandSource, type LatestCommand } from "./sourceOverride.js";
import type { Arbiter, SafeMode } from "../safety/Arbiter.js";
import type { SafetyConfig } from "../safety/config.js";
import { SafetyLayer } from "../safety/SafetyLayer.js";
import { TopicBridge } from "./TopicBridge.js";
import type { ArbiterEvent } from "../safety/events.js";
import type { TendonNode } from "./TendonNode.js";
import { fillTransitions, sourceCommandTopic, TOPICS, TRANSITION_FIELDS } from "../transport/topics.js";
import { ReachTask } from "../learner/environments/ReachTask.js";
import { EXPLORATION_MODES, type ExplorationMode } from "../learner/explorations/Exploration.js";
import type { PolicySnapshot } from "../learner/inference/MlpPolicy.js";
import { LearningPolicy } from "../learner/loop/LearningPolicy.js";
import { readPolicyMessage, transitionRowsMessage } from "../learner/split/rosMessages.js";
import { PolicyController } from "../learner/split/PolicyController.js";
import { POLICY_SOURCE } from "../safety/config.js";

const COMMAND_UNITS: readonly CommandUnit[] = ["activation", "pwm_percent", "position_rad", "velocity_radps", "displacement_m", "force_n"];

/** The DEP parameters a controller node declares (the reference's names). */
export const DEP_NODE_PARAMETERS = [
  "kappa",
  "tau",
  "bias_rate",
  "time_dist",
  "normalization",
  "normalization_axis",
  "s4avg",
  "buffer_size",
  "regularization",
  "with_learning",
  "q_norm_selector",
  "force_scale",
] as const;

/** The controller's parameters; DEP's defaults are those of `preset` (resolved values). */
export function controllerParameterSpecs(preset: Readonly<DepParams> = DEP_DEFAULTS) {
  // Ranges and checks come from DEP's parameter schema (src/dep/params.ts), not a copy.
  const dep = depParamsSchema.shape;
  const R = DEP_NUMBER_RULES;
  return {
    kappa: param.double("kappa", { default: preset.kappa, ...R.kappa, schema: dep.kappa, description: "DEP loop gain" }),
    tau: param.integer("tau", { default: preset.tau, ...R.tau, schema: dep.tau, description: "DEP learning window (control ticks)" }),
    bias_rate: param.double("bias_rate", { default: preset.bias_rate, ...R.bias_rate, schema: dep.bias_rate, description: "DEP bias learning rate; negative switches the bias off" }),
    time_dist: param.integer("time_dist", { default: preset.time_dist, ...R.time_dist, schema: dep.time_dist, description: "DEP delay between the correlated velocities (ticks)" }),
    normalization: param.string("normalization", { default: preset.normalization, choices: DEP_NORMALIZATIONS, schema: dep.normalization, description: "DEP controller matrix normalization" }),
    normalization_axis: param.string("normalization_axis", {
      default: preset.normalization_axis,
      choices: DEP_NORMALIZATION_AXES,
      schema: dep.normalization_axis,
      description: "how independent normalization applies its factors (column: as the reference)",
    }),
    s4avg: param.double("s4avg", { default: preset.s4avg, ...R.s4avg, schema: dep.s4avg, description: "DEP input smoothing divisor; <= 1 switches smoothing off" }),
    buffer_size: param.integer("buffer_size", { default: preset.buffer_size, ...R.buffer_size, schema: dep.buffer_size, description: "DEP history length (ticks); at least tau + time_dist + 1" }),
    regularization: param.double("regularization", { default: preset.regularization, ...R.regularization, schema: dep.regularization, description: "DEP regularizer exponent: 10^-regularization" }),
    with_learning: param.bool("with_learning", { default: preset.with_learning, schema: dep.with_learning, description: "false freezes DEP's matrix at zero" }),
    q_norm_selector: param.string("q_norm_selector", { default: preset.q_norm_selector, choices: DEP_Q_NORM_SELECTORS, schema: dep.q_norm_selector, description: "DEP output normalization" }),
    force_scale: param.double("force_scale", { default: preset.force_scale, ...R.force_scale, schema: dep.force_scale, description: "weight of tendon force in DEP's input; 0 uses lengths only" }),
    output_mapping: param.string("output_mapping", {
      default: "auto",
      choices: ["auto", "myosuite", "linear"],
      readOnly: true,
      description: "DEP output to command: myosuite (sigmoid, for activations), linear (over the command range), auto (myosuite for activation)",
    }),
    command_unit: param.string("command_unit", { default: "activation", choices: COMMAND_UNITS, readOnly: true, description: "unit of the commands the bridge takes" }),
    command_min: param.double("command_min", { default: 0, description: "lowest command of every muscle (command unit)" }),
    command_max: param.double("command_max", { default: 1, description: "highest command of every muscle (command unit)" }),
    safe_command: param.double("safe_command", { default: 0, description: "the command when nothing may act (command unit); within [command_min, command_max]" }),
    max_rate_per_sec: param.double("max_rate_per_sec", { default: 0, min: 0, description: "largest command change per second (command unit / s); 0 for no rate limit" }),
    command_sources: param.stringArray("command_sources", {
      default: ["teleop"],
      readOnly: true,
      description: "per-source command topics /muscle_commands/<source> that override DEP while fresh, highest priority first",
    }),
    source_timeout_sec: param.double("source_timeout_sec", { default: 0.5, min: 0, exclusiveMin: true, description: "a source's command counts as fresh for this long after it arrived (s, wall time)" }),
    transition_sec: param.double("transition_sec", {
      default: 0.5,
      min: 0,
      readOnly: true,
      description: "hand-over ramp: a switch of command source crosses the whole command range in at most this long (s); 0: no ramp",
    }),
    safe_mode: param.string("safe_mode", { default: "zero", choices: ["zero", "hold"], readOnly: true, description: "command of a muscle group no source wins: zero (the safe command) or hold (the last command)" }),
    matrix_period_sec: param.double("matrix_period_sec", { default: 0.1, min: 0, description: "period of /dep/matrix (s of the states' stamps); 0 switches it off" }),
    publish_transitions: param.bool("publish_transitions", { default: true, description: "publish /transitions (what each tick saw and sent) for the learner" }),
    diagnostics_period_sec: param.double("diagnostics_period_sec", { default: 1, min: 0, exclusiveMin: true, readOnly: true, description: "period of /diagnostics (s)" }),
    learning: param.bool("learning", {
      default: false,
      readOnly: true,
      description: "host a learning policy (the reach task): the arbiter's 'policy' source, below command_sources and above DEP; transition rows on /transitions, policies from /policy",
    }),
    learning_mode: param.string("learning_mode", {
      default: "dep-rl",
      choices: [...EXPLORATION_MODES, "greedy"],
      readOnly: true,
      description: "with learning: who explores (dep-rl: DEP pre-training, then DEP-RL's stochastic switch; rl: the policy's Gaussian; greedy: the policy's mean, no exploration)",
    }),
    stream: param.integer("stream", { default: 0, min: 0, max: 1023, readOnly: true, description: "with learning: this actor's stream number in its transition rows (one per robot feeding a learner)" }),
    steps_before_learning: param.integer("steps_before_learning", {
      default: 5000,
      min: 0,
      max: 100_000_000,
      readOnly: true,
      description: "with learning in the DEP modes: DEP acts alone for this many ticks (the learner's steps_before_batches)",
    }),
    transitions_every_ticks: param.integer("transitions_every_ticks", { default: 25, min: 1, max: 100_000, readOnly: true, description: "with learning: ticks between transition-row messages" }),
    joint_ranges_rad: param.string("joint_ranges_rad", {
      default: "",
      readOnly: true,
      description: "with learning: the joints' ranges, in /joint_states order, as lo:hi,lo:hi (rad); they scale the reach task's observation and bound its targets. Empty: unknown (+-pi)",
    }),
    learning_seed: param.integer("learning_seed", { default: 0, min: 0, max: 2 ** 31 - 1, readOnly: true, description: "with learning: seed of targets, the policy's sampling and the DEP-RL switch" }),
  };
}

export type ControllerParameterSpecs = ReturnType<typeof controllerParameterSpecs>;
type Values = Readonly<ParameterValues<ControllerParameterSpecs>>;

function depOverrides(v: Values): Partial<DepParams> {
  return Object.fromEntries(DEP_NODE_PARAMETERS.map((k) => [k, v[k]])) as Partial<DepParams>;
}

/** The controller's cross-parameter checks, with DEP's own messages. */
export function checkControllerParameters(v: Values): string | undefined {
  if (!(v.command_min < v.command_max)) return `command_min (${v.command_min}) must be < command_max (${v.command_max})`;
  if (!(v.safe_command >= v.command_min && v.safe_command <= v.command_max)) {
    return `safe_command (${v.safe_command}) must lie within [command_min, command_max] = [${v.command_min}, ${v.command_max}]`;
  }
  for (const s of v.command_sources) {
    try {
      sourceCommandTopic(s);
    } catch (err) {
      return (err as Error).message;
    }
    if (s === "dep") return "command_sources must not list 'dep': /muscle_commands/dep is the controller's own output";
    if (s === POLICY_SOURCE && v.learning) return `command_sources must not list '${POLICY_SOURCE}' with learning: true: the learning policy is that source`;
  }
  if (parseJointRanges(v.joint_ranges_rad) === undefined) return `joint_ranges_rad '${v.joint_ranges_rad}' must be ranges lo:hi (rad, lo < hi) separated by commas, e.g. -1.2:1.8,0:2.4`;
  try {
    resolveDepParams({ params: depOverrides(v) });
  } catch (err) {
    if (err instanceof DepParamsError) return err.issues.join("; ");
    throw err;
  }
  return undefined;
}

/** `lo:hi,lo:hi` as ranges (an empty text: none); undefined when malformed. */
export function parseJointRanges(text: string): [number, number][] | undefined {
  if (text.trim() === "") return [];
  const out: [number, number][] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(-?[\d.]+(?:e-?\d+)?)\s*:\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(part);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return undefined;
    out.push([lo, hi]);
  }
  return out;
}

/** Names that need DEP restarted when they change. */
const RESTARTS_DEP = new Set<string>([...DEP_NODE_PARAMETERS, "output_mapping", "command_unit", "command_min", "command_max", "safe_command"]);

interface Names {
  readonly muscles: readonly string[];
  readonly joints: readonly string[];
}

/** One configuration (names and the parameters that shape DEP): its spec, DEP, safety layer, bridge and loop. */
interface Config {
  readonly names: Names;
  readonly spec: RobotSpec;
  readonly controller: DepController;
  readonly safety: SafetyLayer;
  readonly bridge: TopicBridge;
  /** With `learning`: the policy as the arbiter's `policy` source. */
  readonly learning: LearningPolicy | undefined;
  /** What the loop's subscribers hold; ended when the configuration is retired. */
  readonly subs: Subscription;
  loop: ControlLoop | undefined;
  run: Promise<LoopResult> | undefined;
}

/** Period of a tick whose state stamp did not advance, and of the first one (s). */
const NOMINAL_PERIOD_SEC = 0.01;

/**
 * The node's parameters as a `SafetyConfig` (the shape of `--serve --safety FILE`):
 * `command_sources` highest priority first, DEP (the loop's controller) last.
 */
export function safetyConfigFromParameters(v: Values, controllerName: string): SafetyConfig {
  return {
    groups: "auto",
    safeMode: v.safe_mode as SafeMode,
    transitionSec: v.transition_sec,
    sources: [
      ...v.command_sources.map((name, k) => ({ name, priority: Math.max(2, 200 - k), timeoutSec: v.source_timeout_sec })),
      // A learning policy: below every command source, above DEP.
      ...(v.learning ? [{ name: POLICY_SOURCE, priority: 1, timeoutSec: v.source_timeout_sec }] : []),
      { name: controllerName, priority: 0, timeoutSec: 0, controller: true },
    ],
    locks: [],
    limits: { maxRatePerSec: v.max_rate_per_sec > 0 ? v.max_rate_per_sec : Infinity },
  };
}

export interface ControllerNodeOptions {
  readonly node: TransportNode;
  readonly params: NodeParameters<ControllerParameterSpecs>;
  /** DEP preset under the parameters (default "default"). */
  readonly preset?: string;
  /** The clock that times per-source commands (default: wall time). */
  readonly clock?: Clock;
  /** With learning: this actor's stream number, over the `stream` parameter (an actor of a multi-actor set). */
  readonly stream?: number;
}

export class ControllerNode implements TendonNode {
  readonly name: string;
  readonly finished = undefined;
  readonly #o: ControllerNodeOptions;
  readonly #node: TransportNode;
  readonly #params: NodeParameters<ControllerParameterSpecs>;
  readonly #clock: Clock;
  readonly #stats = new LoopStats();
  readonly #sourceTicks = new Map<string, number>();
  readonly #problems: Partial<Record<ProblemCode, number>> = {};
  #subs = new Subscription();
  #config: Config | undefined;
  #commandPub: Publisher<Float64MultiArrayMsg> | undefined;
  #diagnosticsTimer: PeriodicTimer | undefined;
  #publishDiagnostics: (() => void) | undefined;
  #restarts = 0;
  #stopped = false;
  #ownersPub: Publisher<StringMsg> | undefined;
  #eventsPub: Publisher<StringMsg> | undefined;
  #arbiterSub: Subscription | undefined;
  #watched: Arbiter | undefined;
  #estopBeforeConfig = false;
  /** The newest policy from /policy (with learning), handed to each new configuration's controller. */
  #policy: PolicySnapshot | undefined;
  #policiesReceived = 0;
  #policiesRejected = 0;
  #rowsSent = 0;
  #transitionsPub: Publisher<Float64MultiArrayMsg> | undefined;

  constructor(options: ControllerNodeOptions) {
    this.#o = options;
    this.#node = options.node;
    this.#params = options.params;
    this.#clock = options.clock ?? new WallClock();
    this.name = options.node.name;
  }

  /** The current DEP controller (after the first state message). */
  get controller(): DepController | undefined {
    return this.#config?.controller;
  }

  /** The arbiter of the current configuration (after the first state message). */
  get arbiter(): Arbiter | undefined {
    return this.#config?.safety.arbiter;
  }

  /** The control loop of the current configuration (after the first state message). */
  get loop(): ControlLoop | undefined {
    return this.#config?.loop;
  }

  /** With `learning`: the learning policy's controller of the current configuration. */
  get policyController(): PolicyController | undefined {
    return this.#config?.learning?.controller;
  }

  /** With `learning`: policies taken from /policy, and transition rows sent on /transitions. */
  get learningStats(): { policiesReceived: number; policiesRejected: number; rowsSent: number } {
    return { policiesReceived: this.#policiesReceived, policiesRejected: this.#policiesRejected, rowsSent: this.#rowsSent };
  }

  /** Ticks per command source ("dep", "teleop", "safe", ...). */
  get sourceTicks(): ReadonlyMap<string, number> {
    return this.#sourceTicks;
  }

  get ticks(): number {
    return this.#stats.ticks;
  }

  /** How often DEP was restarted by a parameter change. */
  get restarts(): number {
    return this.#restarts;
  }

  get params(): NodeParameters<ControllerParameterSpecs> {
    return this.#params;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const node = this.#node;
    const params = this.#params;
    const clock = this.#clock;

    this.#commandPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands, QOS_CONTROL);
    const depPub = node.createPublisher("std_msgs/msg/Float64MultiArray", sourceCommandTopic("dep"), QOS_CONTROL);
    // Transition rows are blocks that must all arrive (QOS_DEFAULT keeps 10); the per-muscle matrix is control-rate state.
    const transitionsPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.transitions, params.values.learning ? QOS_DEFAULT : QOS_CONTROL);
    this.#transitionsPub = transitionsPub;
    const matrixPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.depMatrix, QOS_DEFAULT);
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    this.#ownersPub = node.createPublisher("std_msgs/msg/String", TOPICS.arbiterOwners, QOS_LATCHED);
    this.#eventsPub = node.createPublisher("std_msgs/msg/String", TOPICS.arbiterEvents, QOS_DEFAULT);
    this.#subs.add(
      node.subscribe("std_msgs/msg/Bool", TOPICS.estop, QOS_DEFAULT).subscribe((m) => {
        if (!m.data) return;
        const arbiter = this.#config?.safety.arbiter;
        if (arbiter) arbiter.estop("ros", `true on ${TOPICS.estop}`);
        else this.#estopBeforeConfig = true;
      }),
    );
    this.#subs.add(
      node.subscribe("std_msgs/msg/Bool", TOPICS.estopReset, QOS_DEFAULT).subscribe((m) => {
        if (!m.data) return;
        this.#estopBeforeConfig = false;
        this.#config?.safety.arbiter.reset("ros");
      }),
    );

    if (params.values.learning) {
      // Policies from the learner, swapped in between ticks (the newest is kept for a DEP restart).
      this.#subs.add(
        node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.policy, QOS_LATCHED).subscribe((m) => {
          let snapshot: PolicySnapshot;
          try {
            snapshot = readPolicyMessage(m);
            this.#config?.learning?.controller.offer(snapshot);
          } catch (err) {
            if (this.#policiesRejected++ === 0) node.log("warn", `ignoring a ${TOPICS.policy} message: ${(err as Error).message}`);
            return;
          }
          if (!this.#policy || snapshot.version > this.#policy.version) this.#policy = snapshot;
          this.#policiesReceived++;
        }),
      );
    }

    let malformed = 0;
    const states$ = node.subscribe("sensor_msgs/msg/JointState", TOPICS.muscleStates, QOS_CONTROL).pipe(
      filter((m) => {
        if (m.position.length === m.name.length && m.name.length > 0) return true;
        if (malformed++ === 0) node.log("warn", `ignoring ${TOPICS.muscleStates} with ${m.name.length} names and ${m.position.length} positions`);
        return false;
      }),
      share(),
    );
    // The newest joint state, read by each tick (only the muscle states set the rate).
    let joints: JointStateMsg | undefined;
    this.#subs.add(node.subscribe("sensor_msgs/msg/JointState", TOPICS.jointStates, QOS_CONTROL).subscribe((j) => (joints = j)));
    const sources: CommandSource[] = params.values.command_sources.map((name) => ({
      name,
      latest$: latestCommand(node.subscribe("std_msgs/msg/Float64MultiArray", sourceCommandTopic(name), QOS_CONTROL), clock),
    }));
    // Connected now, so that nothing a source sends before the first state is lost; each tick
    // reads the newest command of every source from here.
    const latest: (LatestCommand | undefined)[] = sources.map(() => undefined);
    sources.forEach((s, k) => this.#subs.add(s.latest$.subscribe((l) => (latest[k] = l))));

    let depMsg = createVector(0);
    let transitionsMsg = createMatrix(0, TRANSITION_FIELDS.length, "muscle", TRANSITION_FIELDS.join("|"));
    let matrixMsg = createMatrix(0, 0, "motor", "sensor");
    let lastMatrixSec = -Infinity;

    /** A loop for a new configuration: the same operators as every run, on topics. */
    const startLoop = (cfg: Config): void => {
      const n = cfg.spec.muscles.length;
      if (depMsg.data.length !== n) {
        depMsg = createVector(n);
        transitionsMsg = createMatrix(n, TRANSITION_FIELDS.length, "muscle", TRANSITION_FIELDS.join("|"));
        matrixMsg = createMatrix(n, n, "motor", "sensor");
      }
      const fed = sources.map(() => 0);
      // DEP's own command, as it left DEP (before arbitration).
      const publishDep = tap((c: Cycle) => {
        if (c.source !== cfg.controller.name) return;
        depMsg.data.set(c.command.values);
        depPub.publish(depMsg);
      });
      // New commands of each source since the last tick, stamped when they arrived.
      const feedSources = tap((_c: Cycle) => {
        for (let k = 0; k < latest.length; k++) {
          const l = latest[k];
          if (!l || l.count === fed[k] || l.data.length !== n) continue;
          fed[k] = l.count;
          cfg.safety.arbiter.submitMuscles(sources[k].name, l.data, undefined, l.atSec);
        }
      });
      // The learning policy's stage submits its command to the arbiter before the arbitration stage.
      const learning = cfg.learning?.extend({ spec: cfg.spec, periodSec: NOMINAL_PERIOD_SEC, controllerName: cfg.controller.name, controller: cfg.controller, clock: this.#clock }).stages ?? [];
      const loop = new ControlLoop({
        bridge: cfg.bridge,
        controller: cfg.controller,
        mode: "external",
        ticks: cfg.bridge.ticks,
        periodSec: NOMINAL_PERIOD_SEC,
        stages: [publishDep, feedSources, ...learning, cfg.safety.stage()],
        limiter: cfg.safety.limiter,
      });
      cfg.loop = loop;
      if (cfg.learning && this.#policy) cfg.learning.controller.offer(this.#policy);
      cfg.learning?.attach(loop);
      cfg.subs.add(
        loop.events$.subscribe((e) => {
          if (e.type === "problem" && (this.#problems[e.code] = (this.#problems[e.code] ?? 0) + 1) === 1) node.log("warn", e.message);
        }),
      );
      cfg.subs.add(
        loop.cycles$.subscribe((c) => {
          const v = params.values;
          // With learning, /transitions carries the policy's transition rows instead.
          if (v.publish_transitions && !cfg.learning) {
            fillTransitions(transitionsMsg.data, c.frame, c.command.values);
            transitionsPub.publish(transitionsMsg);
          }
          const t = c.tick.startSec;
          const matrix = cfg.controller.matrix;
          if (v.matrix_period_sec > 0 && t - lastMatrixSec >= v.matrix_period_sec && matrix) {
            lastMatrixSec = t;
            matrixMsg.data.set(matrix.call(cfg.controller));
            matrixPub.publish(matrixMsg);
          }
          this.#sourceTicks.set(c.source, (this.#sourceTicks.get(c.source) ?? 0) + 1);
          this.#stats.record(0, (c.workEndMs - c.workStartMs) / 1000, 0);
          // Between ticks: a change applied here reconfigures before the next state arrives.
          params.applyPending();
        }),
      );
      this.#watchArbiter(cfg.safety.arbiter);
      cfg.bridge.activateNow();
      // Subscribes to the bridge's ticks before returning (the bridge is active).
      cfg.run = loop.run();
      cfg.run.catch((err: unknown) => node.log("error", `control loop failed: ${err instanceof Error ? err.message : String(err)}`));
    };

    // The names of muscles and joints: a new value only when they change (compared without
    // allocating: in process the name arrays are the same objects every tick).
    let lastMuscles: readonly string[] = [];
    let lastJoints: readonly string[] = [];
    const names$: Observable<Names> = states$.pipe(
      filter((m) => {
        const j = joints?.name ?? NO_NAMES;
        if (sameNames(m.name, lastMuscles) && sameNames(j, lastJoints)) return false;
        lastMuscles = m.name;
        lastJoints = j;
        return true;
      }),
      map(() => ({ muscles: [...lastMuscles], joints: [...lastJoints] })),
    );
    const initial: AppliedChange<ControllerParameterSpecs> = { names: [], values: params.values };
    this.#subs.add(
      combineLatest([names$, params.applied$.pipe(startWith(initial))]).subscribe(([names, change]) => {
        const prev = this.#config;
        const cfg = this.#configure(names, change, states$, () => joints);
        if (cfg !== prev) startLoop(cfg);
      }),
    );

    this.#publishDiagnostics = () => diagPub.publish(this.#diagnostics());
    this.#diagnosticsTimer = node.createTimer(params.values.diagnostics_period_sec, this.#publishDiagnostics);
  }

  /** The configuration for these names and parameters: the current one adjusted in place, or a new one (and the old one retired). */
  #configure(names: Names, change: AppliedChange<ControllerParameterSpecs>, states$: Observable<JointStateMsg>, joints: () => JointStateMsg | undefined): Config {
    const v = change.values;
    const prev = this.#config;
    if (prev && prev.names === names && !change.names.some((k) => RESTARTS_DEP.has(k))) {
      // Only the rate limit or timeouts changed: DEP keeps running.
      prev.safety.limiter.setMaxRatePerSec(v.max_rate_per_sec > 0 ? v.max_rate_per_sec : Infinity);
      for (const name of v.command_sources) prev.safety.arbiter.setSourceTimeout(name, v.source_timeout_sec);
      return prev;
    }
    const ranges = parseJointRanges(v.joint_ranges_rad) ?? [];
    if (ranges.length > 0 && ranges.length !== names.joints.length && names.joints.length > 0) {
      this.#node.log("warn", `joint_ranges_rad has ${ranges.length} ranges for ${names.joints.length} joints (${names.joints.join(", ")}): not used`);
    }
    const spec: RobotSpec = {
      name: "muscle_states",
      commandUnit: v.command_unit as CommandUnit,
      muscles: names.muscles.map((name) => ({ name, commandMin: v.command_min, commandMax: v.command_max, safeCommand: v.safe_command })),
      joints: names.joints.map((name, j) => ({ name, rangeRad: ranges.length === names.joints.length ? ranges[j] : null })),
    };
    const controller = new DepController({
      preset: this.#o.preset,
      params: depOverrides(v),
      outputMapping: v.output_mapping === "auto" ? undefined : (v.output_mapping as "myosuite" | "linear"),
    });
    const safety = new SafetyLayer({ spec, config: safetyConfigFromParameters(v, controller.name), clock: this.#clock, arbitrateOnClock: true });
    if (prev) {
      this.#restarts++;
      // The rate limiter starts from the last command sent, so the restart makes no jump.
      if (prev.names === names) primeLimits(safety.limiter, prev.safety.limiter.lastCommand, spec);
      const why = prev.names === names ? `parameters changed (${change.names.join(", ")})` : `the muscles changed (${names.muscles.length}: ${names.muscles.join(", ")})`;
      this.#node.log("info", `DEP restarted: ${why}`);
    } else {
      this.#node.log("info", `configured for ${names.muscles.length} muscles (${names.muscles.join(", ")}), ${names.joints.length} joints`);
    }
    // A latched e-stop survives a restart of DEP; one that came before the first state applies now.
    const latched = prev?.safety.arbiter.estopState;
    if (latched?.latched) safety.arbiter.estop(latched.by, latched.reason);
    else if (this.#estopBeforeConfig) safety.arbiter.estop("ros", `true on ${TOPICS.estop}`);
    this.#estopBeforeConfig = false;
    if (prev) this.#retire(prev);
    const bridge = new TopicBridge({ spec, states$, joints, commands: this.#commandPub!, nominalPeriodSec: NOMINAL_PERIOD_SEC });
    const learning = v.learning ? this.#learningPolicy(v, spec, safety) : undefined;
    const config: Config = { names, spec, controller, safety, bridge, learning, subs: new Subscription(), loop: undefined, run: undefined };
    this.#config = config;
    return config;
  }

  /**
   * The learning policy of a configuration: the reach task's `PolicyController` (the DEP-RL
   * schedules switch inside it) as the arbiter's `policy` source; its transition rows go out on
   * /transitions every `transitions_every_ticks` ticks, in the in-process row format. Undefined
   * (DEP alone, with a warning) when the joints are not the reach task's arm.
   */
  #learningPolicy(v: Values, spec: RobotSpec, safety: SafetyLayer): LearningPolicy | undefined {
    const rows = this.#transitionsPub!;
    const task = new ReachTask();
    try {
      task.check(spec);
    } catch (err) {
      // Joint names not (yet) those of the arm: DEP drives until a configuration fits.
      this.#node.log("warn", `learning is off for this configuration: ${(err as Error).message}`);
      return undefined;
    }
    const controller = new PolicyController({
      task,
      mode: v.learning_mode as ExplorationMode | "greedy",
      depParams: resolveDepParams({ preset: this.#o.preset, params: depOverrides(v) }),
      preTrainingSteps: v.steps_before_learning,
      // Each actor its own targets and sampling.
      seed: v.learning_seed + (this.#o.stream ?? v.stream),
      stream: this.#o.stream ?? v.stream,
    });
    return new LearningPolicy({
      controller,
      arbiter: safety.arbiter,
      drainEveryTicks: v.transitions_every_ticks,
      sink: (b) => {
        this.#rowsSent += b.count;
        rows.publish(transitionRowsMessage(b.count, b.observationSize, b.actionSize, b.data));
      },
    });
  }

  /** Ends a configuration's loop without publishing (its successor writes next). */
  #retire(cfg: Config): void {
    cfg.bridge.detach();
    cfg.learning?.close();
    cfg.loop?.stop();
    cfg.subs.unsubscribe();
    cfg.safety.dispose();
  }

  /** Publishes the arbiter's events, and its owners after each change. */
  #watchArbiter(arbiter: Arbiter): void {
    if (this.#watched === arbiter) return;
    this.#watched = arbiter;
    this.#arbiterSub?.unsubscribe();
    const publishOwners = (): void => {
      this.#ownersPub?.publish({ data: JSON.stringify(Object.fromEntries(arbiter.groups.names.map((g, i) => [g, arbiter.owners[i]]))) });
    };
    let pending = false;
    this.#arbiterSub = arbiter.events$.subscribe((e: ArbiterEvent) => {
      this.#eventsPub?.publish({ data: JSON.stringify(e) });
      if (e.type === "estop") this.#node.log("warn", `e-stop latched by ${e.by}: ${e.reason}`);
      else if (e.type === "estop_reset") this.#node.log("info", `e-stop reset by ${e.by}`);
      // Owner events come group by group within a tick: publish once all are in.
      if (e.type === "owner" && !pending) {
        pending = true;
        queueMicrotask(() => {
          pending = false;
          publishOwners();
        });
      }
    });
    publishOwners();
  }

  #diagnostics() {
    const stats = this.#stats.summary();
    const cfg = this.#config;
    const problems = Object.entries(this.#problems).map(([code, count]) => [`problem_${code}`, count] as const);
    const sources = [...this.#sourceTicks.entries()].map(([s, count]) => [`ticks_${s}`, count] as const);
    const status = [
      loopStatus(`${this.name}: DEP`, cfg?.spec.name ?? "", stats, {
        muscles: cfg?.spec.muscles.length ?? 0,
        dep_steps: cfg?.controller.stepCount ?? 0,
        dep_restarts: this.#restarts,
        ...(cfg?.learning
          ? { policy_version: cfg.learning.controller.policyVersion, policies_received: this.#policiesReceived, transition_rows_sent: this.#rowsSent, transitions_skipped: cfg.learning.controller.skippedTransitions }
          : {}),
        ...Object.fromEntries(sources),
        ...Object.fromEntries(problems),
      }),
    ];
    if (!cfg) {
      status[0] = { ...status[0], level: DIAGNOSTIC_WARN, message: `waiting for ${TOPICS.muscleStates}` };
    } else if (status[0].level === DIAGNOSTIC_OK && stats.ticks === 0) {
      status[0] = { ...status[0], message: "configured, no tick yet" };
    }
    return diagnosticArray(epochSec(), status);
  }

  /**
   * Ends the loop, which publishes the safe command once (so that a bridge elsewhere goes safe
   * now, not at its timeout), then releases everything.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#diagnosticsTimer?.cancel();
    this.#subs.unsubscribe();
    this.#arbiterSub?.unsubscribe();
    const cfg = this.#config;
    try {
      cfg?.loop?.stop();
      await cfg?.run?.catch(() => undefined);
      // The last transition rows go to the learner before the node goes.
      cfg?.learning?.close();
      cfg?.subs.unsubscribe();
      cfg?.safety.dispose();
      this.#publishDiagnostics?.();
    } finally {
      this.#node.destroy();
    }
  }
}

/** Makes `last` (the last command sent) the rate limiter's reference. */
function primeLimits(limits: CommandLimits, last: Float64Array, spec: RobotSpec): void {
  if (last.length === spec.muscles.length) limits.apply(last.slice(), 0, 0);
}

const NO_NAMES: readonly string[] = [];

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
