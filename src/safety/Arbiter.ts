/**
 * The command arbiter: which source drives each muscle group at every control tick.
 *
 * twist_mux's semantics, per muscle group:
 * - each source has a priority (0-255) and a timeout (s). A source is expired for a group when its
 *   timeout is > 0 and its last command for that group is older than the timeout; a source with a
 *   timeout starts expired (it has sent nothing). A timeout of 0 never expires, even before the
 *   first command (the source then wins with the safe command until it sends one);
 * - locks have a priority and a timeout; a lock is locked when its last value was true or it is
 *   expired (a lock with a timeout starts locked). The lock priority is the highest priority of
 *   the locked locks (0 if none);
 * - a source is masked when it is expired or its priority is strictly below the lock priority;
 * - the winner is the unmasked source with the highest priority; ties go to the first configured.
 *
 * What twist_mux lacks, done here:
 * - a command every tick (`update`, called by the loop), never silence;
 * - no winner: the safe command, either each muscle's safe command ("zero") or the last written
 *   command held ("hold");
 * - a latched e-stop above every priority: from the next tick every muscle gets its safe command
 *   until `reset()`; a reset that comes before the e-stop reached a tick takes effect after one
 *   safe tick, so every e-stop reaches the muscles;
 * - the owner of every group (`owners`), and every switch as an event (`events$`);
 * - a switch to a source ramps each muscle from the last written command to the new owner's
 *   command at a limited rate (`transitionSec` for the whole command range), so handing back from
 *   teleop to DEP or a policy causes no jump; switches to the safe command are immediate;
 * - the sensor watchdog (stale sensors) overrides every source, as the e-stop does, but clears
 *   on its own when readings return.
 *
 * The loop's controller (DEP) is a source like the others, marked `controller: true`: it is fresh
 * on the ticks it produced a command and expired on the others (stale sensors, a throwing
 * controller). Other sources push commands asynchronously (`submitGroup`, `submitMuscles`,
 * `heartbeat`, `release`); the arbiter keeps the newest per source and reads it at the tick, so
 * only the clock sets the rate. Submissions are stamped by the injected clock, which must be the
 * loop's tick clock (default: the time of the latest tick).
 *
 * `update` is synchronous and allocates nothing except on a switch (its event).
 */
import { UserError } from "../core/errors.js";
import { Subject, type Observable } from "rxjs";
import type { Clock } from "../core/clock.js";
import type { RobotSpec } from "../core/spec.js";
import { OWNER_ESTOP, OWNER_SAFE, OWNER_WATCHDOG, type ArbiterEvent, type OwnerChangeReason } from "./events.js";
import { MuscleGroups, type MuscleGroupsConfig } from "./MuscleGroups.js";

export interface SourceConfig {
  readonly name: string;
  /** 0-255; the highest unmasked priority wins. */
  readonly priority: number;
  /** Seconds after its last command that the source expires; 0: never. Ignored for the controller. */
  readonly timeoutSec: number;
  /** The loop's own controller, fresh on the ticks it produced a command. At most one source. */
  readonly controller?: boolean;
}

export interface LockConfig {
  readonly name: string;
  /** 0-255; masks sources of strictly lower priority while locked. */
  readonly priority: number;
  /** Seconds after its last value that the lock counts as locked; 0: never. */
  readonly timeoutSec: number;
}

export type SafeMode = "zero" | "hold";

export interface ArbiterOptions {
  readonly spec: RobotSpec;
  readonly groups?: MuscleGroups | MuscleGroupsConfig;
  /** In configuration order (which breaks ties). */
  readonly sources: readonly SourceConfig[];
  readonly locks?: readonly LockConfig[];
  /** The command of a group no source wins: "zero" (each muscle's safe command, default) or "hold". */
  readonly safeMode?: SafeMode;
  /** Seconds a switch to a source takes at most to cross a muscle's whole command range; 0: no ramp. Default 0.5. */
  readonly transitionSec?: number;
  /** Stamps submissions; must be the loop's tick clock. Default: the time of the latest tick. */
  readonly clock?: Clock;
}

export class ArbiterConfigError extends UserError {
  override name = "ArbiterConfigError";
}

/** Owner codes below 0 in `#owner`. */
const SAFE = -1;
const ESTOP = -2;
const WATCHDOG = -3;

export interface EstopState {
  readonly latched: boolean;
  readonly by: string;
  readonly reason: string;
  /** When requested (s, the arbiter's clock); NaN when never latched. */
  readonly requestedSec: number;
  /** The first tick that wrote the safe command for it (s); NaN until then. */
  readonly appliedSec: number;
}

export interface ArbiterStatus {
  readonly estop: EstopState;
  readonly owners: Record<string, string>;
  readonly groups: Record<string, string[]>;
  readonly sources: { name: string; priority: number; timeoutSec: number; controller: boolean; groups: string[] }[];
  readonly locks: { name: string; priority: number; timeoutSec: number; locked: boolean }[];
  readonly safeMode: SafeMode;
  readonly transitionSec: number;
  readonly lastTickSec: number;
}

export class Arbiter {
  readonly spec: RobotSpec;
  readonly groups: MuscleGroups;
  readonly sources: readonly SourceConfig[];
  readonly locks: readonly LockConfig[];
  readonly safeMode: SafeMode;
  readonly transitionSec: number;
  /** 1 for each muscle whose command this tick is its safe command (read by the limits). */
  readonly safeMask: Uint8Array;
  /** The owner of each group, by group index: a source's name, "safe", "estop" or "watchdog". */
  readonly owners: string[];

  readonly #clock: Clock | undefined;
  readonly #events = new Subject<ArbiterEvent>();
  readonly #n: number;
  readonly #g: number;
  readonly #controller: number;
  readonly #values: Float64Array[];
  /** Per source x group: last command time, whether one arrived, whether the source let go. */
  readonly #lastSec: Float64Array;
  readonly #received: Uint8Array;
  readonly #released: Uint8Array;
  readonly #nonFinite: Uint8Array;
  readonly #lockLastSec: Float64Array;
  readonly #lockReceived: Uint8Array;
  readonly #lockData: Uint8Array;
  readonly #owner: Int32Array;
  readonly #ramping: Uint8Array;
  readonly #rampingInGroup: Int32Array;
  readonly #ratePerSec: Float64Array;
  readonly #safe: Float64Array;
  readonly #output: Float64Array;
  #controllerFed = false;
  #lastTickSec = 0;
  #estop = false;
  #estopBy = "";
  #estopReason = "";
  #estopRequestedSec = Number.NaN;
  #estopAppliedSec = Number.NaN;
  #resetPendingBy: string | undefined;

  constructor(options: ArbiterOptions) {
    const { spec } = options;
    this.spec = spec;
    this.groups = options.groups instanceof MuscleGroups ? options.groups : MuscleGroups.resolve(spec, options.groups);
    this.sources = options.sources.map((s) => ({ ...s }));
    this.locks = (options.locks ?? []).map((l) => ({ ...l }));
    validate(this.sources, this.locks);
    this.safeMode = options.safeMode ?? "zero";
    this.transitionSec = options.transitionSec ?? 0.5;
    if (!(this.transitionSec >= 0)) throw new ArbiterConfigError(`transition time must be >= 0 s, got ${this.transitionSec}`);
    this.#clock = options.clock;
    const n = spec.muscles.length;
    const g = this.groups.count;
    const s = this.sources.length;
    this.#n = n;
    this.#g = g;
    this.#controller = this.sources.findIndex((x) => x.controller === true);
    this.#safe = Float64Array.from(spec.muscles.map((m) => m.safeCommand));
    this.#values = this.sources.map(() => Float64Array.from(this.#safe));
    this.#lastSec = new Float64Array(s * g).fill(-Infinity);
    this.#received = new Uint8Array(s * g);
    this.#released = new Uint8Array(s * g);
    this.#nonFinite = new Uint8Array(s);
    this.#lockLastSec = new Float64Array(this.locks.length).fill(-Infinity);
    this.#lockReceived = new Uint8Array(this.locks.length);
    this.#lockData = new Uint8Array(this.locks.length);
    this.#owner = new Int32Array(g).fill(SAFE);
    this.owners = Array.from({ length: g }, () => OWNER_SAFE);
    this.#ramping = new Uint8Array(n);
    this.#rampingInGroup = new Int32Array(g);
    this.#ratePerSec = Float64Array.from(spec.muscles.map((m) => (this.transitionSec > 0 ? (m.commandMax - m.commandMin) / this.transitionSec : Infinity)));
    this.safeMask = new Uint8Array(n).fill(1);
    this.#output = Float64Array.from(this.#safe);
  }

  /** Every switch, e-stop, reset, finished hand-over and bad command, as it happens. */
  get events$(): Observable<ArbiterEvent> {
    return this.#events.asObservable();
  }

  /** The time submissions are stamped with (s). */
  nowSec(): number {
    return this.#clock ? this.#clock.nowSec() : this.#lastTickSec;
  }

  sourceIndex(name: string): number {
    return this.sources.findIndex((s) => s.name === name);
  }

  groupIndex(name: string): number {
    return this.groups.indexOf(name);
  }

  lockIndex(name: string): number {
    return this.locks.findIndex((l) => l.name === name);
  }

  // --- inputs (asynchronous: any time between ticks) ---

  /** A command from `source` for one group, one value per muscle of the group (in spec order). */
  submitGroup(source: number | string, group: number | string, values: ArrayLike<number>): void {
    const s = this.#source(source);
    const g = this.#group(group);
    const muscles = this.groups.muscles[g];
    if (values.length !== muscles.length) {
      throw new RangeError(`group '${this.groups.names[g]}' has ${muscles.length} muscles; got ${values.length} values`);
    }
    const target = this.#values[s];
    let finite = true;
    for (let k = 0; k < muscles.length; k++) {
      target[muscles[k]] = values[k];
      if (!Number.isFinite(values[k])) finite = false;
    }
    this.#checkFinite(s, finite);
    this.#stamp(s, g, this.nowSec());
  }

  /**
   * A command from `source` for every muscle (`values` indexed like the spec), taking the groups
   * listed (default: all). Values of muscles outside those groups are ignored. `atSec`: when it
   * arrived, if not now (a command kept by the caller until the tick).
   */
  submitMuscles(source: number | string, values: ArrayLike<number>, groups?: readonly number[], atSec?: number): void {
    const s = this.#source(source);
    if (values.length !== this.#n) throw new RangeError(`a command needs ${this.#n} values (one per muscle); got ${values.length}`);
    const target = this.#values[s];
    const now = atSec ?? this.nowSec();
    let finite = true;
    const take = (g: number): void => {
      for (const i of this.groups.muscles[g]) {
        target[i] = values[i];
        if (!Number.isFinite(values[i])) finite = false;
      }
    };
    if (groups) for (const g of groups) take(this.#group(g));
    else for (let g = 0; g < this.#g; g++) take(g);
    this.#checkFinite(s, finite);
    if (groups) for (const g of groups) this.#stamp(s, g, now);
    else for (let g = 0; g < this.#g; g++) this.#stamp(s, g, now);
  }

  /**
   * Keeps `source` alive on the groups it commands and has not let expire (a deadman heartbeat):
   * its last command stays in force. An expired group needs a new command.
   */
  heartbeat(source: number | string): void {
    const s = this.#source(source);
    const now = this.nowSec();
    const timeout = this.sources[s].timeoutSec;
    for (let g = 0; g < this.#g; g++) {
      const k = s * this.#g + g;
      if (this.#received[k] === 0 || this.#released[k] !== 0) continue;
      if (timeout > 0 && now - this.#lastSec[k] > timeout) continue;
      this.#lastSec[k] = now;
    }
  }

  /** `source` lets go of `group` (default: every group): it is masked there until its next command. */
  release(source: number | string, group?: number | string): void {
    const s = this.#source(source);
    const one = (g: number): void => {
      this.#released[s * this.#g + g] = 1;
      this.#received[s * this.#g + g] = 0;
    };
    if (group === undefined) for (let g = 0; g < this.#g; g++) one(g);
    else one(this.#group(group));
  }

  /** A lock's value (std_msgs/Bool in twist_mux): true locks; every value refreshes its timeout. */
  setLock(lock: number | string, locked: boolean): void {
    const l = typeof lock === "number" ? lock : this.lockIndex(lock);
    if (l < 0 || l >= this.locks.length) throw new RangeError(`no lock '${String(lock)}' (locks: ${this.locks.map((x) => x.name).join(", ") || "none"})`);
    this.#lockData[l] = locked ? 1 : 0;
    this.#lockReceived[l] = 1;
    this.#lockLastSec[l] = this.nowSec();
  }

  /**
   * Latches the e-stop: from the next tick every muscle gets its safe command, whatever the
   * sources say, until `reset()`. Returns false (and changes nothing) when already latched.
   */
  estop(by: string, reason = "e-stop requested"): boolean {
    if (this.#estop) return false;
    this.#estop = true;
    this.#estopBy = by;
    this.#estopReason = reason;
    this.#estopRequestedSec = this.nowSec();
    this.#estopAppliedSec = Number.NaN;
    this.#resetPendingBy = undefined;
    this.#events.next({ type: "estop", by, reason, stampSec: this.#estopRequestedSec });
    return true;
  }

  /**
   * Releases a latched e-stop; sources win again from the next tick, ramping from the safe
   * command. Returns false when no e-stop was latched. A reset before the e-stop reached a tick
   * takes effect after that tick.
   */
  reset(by: string): boolean {
    if (!this.#estop) return false;
    if (Number.isNaN(this.#estopAppliedSec)) {
      this.#resetPendingBy = by;
      return true;
    }
    this.#estop = false;
    this.#events.next({ type: "estop_reset", by, stampSec: this.nowSec() });
    return true;
  }

  get estopLatched(): boolean {
    return this.#estop;
  }

  get estopState(): EstopState {
    return {
      latched: this.#estop,
      by: this.#estopBy,
      reason: this.#estopReason,
      requestedSec: this.#estopRequestedSec,
      appliedSec: this.#estopAppliedSec,
    };
  }

  /** Changes a source's timeout (s; 0: never expires), from the next tick. */
  setSourceTimeout(source: number | string, timeoutSec: number): void {
    const s = this.#source(source);
    if (!(timeoutSec >= 0) || !Number.isFinite(timeoutSec)) throw new RangeError(`timeout must be a number of seconds >= 0, got ${timeoutSec}`);
    (this.sources as SourceConfig[])[s] = { ...this.sources[s], timeoutSec };
  }

  // --- the tick ---

  /** The loop's controller produced `values` this tick (indexed like the spec); copied. */
  feedController(values: ArrayLike<number>): void {
    if (this.#controller < 0) return;
    this.#values[this.#controller].set(values as ArrayLike<number>);
    this.#controllerFed = true;
  }

  /**
   * Arbitrates one tick at `tickSec`: writes each muscle's command into `out` and sets
   * `safeMask` (1 where the limits must write the safe command at once). `lastCommand` is the
   * command written at the previous tick (the ramps start from it; "hold" holds it).
   * `sensorsStale`: the sensor watchdog fired; every group gets the safe command.
   */
  update(tickSec: number, dtSec: number, out: Float64Array, lastCommand: ArrayLike<number>, sensorsStale = false): void {
    this.#lastTickSec = tickSec;
    const G = this.#g;
    const lockPriority = this.#lockPriority(tickSec);
    const estop = this.#estop;
    if (estop && Number.isNaN(this.#estopAppliedSec)) this.#estopAppliedSec = tickSec;

    for (let g = 0; g < G; g++) {
      let owner: number;
      if (estop) owner = ESTOP;
      else if (sensorsStale) owner = WATCHDOG;
      else {
        owner = SAFE;
        let best = -1;
        for (let s = 0; s < this.sources.length; s++) {
          if (this.#masked(s, g, tickSec, lockPriority)) continue;
          const p = this.sources[s].priority;
          if (p > best) {
            best = p;
            owner = s;
          }
        }
      }
      const previous = this.#owner[g];
      if (owner !== previous) this.#switch(g, previous, owner, tickSec, lockPriority);

      const muscles = this.groups.muscles[g];
      for (let k = 0; k < muscles.length; k++) {
        const i = muscles[k];
        if (owner === ESTOP || owner === WATCHDOG || (owner === SAFE && this.safeMode === "zero")) {
          this.safeMask[i] = 1;
          out[i] = this.#safe[i];
        } else if (owner === SAFE) {
          this.safeMask[i] = 0;
          out[i] = lastCommand[i];
        } else {
          this.safeMask[i] = 0;
          const target = this.#values[owner][i];
          if (this.#ramping[i] !== 0 && Number.isFinite(target)) {
            const ref = lastCommand[i];
            const step = this.#ratePerSec[i] * dtSec;
            const d = target - ref;
            if (d > step) out[i] = ref + step;
            else if (d < -step) out[i] = ref - step;
            else {
              out[i] = target;
              this.#ramping[i] = 0;
              if (--this.#rampingInGroup[g] === 0) {
                this.#events.next({ type: "handover_complete", group: this.groups.names[g], owner: this.sources[owner].name, stampSec: tickSec });
              }
            }
          } else out[i] = target;
        }
      }
    }
    this.#output.set(out);
    this.#controllerFed = false;
    if (estop && this.#resetPendingBy !== undefined) {
      const by = this.#resetPendingBy;
      this.#resetPendingBy = undefined;
      this.#estop = false;
      this.#events.next({ type: "estop_reset", by, stampSec: tickSec });
    }
  }

  /** The command of the latest `update` (before the limits): a live view. */
  get output(): Float64Array {
    return this.#output;
  }

  /** Whether `source` is expired for `group` at `nowSec` (twist_mux's rule; the controller: not fed this tick). */
  isExpired(source: number, group: number, nowSec: number): boolean {
    if (source === this.#controller) return !this.#controllerFed;
    const k = source * this.#g + group;
    if (this.#released[k] !== 0) return true;
    const timeout = this.sources[source].timeoutSec;
    if (timeout === 0) return false;
    return this.#received[k] === 0 || nowSec - this.#lastSec[k] > timeout;
  }

  /** A snapshot for status output (allocates). */
  status(): ArbiterStatus {
    const now = this.nowSec();
    return {
      estop: this.estopState,
      owners: Object.fromEntries(this.groups.names.map((n, g) => [n, this.owners[g]])),
      groups: this.groups.toJSON(),
      sources: this.sources.map((s, i) => ({
        name: s.name,
        priority: s.priority,
        timeoutSec: s.timeoutSec,
        controller: s.controller === true,
        groups: this.groups.names.filter((_, g) => (i === this.#controller ? this.owners[g] === s.name : !this.isExpired(i, g, now))),
      })),
      locks: this.locks.map((l, i) => ({ name: l.name, priority: l.priority, timeoutSec: l.timeoutSec, locked: this.#isLocked(i, now) })),
      safeMode: this.safeMode,
      transitionSec: this.transitionSec,
      lastTickSec: this.#lastTickSec,
    };
  }

  /** Completes `events$`. */
  dispose(): void {
    this.#events.complete();
  }

  #masked(s: number, g: number, nowSec: number, lockPriority: number): boolean {
    return this.isExpired(s, g, nowSec) || this.sources[s].priority < lockPriority;
  }

  #isLocked(l: number, nowSec: number): boolean {
    if (this.#lockData[l] !== 0) return true;
    const timeout = this.locks[l].timeoutSec;
    return timeout > 0 && (this.#lockReceived[l] === 0 || nowSec - this.#lockLastSec[l] > timeout);
  }

  #lockPriority(nowSec: number): number {
    let p = 0;
    for (let l = 0; l < this.locks.length; l++) {
      if (this.locks[l].priority > p && this.#isLocked(l, nowSec)) p = this.locks[l].priority;
    }
    return p;
  }

  #switch(g: number, from: number, to: number, tickSec: number, lockPriority: number): void {
    let reason: OwnerChangeReason;
    if (to === ESTOP) reason = "estop";
    else if (to === WATCHDOG) reason = "stale_sensors";
    else if (from === ESTOP) reason = "reset";
    else if (from === WATCHDOG) reason = "sensors_back";
    else if (from === SAFE) reason = "available";
    else if (this.#released[from * this.#g + g] !== 0) reason = "released";
    else if (this.isExpired(from, g, tickSec)) reason = "expired";
    else if (this.sources[from].priority < lockPriority) reason = "locked";
    else reason = "preempted";

    this.#owner[g] = to;
    const name = this.#ownerName(to);
    const fromName = this.owners[g];
    this.owners[g] = name;
    const muscles = this.groups.muscles[g];
    const ramp = to >= 0 && this.transitionSec > 0 ? 1 : 0;
    for (let k = 0; k < muscles.length; k++) this.#ramping[muscles[k]] = ramp;
    this.#rampingInGroup[g] = ramp ? muscles.length : 0;
    this.#events.next({ type: "owner", group: this.groups.names[g], from: fromName, to: name, reason, stampSec: tickSec });
  }

  #ownerName(o: number): string {
    if (o === ESTOP) return OWNER_ESTOP;
    if (o === WATCHDOG) return OWNER_WATCHDOG;
    if (o === SAFE) return OWNER_SAFE;
    return this.sources[o].name;
  }

  #stamp(s: number, g: number, now: number): void {
    const k = s * this.#g + g;
    this.#lastSec[k] = now;
    this.#received[k] = 1;
    this.#released[k] = 0;
  }

  #checkFinite(s: number, finite: boolean): void {
    if (finite) {
      this.#nonFinite[s] = 0;
      return;
    }
    if (this.#nonFinite[s] !== 0) return;
    this.#nonFinite[s] = 1;
    this.#events.next({
      type: "problem",
      code: "non_finite_command",
      message: `source '${this.sources[s].name}' sent a NaN or infinite command; those muscles get their safe command while it does`,
      stampSec: this.nowSec(),
    });
  }

  #source(source: number | string): number {
    const s = typeof source === "number" ? source : this.sourceIndex(source);
    if (s < 0 || s >= this.sources.length) throw new RangeError(`no command source '${String(source)}' (sources: ${this.sources.map((x) => x.name).join(", ")})`);
    return s;
  }

  #group(group: number | string): number {
    const g = typeof group === "number" ? group : this.groups.indexOf(group);
    if (g < 0 || g >= this.#g) throw new RangeError(`no muscle group '${String(group)}' (groups: ${this.groups.names.join(", ")})`);
    return g;
  }
}

function validate(sources: readonly SourceConfig[], locks: readonly LockConfig[]): void {
  const names = new Set<string>();
  for (const s of [...sources, ...locks]) {
    if (names.has(s.name)) throw new ArbiterConfigError(`two sources or locks are named '${s.name}'`);
    if ([OWNER_SAFE, OWNER_ESTOP, OWNER_WATCHDOG].includes(s.name)) throw new ArbiterConfigError(`'${s.name}' is reserved; name the source otherwise`);
    names.add(s.name);
    if (!Number.isInteger(s.priority) || s.priority < 0 || s.priority > 255) throw new ArbiterConfigError(`'${s.name}': priority must be an integer 0-255, got ${s.priority}`);
    if (!(s.timeoutSec >= 0) || !Number.isFinite(s.timeoutSec)) throw new ArbiterConfigError(`'${s.name}': timeout must be a number of seconds >= 0, got ${s.timeoutSec}`);
  }
  if (sources.filter((s) => s.controller).length > 1) throw new ArbiterConfigError("at most one source can be the loop's controller");
}
