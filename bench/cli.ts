/**
 * CLI start-up, as whole processes: `tendon --help` and `tendon dep replay` on a small file, each
 * against bare Node start-up (`node -e 0`) measured in the same run, alternating, so a loaded
 * machine shows as a ratio as much as in the times. Uses the built CLI (bin/tendon.js over dist/,
 * what an installed `tendon` runs); `npm run build` first.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { printRows, type Row } from "./rows.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "tendon.js");

/** Wall time of one process, ms; throws when it fails. */
function timeProcess(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${String(r.stderr).trim()}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function benchCli(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  if (!fs.existsSync(path.join(root, "dist", "src", "cli", "main.js"))) {
    return { rows: [{ group: "CLI start-up", metric: "tendon --help", value: "dist/ missing: run `npm run build`" }] satisfies Row[] };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-bench-cli-"));
  const input = path.join(dir, "in.json");
  // 50 steps of 4 muscles: the process, not DEP, is what is timed.
  fs.writeFileSync(input, JSON.stringify({ inputs: Array.from({ length: 50 }, (_, t) => [0, 1, 2, 3].map((i) => 0.1 * Math.sin(0.1 * t + i))) }));
  const runs = opts.quick ? 5 : 15;
  const cases = { node: ["-e", "0"], help: [bin, "--help"], replay: [bin, "dep", "replay", input] };
  const times: Record<keyof typeof cases, number[]> = { node: [], help: [], replay: [] };
  try {
    for (const args of Object.values(cases)) timeProcess(args); // warm the file cache
    for (let i = 0; i < runs; i++) for (const [k, args] of Object.entries(cases)) times[k as keyof typeof cases].push(timeProcess(args));
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
  const m = { node: median(times.node), help: median(times.help), replay: median(times.replay) };
  const rows: Row[] = [
    { group: "CLI start-up", metric: `bare node -e 0, median of ${runs}`, value: `${m.node.toFixed(0)} ms` },
    { group: "CLI start-up", metric: `tendon --help, median of ${runs}`, value: `${m.help.toFixed(0)} ms (${(m.help / m.node).toFixed(2)} x bare node)`, target: "< 150 ms", ok: m.help < 150 },
    { group: "CLI start-up", metric: `tendon dep replay (50 x 4), median of ${runs}`, value: `${m.replay.toFixed(0)} ms (${(m.replay / m.node).toFixed(2)} x bare node)` },
  ];
  return { runs, medianMs: m, timesMs: times, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await benchCli({ quick: process.argv.includes("--quick") });
  printRows(r.rows as Row[]);
}
