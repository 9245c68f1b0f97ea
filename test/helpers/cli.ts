import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the `tendon` CLI from source in a child process. */
export function runCli(args: string[], options: { onStderr?: (chunk: string, kill: (s: NodeJS.Signals) => void) => void; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), ...args], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      options.onStderr?.(d, (s) => child.kill(s));
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The JSON object on the last line of stdout. */
export function lastJsonLine(stdout: string): Record<string, any> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}
