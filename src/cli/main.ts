/**
 * The `tendon` command line. Each subcommand lives in its own module; this file wires them into
 * commander and turns every error into one readable line and an exit code:
 * 0 success, 1 a run that failed, 2 bad usage (flags, files), 130 interrupted.
 */
import { Command, CommanderError } from "commander";
import { UsageError } from "./errors.js";
import { DepParamsError } from "../dep/params.js";
import { ReplayInputError } from "../dep/replay.js";
import { ModelLoadError } from "../../sim/loadModel.js";
import { ModelSourceError } from "../../sim/modelSource.js";
import { SimOptionError } from "../../sim/MujocoBridge.js";
import { registerSimCommand } from "./simCommand.js";
import { registerTeleopCommand } from "./teleopCommand.js";
import { ApiServerError } from "../api/ApiServer.js";
import { ArbiterConfigError } from "../safety/Arbiter.js";
import { SafetyConfigError } from "../safety/config.js";
import { JoyMappingError } from "../safety/JoyTeleop.js";
import { MuscleGroupsError } from "../safety/MuscleGroups.js";
import { registerDepCommand } from "./depCommand.js";
import { registerHwCommand } from "./hwCommand.js";
import { registerBoardSimCommand } from "./boardSimCommand.js";
import { registerNodeCommand, splitRosArgs } from "./nodeCommand.js";
import { registerLearnCommand } from "./learnCommand.js";
import { registerInfoCommand } from "./infoCommand.js";
import { registerReportCommand } from "./reportCommand.js";

/** `rosArgs`: what followed `--ros-args` on the command line, for `tendon node --ros`. */
export function buildProgram(rosArgs: readonly string[] = []): Command {
  const program = new Command("tendon")
    .description("Robot-control middleware for muscle-driven arms: DEP exploration in MuJoCo or on muscle boards.")
    .version(VERSION)
    .showHelpAfterError("(run with --help for the flags)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.startsWith("error:") ? `tendon: ${text}` : text) });
  registerSimCommand(program);
  registerTeleopCommand(program);
  registerDepCommand(program);
  registerHwCommand(program);
  registerBoardSimCommand(program);
  registerNodeCommand(program, rosArgs);
  registerLearnCommand(program);
  registerInfoCommand(program);
  registerReportCommand(program);
  return program;
}

const VERSION = "0.1.0";

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // `--ros-args ...` (added by ros2 launch's <node>, or by hand) is rcl's, not commander's.
  const { args, rosArgs } = splitRosArgs(argv);
  const program = buildProgram(rosArgs);
  try {
    await program.parseAsync(args);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its message.
      return err.exitCode === 0 ? 0 : 2;
    }
    // --serve and its files: a refused address, a bad safety configuration or joystick mapping.
    if (err instanceof ApiServerError || err instanceof SafetyConfigError || err instanceof ArbiterConfigError || err instanceof JoyMappingError || err instanceof MuscleGroupsError) {
      process.stderr.write(`tendon: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`tendon: ${err.message}\n`);
      return err.exitCode;
    }
    // Bad input from the user: a model, a parameter set, a replay file.
    if (err instanceof ModelSourceError || err instanceof ModelLoadError || err instanceof SimOptionError || err instanceof DepParamsError || err instanceof ReplayInputError) {
      process.stderr.write(`tendon: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tendon: ${message}\n`);
    if (process.env.TENDON_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
