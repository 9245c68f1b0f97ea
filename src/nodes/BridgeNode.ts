/**
 * A bridge node: any core `Bridge` (the MuJoCo simulation, the muscle boards, a mock) on topics.
 *
 * Every tick, by the control loop (`ControlLoop`: absolute deadlines or lockstep, limits, stats,
 * the safe command at the end): read the bridge, publish /joint_states and /muscle_states (and
 * /clock for a simulator), then write the newest command received on /muscle_commands, limited
 * to each muscle's range. A command older than `command_timeout_sec` (in ticks of this loop), none
 * at all, or stale sensors: the safe command. In one process with the controller (in-process
 * transport) the command for a reading arrives within the same tick, so lockstep runs stay
 * deterministic; over ROS it arrives for a later tick.
 *
 * The loop's controller is a `TopicController` (named "remote"): the newest /muscle_commands, and
 * its reader stage publishes the readings, so the loop's operators run as in any other run.
 */
import { Subscription } from "rxjs";
import { isSteppable, type Bridge } from "../core/bridge.js";
import type { Controller } from "../core/controller.js";
import type { ProblemCode, ProblemEvent } from "../core/events.js";
import { createSensorFrame, fillSafeCommand, type SensorFrame } from "../core/frames.js";
import type { RobotSpec } from "../core/spec.js";
import type { CommandLimitsOptions } from "../loop/CommandLimits.js";
import { ControlLoop, type LoopMode, type LoopResult } from "../loop/ControlLoop.js";
import type { Cycle } from "../loop/operators.js";
import type { TimerPort } from "../loop/ticks.js";
import { createClock, createJointState, DIAGNOSTIC_ERROR, DIAGNOSTIC_OK, DIAGNOSTIC_WARN, setStamp, type DiagnosticStatusMsg } from "../transport/messages.js";
import { param, type SetParametersResult } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, type PeriodicTimer, type TransportNode } from "../transport/Transport.js";
import { diagnosticArray, epochSec, keyValues, loopStatus } from "../transport/diagnostics.js";
import type { TendonNode } from "./TendonNode.js";
import { TopicController } from "./TopicController.js";
import { TOPICS } from "../transport/topics.js";

/** Parameters every bridge node has. */
export function bridgeParameterSpecs(defaults: { rateHz: number }) {
  return {
    rate_hz: param.double("rate_hz", { default: defaults.rateHz, min: 0, exclusiveMin: true, max: 10000, readOnly: true, description: "control rate (Hz): ticks per second of the bridge's loop" }),
    command_timeout_sec: param.double("command_timeout_sec", {
      default: 0.1,
      min: 0,
      exclusiveMin: true,
      description: "a command older than this (s, counted in ticks of the bridge's loop) is replaced by the safe command",
    }),
    diagnostics_period_sec: param.double("diagnostics_period_sec", { default: 1, min: 0, exclusiveMin: true, readOnly: true, description: "period of /diagnostics (s)" }),
  };
}

export type BridgeParameterSpecs = ReturnType<typeof bridgeParameterSpecs>;

/** What a bridge node reads of its parameters (a node may declare more: a model, a port). */
export interface BridgeParameters {
  readonly values: { readonly command_timeout_sec: number; readonly diagnostics_period_sec: number };
  /** Applies a queued change; called between ticks. */
  applyPending(): unknown;
  set(changes: Readonly<Record<string, unknown>>): SetParametersResult;
}

export interface BridgeNodeOptions {
  readonly node: TransportNode;
  /** The node owns the bridge: it configures, activates, and shuts it down in `stop()`. */
  readonly bridge: Bridge;
  readonly params: BridgeParameters;
  readonly mode: LoopMode;
  /** Control period (s); for a simulator, its control period. */
  readonly periodSec: number;
  /** End after this many ticks (default: run until stopped). */
  readonly maxTicks?: number;
  /** Real-time mode's timer (default: the process's). */
  readonly timer?: TimerPort;
  /** Stamps of published messages (s): simulated time for a simulator (default), wall time since the epoch otherwise. */
  readonly stampSec?: () => number;
  /** Publish /clock (a simulator). */
  readonly publishClock?: boolean;
  readonly limits?: CommandLimitsOptions;
  /** Called once per problem code with its first occurrence (default: the node's log). */
  readonly onProblem?: (problem: ProblemEvent) => void;
}

/** Link counters, for diagnostics and tests. */
export interface BridgeLinkCounters {
  readonly commandsReceived: number;
  /** Commands ignored because they had the wrong number of values. */
  readonly commandsRejected: number;
  /** Ticks that wrote the newest received command. */
  readonly ticksCommanded: number;
  /** Ticks that wrote the safe command because no fresh command was there. */
  readonly ticksTimedOut: number;
  readonly statesPublished: number;
  readonly problems: Readonly<Partial<Record<ProblemCode, number>>>;
}

export class BridgeNode implements TendonNode {
  readonly name: string;
  readonly #o: BridgeNodeOptions;
  readonly #node: TransportNode;
  readonly #bridge: Bridge;
  #loop: ControlLoop | undefined;
  #run: Promise<LoopResult> | undefined;
  #result: LoopResult | undefined;
  #finished: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopRequested = false;
  #subscriptions: Subscription | undefined;
  #diagnosticsTimer: PeriodicTimer | undefined;
  #publishDiagnostics: (() => void) | undefined;
  #remote: TopicController | undefined;
  // The last command written before the loop's final safe command, for the stop report.
  #lastWritten = new Float64Array(0);
  readonly #problems: Partial<Record<ProblemCode, number>> = {};

  constructor(options: BridgeNodeOptions) {
    this.#o = options;
    this.#node = options.node;
    this.#bridge = options.bridge;
    this.name = options.node.name;
  }

  get params(): BridgeParameters {
    return this.#o.params;
  }

  get bridge(): Bridge {
    return this.#bridge;
  }

  get finished(): Promise<void> | undefined {
    return this.#finished;
  }

  /** The loop's result, once it ended. */
  get result(): LoopResult | undefined {
    return this.#result;
  }

  get loop(): ControlLoop | undefined {
    return this.#loop;
  }

  get counters(): BridgeLinkCounters {
    const c = this.#remote?.counters ?? { commandsReceived: 0, commandsRejected: 0, ticksCommanded: 0, ticksTimedOut: 0, statesPublished: 0 };
    return { ...c, problems: { ...this.#problems } };
  }

  async start(): Promise<void> {
    if (this.#loop) throw new Error(`node '${this.name}' started already`);
    const bridge = this.#bridge;
    if (bridge.state === "unconfigured") await bridge.configure();
    if (this.#stopRequested) return;
    const spec = bridge.spec;
    this.#lastWritten = new Float64Array(spec.muscles.length);
    const node = this.#node;
    const steppable = isSteppable(bridge) ? bridge : undefined;
    const params = this.#o.params;
    const periodSec = this.#o.periodSec;
    const remote = new TopicController({
      node,
      stampSec: this.#o.stampSec ?? (steppable ? () => steppable.simTimeSec : epochSec),
      publishClock: this.#o.publishClock ?? false,
      timeoutSec: () => params.values.command_timeout_sec,
      periodSec,
    });
    this.#remote = remote;
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    const subs = new Subscription(() => remote.close());
    this.#subscriptions = subs;

    const loop = new ControlLoop({
      bridge,
      controller: remote,
      mode: this.#o.mode,
      periodSec,
      maxTicks: this.#o.maxTicks,
      timer: this.#o.timer,
      limits: this.#o.limits,
      readers: [remote.publishStates()],
    });
    this.#loop = loop;
    const onProblem = this.#o.onProblem ?? ((p: ProblemEvent) => node.log("warn", p.message));
    subs.add(
      loop.events$.subscribe((e) => {
        if (e.type !== "problem") return;
        if ((this.#problems[e.code] = (this.#problems[e.code] ?? 0) + 1) === 1) onProblem(e);
        // Readings gone stale: if the body is out of reach, say so now, not at the next period.
        if (e.code === "stale_sensors" && bridge.health?.().level === "error") {
          node.log("error", `${bridge.health!().message}; its muscles get the safe command`);
          this.#publishDiagnostics?.();
        }
      }),
    );
    // Parameter changes take effect between ticks: after one cycle ended, before the next starts.
    subs.add(
      loop.cycles$.subscribe((c) => {
        this.#lastWritten.set(c.command.values);
        params.applyPending();
      }),
    );

    const diagnosticsPeriod = params.values.diagnostics_period_sec;
    this.#diagnosticsTimer = node.createTimer(diagnosticsPeriod, () => diagPub.publish(this.#diagnostics()));
    this.#publishDiagnostics = () => diagPub.publish(this.#diagnostics());

    this.#run = loop.run();
    this.#finished = this.#run.then(
      (r) => {
        this.#result = r;
      },
      (err: unknown) => {
        node.log("error", `control loop failed: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      },
    );
    // A stop requested while starting.
    if (this.#stopRequested) loop.stop();
  }

  #diagnostics() {
    const spec = this.#bridge.spec;
    const stats = this.#loop?.stats.summary();
    const status: DiagnosticStatusMsg[] = [];
    if (stats) {
      status.push(loopStatus(`${this.name}: control loop`, spec.name, stats, { mode: this.#o.mode, rate_hz: 1 / this.#o.periodSec, bridge_state: this.#bridge.state }));
    }
    // The body's link (the muscle boards): ERROR while part of it cannot be reached.
    const health = this.#bridge.health?.();
    if (health) {
      status.push({
        level: health.level === "error" ? DIAGNOSTIC_ERROR : DIAGNOSTIC_OK,
        name: `${this.name}: body link`,
        message: health.message,
        hardware_id: spec.name,
        values: keyValues({ parts_down: health.down.length }),
      });
    }
    const c = this.counters;
    const timedOut = this.#remote?.timedOut ?? false;
    const problems = Object.entries(this.#problems).map(([code, count]) => [`problem_${code}`, count] as const);
    status.push({
      level: timedOut || c.commandsReceived === 0 ? DIAGNOSTIC_WARN : DIAGNOSTIC_OK,
      name: `${this.name}: command link`,
      message: c.commandsReceived === 0 ? `no command received on ${TOPICS.muscleCommands}` : timedOut ? "commands timed out: safe command" : "commands flowing",
      hardware_id: spec.name,
      values: keyValues({
        commands_received: c.commandsReceived,
        commands_rejected: c.commandsRejected,
        ticks_commanded: c.ticksCommanded,
        ticks_timed_out: c.ticksTimedOut,
        states_published: c.statesPublished,
        command_timeout_sec: this.#o.params.values.command_timeout_sec,
        ...Object.fromEntries(problems),
      }),
    });
    return diagnosticArray(epochSec(), status);
  }

  /**
   * Stops the loop after the current tick; the loop writes the safe command and deactivates the
   * bridge; then the bridge is shut down and the node destroyed. Logs the safe command written
   * and, when the bridge can still be read, the controls it reports.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopRequested = true;
    this.#diagnosticsTimer?.cancel();
    try {
      if (this.#loop) {
        this.#loop.stop();
        await this.#finished?.catch(() => undefined);
        this.#publishDiagnostics?.();
        this.#reportSafe();
      }
    } finally {
      this.#subscriptions?.unsubscribe();
      await this.#bridge.shutdown();
      this.#node.destroy();
    }
  }

  #reportSafe(): void {
    const spec = this.#bridge.spec;
    const safe = fillSafeCommand(spec, new Float64Array(spec.muscles.length));
    const ticks = this.#loop?.stats.ticks ?? 0;
    let readBack = "";
    try {
      const frame = createSensorFrame(spec);
      if (this.#bridge.read(0, this.#o.periodSec, frame)) readBack = `; the bridge reports controls [${Array.from(frame.muscleControl).join(", ")}]`;
    } catch {
      // a bridge that cannot be read any more: the write was still attempted
    }
    const last = ticks > 0 ? ` (the last command before it: [${Array.from(this.#lastWritten).map((u) => +u.toFixed(4)).join(", ")}])` : "";
    this.#node.log("info", `stopped after ${ticks} ticks; wrote the safe command [${Array.from(safe).join(", ")}]${last}${readBack}`);
  }
}
