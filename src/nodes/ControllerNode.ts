/**
 * The controller node: DEP on /muscle_states, the arbitration hook, limits, and the command on
 * /muscle_commands, once per received state (the bridge's tick sets the rate).
 *
 * Per state message: fill a sensor frame (muscles from /muscle_states, joints from the newest
 * /joint_states) -> DEP (`computeCommand`) -> publish DEP's own command on /muscle_commands/dep ->
 * the arbiter (src/safety: per-source commands /muscle_commands/teleop, ... by priority with
 * timeouts, the latched e-stop of /estop until /estop_reset, the rate-limited hand-over) ->
 * `limitCommand` -> publish /muscle_commands, /transitions and, every `matrix_period_sec`,
 * /dep/matrix. The owner of each muscle group is published on /arbiter/owners (latched, on every
 * change) and every switch on /arbiter/events. The loop's operators and `CommandLimits` are reused.
 *
 * The robot spec comes from the messages: muscle names from /muscle_states, joint names from
 * /joint_states, command range and unit from parameters. The first state message (and the first
 * after the muscles change) configures DEP; control starts with the next one.
 *
 * Parameters are applied between ticks. A change of a DEP parameter (kappa, tau, ...), of the
 * output mapping or of the command range restarts DEP with the new values: the current `Dep`
 * cannot change its parameters in place, so what it learned (its matrix and buffers) starts
 * afresh. A change of the rate limit or the source timeout keeps DEP running.
 */
import { combineLatest, filter, map, startWith, Subscription, switchMap, tap, type Observable } from "rxjs";
import { WallClock, type Clock } from "../core/clock.js";
import type { ProblemCode, ProblemEvent } from "../core/events.js";
import { createMuscleCommand, createSensorFrame } from "../core/frames.js";
import type { CommandUnit, RobotSpec } from "../core/spec.js";
import { DepController } from "../dep/DepController.js";
import { DEP_DEFAULTS, DEP_NORMALIZATION_AXES, DEP_NORMALIZATIONS, DEP_Q_NORM_SELECTORS, DepParamsError, depParamsSchema, resolveDepParams, type DepParams } from "../dep/params.js";
import { CommandLimits } from "../loop/CommandLimits.js";
import { LoopStats } from "../loop/LoopStats.js";
import { computeCommand, createCycle, limitCommand, type Cycle } from "../loop/operators.js";
import { createMatrix, createVector, DIAGNOSTIC_OK, DIAGNOSTIC_WARN, stampToSec, type JointStateMsg } from "../transport/messages.js";
import { param, type AppliedChange, type NodeParameters, type ParameterValues } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type PeriodicTimer, type Publisher, type TransportNode } from "../transport/Transport.js";
import type { StringMsg } from "../transport/messages.js";
import { diagnosticArray, epochSec, keyValues, loopStatus } from "../transport/diagnostics.js";
import { latestCommand, type CommandSource, type LatestCommand } from "./sourceOverride.js";
import { Arbiter, type SafeMode } from "../safety/Arbiter.js";
import { arbitrate } from "../safety/arbitrate.js";
import type { ArbiterEvent } from "../safety/events.js";
import type { TendonNode } from "./TendonNode.js";
import { sourceCommandTopic, TOPICS, TRANSITION_FIELDS } from "../transport/topics.js";

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
  const dep = depParamsSchema.shape;
  return {
    kappa: param.double("kappa", { default: preset.kappa, min: 0, exclusiveMin: true, max: 1e6, schema: dep.kappa, description: "DEP loop gain" }),
    tau: param.integer("tau", { default: preset.tau, min: 3, schema: dep.tau, description: "DEP learning window (control ticks)" }),
    bias_rate: param.double("bias_rate", { default: preset.bias_rate, schema: dep.bias_rate, description: "DEP bias learning rate; negative switches the bias off" }),
    time_dist: param.integer("time_dist", { default: preset.time_dist, min: 0, schema: dep.time_dist, description: "DEP delay between the correlated velocities (ticks)" }),
    normalization: param.string("normalization", { default: preset.normalization, choices: DEP_NORMALIZATIONS, schema: dep.normalization, description: "DEP controller matrix normalization" }),
    normalization_axis: param.string("normalization_axis", {
      default: preset.normalization_axis,
      choices: DEP_NORMALIZATION_AXES,
      schema: dep.normalization_axis,
      description: "how independent normalization applies its factors (column: as the reference)",
    }),
    s4avg: param.double("s4avg", { default: preset.s4avg, min: 0, schema: dep.s4avg, description: "DEP input smoothing divisor; <= 1 switches smoothing off" }),
    buffer_size: param.integer("buffer_size", { default: preset.buffer_size, min: 1, schema: dep.buffer_size, description: "DEP history length (ticks); at least tau + time_dist + 1" }),
    regularization: param.double("regularization", { default: preset.regularization, min: 0, max: 40, schema: dep.regularization, description: "DEP regularizer exponent: 10^-regularization" }),
    with_learning: param.bool("with_learning", { default: preset.with_learning, schema: dep.with_learning, description: "false freezes DEP's matrix at zero" }),
    q_norm_selector: param.string("q_norm_selector", { default: preset.q_norm_selector, choices: DEP_Q_NORM_SELECTORS, schema: dep.q_norm_selector, description: "DEP output normalization" }),
    force_scale: param.double("force_scale", { default: preset.force_scale, min: 0, schema: dep.force_scale, description: "weight of tendon force in DEP's input; 0 uses lengths only" }),
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
  }
  try {
    resolveDepParams({ params: depOverrides(v) });
  } catch (err) {
    if (err instanceof DepParamsError) return err.issues.join("; ");
    throw err;
  }
  return undefined;
}

/** Names that need DEP restarted when they change. */
const RESTARTS_DEP = new Set<string>([...DEP_NODE_PARAMETERS, "output_mapping", "command_unit", "command_min", "command_max", "safe_command"]);

interface Names {
  readonly muscles: readonly string[];
  readonly joints: readonly string[];
}

interface Config {
  readonly names: Names;
  readonly spec: RobotSpec;
  readonly controller: DepController;
  readonly limits: CommandLimits;
  readonly cycle: Cycle;
  readonly arbiter: Arbiter;
}

export interface ControllerNodeOptions {
  readonly node: TransportNode;
  readonly params: NodeParameters<ControllerParameterSpecs>;
  /** DEP preset under the parameters (default "default"). */
  readonly preset?: string;
  /** The clock that times per-source commands (default: wall time). */
  readonly clock?: Clock;
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
  #diagnosticsTimer: PeriodicTimer | undefined;
  #publishSafe: (() => void) | undefined;
  #publishDiagnostics: (() => void) | undefined;
  #restarts = 0;
  #stopped = false;
  #ownersPub: Publisher<StringMsg> | undefined;
  #eventsPub: Publisher<StringMsg> | undefined;
  #arbiterSub: Subscription | undefined;
  #watched: Arbiter | undefined;
  #estopBeforeConfig = false;

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
    return this.#config?.arbiter;
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
    const onProblem = (p: ProblemEvent): void => {
      if ((this.#problems[p.code] = (this.#problems[p.code] ?? 0) + 1) === 1) node.log("warn", p.message);
    };

    const commandPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.muscleCommands, QOS_CONTROL);
    const depPub = node.createPublisher("std_msgs/msg/Float64MultiArray", sourceCommandTopic("dep"), QOS_CONTROL);
    const transitionsPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.transitions, QOS_CONTROL);
    const matrixPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.depMatrix, QOS_DEFAULT);
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    this.#ownersPub = node.createPublisher("std_msgs/msg/String", TOPICS.arbiterOwners, QOS_LATCHED);
    this.#eventsPub = node.createPublisher("std_msgs/msg/String", TOPICS.arbiterEvents, QOS_DEFAULT);
    this.#subs.add(
      node.subscribe("std_msgs/msg/Bool", TOPICS.estop, QOS_DEFAULT).subscribe((m) => {
        if (!m.data) return;
        const arbiter = this.#config?.arbiter;
        if (arbiter) arbiter.estop("ros", `true on ${TOPICS.estop}`);
        else this.#estopBeforeConfig = true;
      }),
    );
    this.#subs.add(
      node.subscribe("std_msgs/msg/Bool", TOPICS.estopReset, QOS_DEFAULT).subscribe((m) => {
        if (!m.data) return;
        this.#estopBeforeConfig = false;
        this.#config?.arbiter.reset("ros");
      }),
    );

    let malformed = 0;
    const states$ = node.subscribe("sensor_msgs/msg/JointState", TOPICS.muscleStates, QOS_CONTROL).pipe(
      filter((m) => {
        if (m.position.length === m.name.length && m.name.length > 0) return true;
        if (malformed++ === 0) node.log("warn", `ignoring ${TOPICS.muscleStates} with ${m.name.length} names and ${m.position.length} positions`);
        return false;
      }),
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
    const configs$ = combineLatest([names$, params.applied$.pipe(startWith(initial))]).pipe(map(([names, change]) => this.#configure(names, change)));

    let commandMsg = createVector(0);
    let depMsg = createVector(0);
    let transitionsMsg = createMatrix(0, TRANSITION_FIELDS.length, "muscle", TRANSITION_FIELDS.join("|"));
    let matrixMsg = createMatrix(0, 0, "motor", "sensor");
    let lastMatrixSec = -Infinity;
    let lastStampSec = NaN;
    let tickIndex = 0;

    const cycles$ = configs$.pipe(
      switchMap((cfg) => {
        const n = cfg.spec.muscles.length;
        if (commandMsg.data.length !== n) {
          commandMsg = createVector(n);
          depMsg = createVector(n);
          transitionsMsg = createMatrix(n, TRANSITION_FIELDS.length, "muscle", TRANSITION_FIELDS.join("|"));
          matrixMsg = createMatrix(n, n, "motor", "sensor");
        }
        const nominalPeriodSec = 0.01;
        const fed = sources.map(() => 0);
        this.#watchArbiter(cfg.arbiter);
        return states$.pipe(
          map((msg) => {
            const c = cfg.cycle;
            const f = c.frame;
            c.workStartMs = performance.now();
            copyInto(f.muscleLengthM, msg.position);
            copyInto(f.muscleVelocityMps, msg.velocity);
            copyInto(f.muscleForceN, msg.effort);
            if (joints && joints.position.length === f.jointAngleRad.length) {
              f.jointAngleRad.set(joints.position);
              copyInto(f.jointVelocityRadps, joints.velocity);
            }
            const t = stampToSec(msg.header.stamp);
            const dt = t - lastStampSec;
            const tick = c.tick;
            tick.index = tickIndex++;
            tick.cycle = tick.index + 1;
            tick.periodSec = dt > 0 ? dt : tick.periodSec > 0 ? tick.periodSec : nominalPeriodSec;
            tick.deadlineSec = t;
            tick.startSec = t;
            tick.missed = 0;
            lastStampSec = t;
            f.stampSec = t;
            f.seq = tick.index;
            c.fresh = true;
            c.staleTicks = 0;
            c.source = "safe";
            return c;
          }),
          computeCommand(cfg.controller, onProblem),
          tap((c) => {
            if (c.source !== cfg.controller.name) return;
            depMsg.data.set(c.command.values);
            depPub.publish(depMsg);
          }),
          // New commands of each source since the last tick, stamped when they arrived.
          tap(() => {
            for (let k = 0; k < latest.length; k++) {
              const l = latest[k];
              if (!l || l.count === fed[k] || l.data.length !== n) continue;
              fed[k] = l.count;
              cfg.arbiter.submitMuscles(sources[k].name, l.data, undefined, l.atSec);
            }
          }),
          arbitrate(cfg.arbiter, cfg.limits, { clock }),
          limitCommand(cfg.limits, onProblem),
        );
      }),
    );

    this.#subs.add(
      cycles$.subscribe((c) => {
        commandMsg.data.set(c.command.values);
        commandPub.publish(commandMsg);
        const cfg = this.#config!;
        const v = params.values;
        if (v.publish_transitions) {
          const f = c.frame;
          const d = transitionsMsg.data;
          const k = TRANSITION_FIELDS.length;
          for (let i = 0; i < f.muscleLengthM.length; i++) {
            d[i * k] = f.muscleLengthM[i];
            d[i * k + 1] = f.muscleVelocityMps[i];
            d[i * k + 2] = f.muscleForceN[i];
            d[i * k + 3] = c.command.values[i];
          }
          transitionsPub.publish(transitionsMsg);
        }
        const t = c.tick.startSec;
        if (v.matrix_period_sec > 0 && t - lastMatrixSec >= v.matrix_period_sec) {
          lastMatrixSec = t;
          matrixMsg.data.set(cfg.controller.matrix());
          matrixPub.publish(matrixMsg);
        }
        this.#sourceTicks.set(c.source, (this.#sourceTicks.get(c.source) ?? 0) + 1);
        this.#stats.record(0, (performance.now() - c.workStartMs) / 1000, 0);
        // Between ticks: a change applied here reconfigures before the next state arrives.
        params.applyPending();
      }),
    );

    this.#publishSafe = () => {
      const cfg = this.#config;
      if (!cfg) return;
      cfg.limits.safe(commandMsg.data);
      commandPub.publish(commandMsg);
    };
    this.#publishDiagnostics = () => diagPub.publish(this.#diagnostics());
    this.#diagnosticsTimer = node.createTimer(params.values.diagnostics_period_sec, this.#publishDiagnostics);
  }

  #configure(names: Names, change: AppliedChange<ControllerParameterSpecs>): Config {
    const v = change.values;
    const prev = this.#config;
    const sameSpec = prev !== undefined && prev.names === names && !change.names.some((k) => RESTARTS_DEP.has(k));
    let config: Config;
    if (prev && sameSpec) {
      // Only the limits (rate) or timeouts changed: DEP keeps running.
      const limits = new CommandLimits(prev.spec, { maxRatePerSec: v.max_rate_per_sec > 0 ? v.max_rate_per_sec : Infinity });
      // The rate limiter starts from the last command sent, so the change makes no jump.
      primeLimits(limits, prev.cycle.command.values, prev.spec);
      for (const name of v.command_sources) prev.arbiter.setSourceTimeout(name, v.source_timeout_sec);
      config = { ...prev, limits };
    } else {
      const spec: RobotSpec = {
        name: "muscle_states",
        commandUnit: v.command_unit as CommandUnit,
        muscles: names.muscles.map((name) => ({ name, commandMin: v.command_min, commandMax: v.command_max, safeCommand: v.safe_command })),
        joints: names.joints.map((name) => ({ name, rangeRad: null })),
      };
      const controller = new DepController({
        preset: this.#o.preset,
        params: depOverrides(v),
        outputMapping: v.output_mapping === "auto" ? undefined : (v.output_mapping as "myosuite" | "linear"),
      });
      controller.configure(spec);
      const limits = new CommandLimits(spec, { maxRatePerSec: v.max_rate_per_sec > 0 ? v.max_rate_per_sec : Infinity });
      const cycle = prev && prev.names === names ? prev.cycle : createCycle(createSensorFrame(spec), createMuscleCommand(spec));
      if (prev) {
        this.#restarts++;
        if (prev.names === names) primeLimits(limits, prev.cycle.command.values, spec);
        const why = prev.names === names ? `parameters changed (${change.names.join(", ")})` : `the muscles changed (${names.muscles.length}: ${names.muscles.join(", ")})`;
        this.#node.log("info", `DEP restarted: ${why}`);
      } else {
        this.#node.log("info", `configured for ${names.muscles.length} muscles (${names.muscles.join(", ")}), ${names.joints.length} joints`);
      }
      const arbiter = new Arbiter({
        spec,
        sources: [
          // command_sources lists the highest priority first; DEP (this node's controller) is last.
          ...v.command_sources.map((name, k) => ({ name, priority: Math.max(1, 200 - k), timeoutSec: v.source_timeout_sec })),
          { name: controller.name, priority: 0, timeoutSec: 0, controller: true },
        ],
        safeMode: v.safe_mode as SafeMode,
        transitionSec: v.transition_sec,
        clock: this.#clock,
      });
      // A latched e-stop survives a restart of DEP; one that came before the first state applies now.
      const latched = prev?.arbiter.estopState;
      if (latched?.latched) arbiter.estop(latched.by, latched.reason);
      else if (this.#estopBeforeConfig) arbiter.estop("ros", `true on ${TOPICS.estop}`);
      this.#estopBeforeConfig = false;
      prev?.arbiter.dispose();
      config = { names, spec, controller, limits, cycle, arbiter };
    }
    this.#config = config;
    return config;
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

  /** Publishes the safe command once (so that a bridge elsewhere goes safe now, not at its timeout), then releases everything. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#diagnosticsTimer?.cancel();
    this.#subs.unsubscribe();
    this.#arbiterSub?.unsubscribe();
    try {
      this.#publishSafe?.();
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

/** Copies `src` into `dst` when the sizes match; leaves `dst` as it was otherwise (an empty effort array, say). */
function copyInto(dst: Float64Array, src: ArrayLike<number>): void {
  if (src.length === dst.length) dst.set(src);
}
