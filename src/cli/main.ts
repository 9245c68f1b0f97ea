/**
 * The `tendon` command line. Each subcommand lives in its own module, loaded only when that
 * subcommand runs (or its help is asked for): `tendon --help` and light commands such as
 * `tendon dep replay` load none of MuJoCo, TensorFlow.js, MCAP, ws, serialport or rclnodejs.
 *
 * Every error becomes one readable line and an exit code: 0 success, 1 a run that failed,
 * 2 bad usage (flags, files: any `UserError`), 130 interrupted.
 *
 * To add a subcommand: a module `xCommand.ts` exporting `registerXCommand(program)` (it adds the
 * command, its flags and its action), and one line in SUBCOMMANDS below.
 */
import { Command, CommanderError } from "commander";
import { UserError } from "../core/errors.js";

/** What a subcommand module exports: adds its command (flags, action) to the program. */
export type RegisterCommand = (program: Command, context: { readonly rosArgs: readonly string[] }) => void;

interface Subcommand {
  readonly name: string;
  /** One line for `tendon --help`. */
  readonly summary: string;
  readonly load: () => Promise<RegisterCommand>;
}

const SUBCOMMANDS: readonly Subcommand[] = [
  { name: "sim", summary: "explore a simulated muscle arm with DEP (the main job)", load: async () => (await import("./simCommand.js")).registerSimCommand },
  { name: "teleop", summary: "take over muscle groups of a running pipeline (tendon sim --serve) from the keyboard", load: async () => (await import("./teleopCommand.js")).registerTeleopCommand },
  { name: "dep", summary: "DEP tools (replay recorded inputs)", load: async () => (await import("./depCommand.js")).registerDepCommand },
  { name: "hw", summary: "explore muscle boards with DEP over serial ports (try it with `tendon board-sim`)", load: async () => (await import("./hwCommand.js")).registerHwCommand },
  { name: "board-sim", summary: "simulated muscle boards on pseudo-terminals, driven by the simulated arm's physics", load: async () => (await import("./boardSimCommand.js")).registerBoardSimCommand },
  { name: "node", summary: "run tendon nodes (sim, hardware, controller, teleop, learner, planner), alone or several in one process", load: async () => (await import("./nodeCommand.js")).registerNodeCommand },
  { name: "learn", summary: "learn the reach task on the simulated arm with MPO and DEP-RL exploration", load: async () => (await import("./learnCommand.js")).registerLearnCommand },
  { name: "info", summary: "show what an MCAP recording holds: topics, types, counts, duration", load: async () => (await import("./infoCommand.js")).registerInfoCommand },
  { name: "report", summary: "write a self-contained HTML report of an MCAP recording", load: async () => (await import("./reportCommand.js")).registerReportCommand },
  { name: "model", summary: "learn a world model of the body from a recording (tendon model fit) and evaluate it (tendon model eval)", load: async () => (await import("./modelCommand.js")).registerModelCommand },
  { name: "play", summary: "curious free play (iCEM on a learning ensemble's disagreement); saves the world model and the data for zero-shot tendon plan", load: async () => (await import("./playCommand.js")).registerPlayCommand },
  { name: "plan", summary: "solve a task (reach, pose, path, velocity) by iCEM model-predictive control, on MuJoCo or zero-shot on a learned world model", load: async () => (await import("./planCommand.js")).registerPlanCommand },
];

const VERSION = "0.1.0";

/**
 * The program for one command line: the subcommand it names is loaded and registered in full,
 * every other one only by name and summary (enough for `tendon --help` and for commander's
 * "unknown command" suggestions). `args` as process.argv (node, script, ...).
 */
export async function buildProgram(args: readonly string[], rosArgs: readonly string[] = []): Promise<Command> {
  const program = new Command("tendon")
    .description("Robot-control middleware for muscle-driven arms: DEP exploration in MuJoCo or on muscle boards.")
    .version(VERSION)
    .showHelpAfterError("(run with --help for the flags)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.startsWith("error:") ? `tendon: ${text}` : text) });
  const named = subcommandNamed(args.slice(2));
  for (const sub of SUBCOMMANDS) {
    if (sub === named) {
      (await sub.load())(program, { rosArgs });
      program.commands[program.commands.length - 1]?.summary(sub.summary);
    } else {
      program.command(sub.name).summary(sub.summary);
    }
  }
  return program;
}

/** The subcommand a command line runs (`tendon NAME ...` or `tendon help NAME`), if any. */
function subcommandNamed(args: readonly string[]): Subcommand | undefined {
  const first = args.findIndex((a) => !a.startsWith("-"));
  if (first < 0) return undefined;
  const name = args[first] === "help" ? args[first + 1] : args[first];
  return SUBCOMMANDS.find((s) => s.name === name);
}

/** Splits `--ros-args ...` (up to a lone `--`, as rcl reads it) off a command line. */
export function splitRosArgs(argv: readonly string[]): { args: string[]; rosArgs: string[] } {
  const args: string[] = [];
  const rosArgs: string[] = [];
  let inRos = false;
  for (const a of argv) {
    if (a === "--ros-args") {
      inRos = true;
      continue;
    }
    if (inRos && a === "--") {
      inRos = false;
      continue;
    }
    (inRos ? rosArgs : args).push(a);
  }
  return { args, rosArgs };
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // `--ros-args ...` (added by ros2 launch's <node>, or by hand) is rcl's, not commander's.
  const { args, rosArgs } = splitRosArgs(argv);
  try {
    const program = await buildProgram(args, rosArgs);
    await program.parseAsync(args);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its message.
      return err.exitCode === 0 ? 0 : 2;
    }
    // Bad input from the user: a flag, a model, a parameter set, a configuration file.
    if (err instanceof UserError) {
      process.stderr.write(`tendon: ${err.message}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tendon: ${message}\n`);
    if (process.env.TENDON_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
