/**
 * The arbiter as a stage of the control loop (`ControlLoopOptions.stages`): between the
 * controller and the limits. Feeds the controller's command to its source when it produced one,
 * arbitrates at the tick's time, and marks the muscles whose command is the safe command so that
 * the limits write it at once. State lives in the arbiter; nothing is allocated per tick.
 */
import { map, type OperatorFunction } from "rxjs";
import type { Clock } from "../core/clock.js";
import type { CommandLimits } from "../loop/CommandLimits.js";
import type { Cycle } from "../loop/operators.js";
import type { Arbiter } from "./Arbiter.js";

/** Cycle.source when groups have different owners. */
export const MIXED_SOURCE = "arbiter";

/**
 * `clock`: the time arbitration runs at, when it is not the tick's (a node whose ticks carry the
 * sensors' stamps, simulated time, while commands arrive on the wall clock). It must be the clock
 * that stamps the sources' commands.
 */
export function arbitrate(arbiter: Arbiter, limiter: CommandLimits, options: { clock?: Clock } = {}): OperatorFunction<Cycle, Cycle> {
  const owners = arbiter.owners;
  const mask = arbiter.safeMask;
  const clock = options.clock;
  return map((c) => {
    // The controller produced nothing this tick when the loop marked it safe (stale sensors, a throw).
    if (c.source !== "safe" && !c.sensorsStale) arbiter.feedController(c.command.values);
    arbiter.update(clock ? clock.nowSec() : c.tick.startSec, c.tick.periodSec, c.command.values, limiter.lastCommand, c.sensorsStale);
    c.command.stampSec = c.tick.startSec;
    c.safeMask = mask;
    let allSafe = true;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) {
        allSafe = false;
        break;
      }
    }
    if (allSafe) c.source = "safe";
    else {
      let source = owners[0];
      for (let g = 1; g < owners.length; g++) {
        if (owners[g] !== source) {
          source = MIXED_SOURCE;
          break;
        }
      }
      c.source = source;
    }
    return c;
  });
}
