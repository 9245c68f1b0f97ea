/**
 * `tendon dep replay FILE`: runs DEP offline on a recorded input sequence and prints its
 * outputs as JSON, so that tendon's DEP can be compared with another implementation on the
 * same data.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { parseReplayFile, replayDep } from "../dep/replay.js";
import { UsageError } from "./errors.js";

export function registerDepCommand(program: Command): void {
  const dep = program.command("dep").description("DEP tools");
  dep
    .command("replay")
    .description('run DEP on recorded inputs: FILE is JSON {"params"?: {...}, "preset"?: "name", "inputs": T x n or T x E x n}; prints {"outputs": T x E x n}')
    .argument("<file>", "replay input file (JSON)")
    .action((file: string) => {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (err) {
        throw new UsageError(`cannot read replay file '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      let result: { outputs: number[][][] };
      try {
        result = replayDep(parseReplayFile(text, file));
      } catch (err) {
        const message = (err as Error).message;
        // JSON syntax errors already name the file; shape errors get it in front.
        throw new UsageError(message.includes(file) ? message : `${file}: ${message}`);
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
