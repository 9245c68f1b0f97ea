/**
 * Model-predictive control as a `Controller` for the control loop. The loop never waits for a
 * plan: each tick the controller answers from the newest finished plan (the action for the time
 * elapsed since the state that plan started from, so a late plan is not executed out of step)
 * and, once per model step, hands the current state to its `PlanBackend` if that is idle.
 *
 * Backends (PlanBackends.ts): "inline" plans inside the tick (lockstep runs only: deterministic,
 * the tick takes as long as the plan), "between-ticks" plans on the loop's thread right after the
 * tick (setImmediate), "worker" plans in a worker thread with its own copy of the model.
 *
 * When there is no plan yet, the plan has run out (it is older than its horizon) or planning
 * failed, the tick gets the safe command. Counted in `stats`: plans, plans that were due while
 * the backend was still busy (late), ticks answered with the safe command, planning errors, and
 * the planning time (ms) as a histogram.
 *
 * Allocation: `update` copies into buffers sized in `configure`; nothing per tick.
 */
import type { Controller } from "../core/controller.js";
import type { SensorFrame } from "../core/frames.js";
import { Histogram } from "../core/Histogram.js";
import type { RobotSpec } from "../core/spec.js";
import type { FinishedPlan, PlanBackend } from "./PlanBackends.js";

export interface PlannerControllerOptions {
  readonly backend: PlanBackend;
  /** Writes the backend's start state for this tick into `out` (a physics state for MuJoCo, a layout state for a learned model). */
  readonly readState: (frame: SensorFrame, out: Float64Array) => void;
  readonly stateSize: number;
  readonly horizon: number;
  /** Model time per planned action (s); a new plan is requested once per step. */
  readonly stepSec: number;
  /** Called on the loop's thread when a plan is adopted (topics, dashboards); must not keep the arrays. */
  readonly onPlan?: (plan: FinishedPlan) => void;
}

export interface PlannerStatsSummary {
  readonly plans: number;
  /** Replans that were due while the previous plan was still running. */
  readonly late: number;
  /** Ticks answered with the safe command (no plan yet, plan expired, planning failed). */
  readonly safeTicks: number;
  readonly errors: number;
  readonly lastError: string | undefined;
  readonly meanPlanMs: number;
  readonly p50PlanMs: number;
  readonly p99PlanMs: number;
  readonly maxPlanMs: number;
  readonly lastCost: number;
  readonly lastDisagreement: number;
}

export class PlannerController implements Controller {
  readonly name = "planner";
  readonly #o: PlannerControllerOptions;
  #safe = new Float64Array(0);
  #out = new Float64Array(0);
  #state: Float64Array;
  #sequence = new Float32Array(0);
  #hasPlan = false;
  #planStartSec = 0;
  #nextRequestSec = -Infinity;
  readonly #planMs = new Histogram(0.1, 10_000);
  #plans = 0;
  #late = 0;
  #safeTicks = 0;
  #errors = 0;
  #lastError: string | undefined;
  #lastCost = Number.NaN;
  #lastDisagreement = Number.NaN;

  constructor(options: PlannerControllerOptions) {
    this.#o = options;
    this.#state = new Float64Array(options.stateSize);
  }

  configure(spec: RobotSpec): void {
    this.#safe = Float64Array.from(spec.muscles.map((m) => m.safeCommand));
    this.#out = new Float64Array(spec.muscles.length);
    this.#sequence = new Float32Array(this.#o.horizon * spec.muscles.length);
    this.reset();
  }

  update(frame: SensorFrame, _dtSec: number): Float64Array {
    const o = this.#o;
    const d = this.#out.length;
    const tSec = frame.stampSec;
    const plan = o.backend.take();
    if (plan) this.#adopt(plan);
    if (tSec >= this.#nextRequestSec - 1e-9) {
      if (o.backend.busy) {
        this.#late++;
      } else {
        o.readState(frame, this.#state);
        this.#nextRequestSec = tSec + o.stepSec;
        o.backend.request(this.#state, tSec);
        // An inline backend has finished already: use it this tick.
        const now = o.backend.take();
        if (now) this.#adopt(now);
      }
    }
    const k = this.#hasPlan ? Math.floor((tSec - this.#planStartSec) / o.stepSec + 1e-6) : -1;
    if (k >= 0 && k < o.horizon) {
      for (let j = 0; j < d; j++) this.#out[j] = this.#sequence[k * d + j];
    } else {
      this.#out.set(this.#safe);
      this.#safeTicks++;
    }
    return this.#out;
  }

  reset(): void {
    this.#hasPlan = false;
    this.#nextRequestSec = -Infinity;
  }

  get stats(): PlannerStatsSummary {
    const h = this.#planMs;
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      plans: this.#plans,
      late: this.#late,
      safeTicks: this.#safeTicks,
      errors: this.#errors,
      lastError: this.#lastError,
      meanPlanMs: r(h.mean),
      p50PlanMs: r(h.quantile(0.5)),
      p99PlanMs: r(h.quantile(0.99)),
      maxPlanMs: r(h.max),
      lastCost: this.#lastCost,
      lastDisagreement: this.#lastDisagreement,
    };
  }

  #adopt(plan: FinishedPlan): void {
    if (plan.error !== undefined) {
      this.#errors++;
      this.#lastError = plan.error;
      this.#hasPlan = false;
      return;
    }
    this.#plans++;
    this.#planMs.record(plan.planMs);
    this.#sequence.set(plan.sequence.subarray(0, this.#sequence.length));
    this.#planStartSec = plan.startSec;
    this.#hasPlan = true;
    this.#lastCost = plan.cost;
    this.#lastDisagreement = plan.disagreement;
    this.#o.onPlan?.(plan);
  }
}
