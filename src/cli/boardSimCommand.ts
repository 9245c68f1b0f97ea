/**
 * `tendon board-sim`: simulated muscle boards on pseudo-terminals, for running `tendon hw` (or
 * any host) without hardware. Prints one line per port, `port PATH boards ID,ID`, and `config FILE`,
 * a `tendon hw --config` file with the ports and the joints' ranges, then runs until Ctrl-C (or
 * `--duration`). Faults can be switched on by flags.
 */
import type { Command } from "commander";
import { BoardSimulator } from "../../hardware/boardsim/BoardSimulator.js";
import { oneOf, positiveInteger, positiveNumber } from "./parse.js";
import { UsageError } from "./errors.js";
import { InvalidArgumentError } from "commander";

interface BoardSimFlags {
  boards: number;
  ports: number;
  plant: "arm" | "motors";
  model: string;
  muscles: number;
  rate: number;
  seed: number;
  garbage: number;
  bitflip: number;
  drop: number;
  delay: number;
  delayMs: number;
  resetEvery?: number;
  disconnectEvery?: number;
  disconnectMs: number;
  duration?: number;
  dir?: string;
}

function rate(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${flag} needs a probability in [0, 1], got '${value}'.`);
    return n;
  };
}

export function registerBoardSimCommand(program: Command): void {
  program
    .command("board-sim")
    .description("simulated muscle boards on pseudo-terminals (socat), driven by the simulated arm's physics")
    .option("--boards <n>", "number of boards; the muscles are split among them", positiveInteger("--boards"), 1)
    .option("--ports <n>", "number of ports (pty pairs); board k goes on port k mod n", positiveInteger("--ports"), 1)
    .option("--plant <name>", "arm (MuJoCo model) or motors (independent motor-spring units)", oneOf("--plant", ["arm", "motors"] as const), "arm")
    .option("-m, --model <name|file>", "arm model: built-in name or MJCF file", "arm2j6m")
    .option("--muscles <n>", "muscles of the motors plant", positiveInteger("--muscles"), 8)
    .option("-r, --rate <hz>", "physics steps per second", positiveNumber("--rate"), 500)
    .option("-s, --seed <n>", "seed of the arm's start state and of the faults", positiveIntegerOrZero, 0)
    .option("--garbage <p>", "probability per frame of garbage bytes before it", rate("--garbage"), 0)
    .option("--bitflip <p>", "probability per frame of a flipped bit", rate("--bitflip"), 0)
    .option("--drop <p>", "probability per frame of losing it", rate("--drop"), 0)
    .option("--delay <p>", "probability per frame of holding it (and what follows) back", rate("--delay"), 0)
    .option("--delay-ms <ms>", "how long a delayed frame is held", positiveNumber("--delay-ms"), 20)
    .option("--reset-every <sec>", "reset a board (in turn) this often", positiveNumber("--reset-every"))
    .option("--disconnect-every <sec>", "pull the cable of every port this often", positiveNumber("--disconnect-every"))
    .option("--disconnect-ms <ms>", "how long a pulled cable stays out", positiveNumber("--disconnect-ms"), 500)
    .option("-d, --duration <sec>", "stop after this long (default: until Ctrl-C)", positiveNumber("--duration"))
    .option("--dir <folder>", "where to make the device links (default: a temporary folder)")
    .action(async (flags: BoardSimFlags) => {
      await boardSimAction(flags);
    });
}

function positiveIntegerOrZero(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed needs a whole number >= 0, got '${value}'.`);
  return n;
}

async function boardSimAction(flags: BoardSimFlags): Promise<void> {
  if (flags.ports > flags.boards) throw new UsageError(`--ports ${flags.ports} is more than --boards ${flags.boards}: every port needs a board`);
  const sim = await BoardSimulator.start({
    boards: flags.boards,
    ports: flags.ports,
    plant: flags.plant,
    model: flags.model,
    muscles: flags.muscles,
    rateHz: flags.rate,
    seed: flags.seed,
    dir: flags.dir,
    faults: { garbage: flags.garbage, bitFlip: flags.bitflip, drop: flags.drop, delay: flags.delay, delayMs: flags.delayMs },
  });
  const out = process.stdout;
  const ports = sim.portBoards;
  sim.hostPaths.forEach((p, k) => out.write(`port ${p} boards ${ports[k].join(",")}\n`));
  // The ports and the joints' names and limits, so that tendon hw measures coverage on the
  // simulation's grid (the boards cannot tell the host their joints' ranges).
  const config = sim.writeHostConfig();
  out.write(`config ${config}\n`);
  process.stderr.write(
    `board-sim: ${sim.boards.length} board(s) with ${sim.plant.muscleCount} muscles and ${sim.plant.jointCount} joint sensors of '${sim.plant.name}' at ${flags.rate} Hz; ` +
      `devices ${sim.hostDevices.join(", ")}. Try: tendon hw --config ${config} (the ports and the joints' ranges; or tendon hw ${sim.hostPaths.map((p) => `--port ${p}`).join(" ")}). Ctrl-C stops.\n`,
  );
  const timers: NodeJS.Timeout[] = [];
  let nextReset = 0;
  if (flags.resetEvery) {
    timers.push(
      setInterval(() => {
        const b = sim.boards[nextReset++ % sim.boards.length];
        process.stderr.write(`board-sim: resetting board ${b.id}\n`);
        sim.resetBoard(b.id);
      }, flags.resetEvery * 1000),
    );
  }
  let pulling = false;
  if (flags.disconnectEvery) {
    timers.push(
      setInterval(() => {
        if (pulling) return;
        pulling = true;
        process.stderr.write(`board-sim: cable pulled for ${flags.disconnectMs} ms\n`);
        void sim.disconnect(flags.disconnectMs).finally(() => (pulling = false));
      }, flags.disconnectEvery * 1000),
    );
  }
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    if (flags.duration) timers.push(setTimeout(done, flags.duration * 1000));
  });
  for (const t of timers) clearTimeout(t);
  await sim.stop();
  const c = sim.boards.map((b) => `board ${b.id}: ${b.counters.commands} commands, ${b.counters.statusOut} status, ${b.counters.watchdogTrips} watchdog trips, ${b.rxErrors} rx errors`);
  process.stderr.write(`board-sim: stopped; ${c.join("; ")}\n`);
}
