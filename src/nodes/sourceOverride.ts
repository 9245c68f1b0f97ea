/**
 * The per-source command topics of the controller node (/muscle_commands/<source>): the newest
 * command of each source, copied out of its message and stamped with its arrival time, for the
 * arbiter to read at each tick (see ControllerNode).
 */
import { scan, shareReplay, startWith, type Observable } from "rxjs";
import type { Clock } from "../core/clock.js";
import type { Float64MultiArrayMsg } from "../transport/messages.js";

/** The newest command of one source, copied out of its message. */
export interface LatestCommand {
  data: Float64Array;
  /** When it arrived, on the arbitration clock (s). */
  atSec: number;
  /** Commands received so far: a new one when it changes. */
  count: number;
}

/**
 * The newest command of a source as a replayed value (undefined before the first): the message
 * is copied into one holder object, reused for every message of that size, so a source may
 * reuse its message object.
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
