/**
 * `tendon report FILE`: a self-contained HTML report of a recorded run (plots, statistics, DEP's
 * matrix, DEP-vs-noise coverage when recorded), written beside the recording unless `-o` says where.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { writeReport } from "../observability/report.js";
import { UsageError } from "./errors.js";

export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report of an MCAP recording (plots, statistics, DEP matrix, coverage)")
    .argument("<file>", "an MCAP recording (tendon ... --record FILE)")
    .option("-o, --output <file.html>", "where to write the report (default: FILE with .html)")
    .action(async (file: string, flags: { output?: string }) => {
      if (!fs.existsSync(file)) throw new UsageError(`no file '${file}'`);
      const out = flags.output ?? `${file.replace(/\.mcap$/i, "")}.html`;
      let data;
      try {
        data = await writeReport(file, out);
      } catch (err) {
        throw new UsageError(`cannot report on '${file}': ${(err as Error).message}`);
      }
      const damaged = data.summary.damagedChunks.length;
      const note =
        (data.summary.complete ? "" : " (the recording is truncated: reported up to its last complete chunk)") +
        (damaged > 0 ? ` (${damaged} of ${data.summary.chunkCount} chunks are damaged and were skipped; the rest is reported)` : "");
      process.stdout.write(`wrote ${out}${note}\n`);
    });
}
