/**
 * The arbitration hook of the controller node, in its first form: per-source commands
 * (/muscle_commands/<source>) override the controller while they are fresh. Sources are in
 * priority order; the first whose newest command is younger than the timeout wins the tick. The
 * safe command (stale sensors, a failed controller) is never overridden. The full arbiter (locks,
 * e-stop latch, rate-limited hand-back) replaces this operator later.
 *
 * Sources are read with `withLatestFrom`, so only the controller's input sets the rate.
 */
import { identity, map, pipe, scan, shareReplay, startWith, withLatestFrom, type Observable, type OperatorFunction } from "rxjs";
import type { Clock } from "../core/clock.js";
import type { Cycle } from "../loop/operators.js";
import type { Float64MultiArrayMsg } from "../transport/messages.js";

/** The newest command of one source, copied out of its message. */
export interface LatestCommand {
  data: Float64Array;
  /** When it arrived, on the arbitration clock (s). */
  atSec: number;
  count: number;
}

/**
 * The newest command of a source as a replayed value (undefined before the first): the message
 * is copied into one holder object, reused for every message of that size.
 */
export function latestCommand(messages$: Observable<Float64MultiArrayMsg>, clock: Clock): Observable<LatestCommand | undefined> {
  return messages$.pipe(
    scan<Float64MultiArrayMsg, LatestCommand>(
      (held, msg) => {
        if (held.data.length !== msg.data.length) held.data = new Float64Array(msg.data.length);
        held.data.set(msg.data);
        held.atSec = clock.nowSec();
        held.count++;
        return held;
      },
      { data: new Float64Array(0), atSec: -Infinity, count: 0 },
    ),
    startWith(undefined),
    // Kept connected: a late subscriber (a new configuration) still sees the newest command.
    shareReplay({ bufferSize: 1, refCount: false }),
  );
}

export interface CommandSource {
  readonly name: string;
  readonly latest$: Observable<LatestCommand | undefined>;
}

export function sourceOverride(sources: readonly CommandSource[], clock: Clock, timeoutSec: () => number): OperatorFunction<Cycle, Cycle> {
  if (sources.length === 0) return identity;
  return pipe(
    withLatestFrom(...sources.map((s) => s.latest$)),
    map((values) => {
      // values = [cycle, latest of source 0, latest of source 1, ...]
      const c = values[0];
      if (c.source === "safe") return c;
      const now = clock.nowSec();
      const timeout = timeoutSec();
      const n = c.command.values.length;
      for (let i = 1; i < values.length; i++) {
        const l = values[i] as LatestCommand | undefined;
        if (l && l.data.length === n && now - l.atSec <= timeout) {
          c.command.values.set(l.data);
          c.source = sources[i - 1].name;
          break;
        }
      }
      return c;
    }),
  );
}
