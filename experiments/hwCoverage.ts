/**
 * Why DEP explores less on the board simulator than in simulation: joint-space coverage of the
 * built-in arm over the same duration, rate and seeds, in four set-ups:
 *
 *   sim myosuite   tendon sim (MuJoCo directly), DEP's default sigmoid mapping to activations 0..1
 *   sim linear     tendon sim --mapping linear: DEP's output linear over activations 0..1
 *   hw pwm 0..50   tendon board-sim + tendon hw (defaults: linear over PWM 0..50 %, i.e. activations 0..0.5)
 *   hw pwm 0..100  the same with --max 100 (activations 0..1)
 *   hw sigmoid 0..50, hw sigmoid 0..100   tendon hw --mapping sigmoid: MyoSuite's curve over the PWM range
 *
 *   hw pwm 0..50 ranged, hw sigmoid 0..100 ranged   the same with the --config file board-sim
 *                  writes (the joints with the arm's own limits, as the simulation's coverage grid
 *                  has them); without it the boards' joints have no range and the grid is [-pi, pi]
 *
 *   sim myosuite wide grid   the "sim myosuite" run again (in this process: it is
 *                  deterministic), its coverage counted on the grid the boards' joints get without
 *                  ranges, [-pi, pi] per joint: the same motion, the other grid
 *
 *   --setups "hw sigmoid 0..50,hw sigmoid 0..100" runs only those.
 *
 *   npm run experiment:hw-coverage -- --seeds 5 --duration 20 --rate 500 --out docs/experiment-hw-coverage.json
 *
 * Each set-up runs as its own `tendon` process (board-sim and hw as two, as a user runs them).
 * Results: per run coverage, and per set-up the mean with a 95 % confidence interval (t).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSim } from "../src/app/runSim.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { resolveModelSource } from "../sim/modelSource.js";
import { JointCoverage } from "../src/observability/JointCoverage.js";
import { experimentFlags } from "./flags.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const { num: flag } = experimentFlags(args);
const seeds = flag("--seeds", 5);
const durationSec = flag("--duration", 20);
const rateHz = flag("--rate", 500);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? args[outIndex + 1] : path.join(root, "docs", "experiment-hw-coverage.json");

function tendon(argv: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(root, "src", "cli", "run.ts"), ...argv], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
}

async function runJson(argv: string[]): Promise<Record<string, any>> {
  const child = tendon(argv);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  const last = stdout.trim().split("\n").pop() ?? "";
  if (!last.startsWith("{")) throw new Error(`tendon ${argv.join(" ")} exited ${code}: ${stderr.trim()}`);
  return JSON.parse(last) as Record<string, any>;
}

async function boardSim(seed: number): Promise<{ port: string; config: string; stop: () => Promise<void> }> {
  const child = tendon(["board-sim", "--seed", String(seed)]);
  const [port, config] = await new Promise<[string, string]>((resolve, reject) => {
    let text = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      text += d;
      const m = /^port (\S+) boards/m.exec(text);
      const c = /^config (\S+)$/m.exec(text);
      if (m && c) resolve([m[1], c[1]]);
    });
    child.stderr!.resume();
    child.once("close", (code) => reject(new Error(`board-sim exited ${code}`)));
  });
  return {
    port,
    config,
    stop: async () => {
      const closed = new Promise((r) => child.once("close", r));
      child.kill("SIGINT");
      await closed;
    },
  };
}

/** `tendon sim`'s DEP run, its coverage counted on [-pi, pi] per joint (and on the limits, as a check). */
async function simOnWideGrid(seed: number): Promise<Record<string, any>> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m") });
  await bridge.configure();
  const joints = bridge.spec.joints;
  await bridge.shutdown();
  const wide = new JointCoverage(joints.map((j) => ({ ...j, rangeRad: null })));
  const limits = new JointCoverage(joints);
  const r = await runSim({
    model: "arm2j6m",
    explorer: "dep",
    durationSec,
    seed,
    rateHz,
    onLoop: (loop) =>
      loop.cycles$.subscribe((c) => {
        wide.add(c.frame.jointAngleRad);
        limits.add(c.frame.jointAngleRad);
      }),
  });
  return { coverage: wide.value(), coverageOnLimits: limits.value(), reported: r.coverage, ticks: r.loop.ticks, loop: { overruns: 0 }, problems: r.loop.problems };
}

const SETUPS = {
  "sim myosuite": async (seed: number) => runJson(["sim", "--rate", String(rateHz), "--duration", String(durationSec), "--seed", String(seed), "--json", "--no-progress"]),
  "sim linear": async (seed: number) => runJson(["sim", "--rate", String(rateHz), "--duration", String(durationSec), "--seed", String(seed), "--mapping", "linear", "--json", "--no-progress"]),
  "hw pwm 0..50": async (seed: number) => onBoards(seed, []),
  "hw pwm 0..100": async (seed: number) => onBoards(seed, ["--max", "100"]),
  "hw sigmoid 0..50": async (seed: number) => onBoards(seed, ["--mapping", "sigmoid"]),
  "hw sigmoid 0..100": async (seed: number) => onBoards(seed, ["--mapping", "sigmoid", "--max", "100"]),
  "sim myosuite wide grid": async (seed: number) => simOnWideGrid(seed),
  "hw pwm 0..50 ranged": async (seed: number) => onBoards(seed, [], true),
  "hw sigmoid 0..100 ranged": async (seed: number) => onBoards(seed, ["--mapping", "sigmoid", "--max", "100"], true),
} as const;
const setupsIndex = args.indexOf("--setups");
const chosen = setupsIndex >= 0 ? args[setupsIndex + 1].split(",") : Object.keys(SETUPS);
for (const c of chosen) if (!(c in SETUPS)) throw new Error(`--setups: no set-up '${c}' (set-ups: ${Object.keys(SETUPS).join(", ")})`);

async function onBoards(seed: number, extra: string[], ranged = false): Promise<Record<string, any>> {
  const sim = await boardSim(seed);
  try {
    return await runJson(["hw", "--port", sim.port, ...(ranged ? ["--config", sim.config] : []), "--rate", String(rateHz), "--duration", String(durationSec), "--seed", String(seed), "--json", "--no-progress", ...extra]);
  } finally {
    await sim.stop();
  }
}

/** Two-sided 97.5 % t quantiles for n - 1 = 1..30 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

function meanCi(xs: number[]): { mean: number; ci95: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: Number.NaN, n };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, ci95: (T975[Math.min(n - 2, T975.length - 1)] * sd) / Math.sqrt(n), n };
}

const started = Date.now();
const runs: { setup: string; seed: number; coverage: number; ticks: number; overruns: number; problems: number; coverageOnLimits?: number }[] = [];
for (let seed = 0; seed < seeds; seed++) {
  for (const [name, run] of Object.entries(SETUPS).filter(([n]) => chosen.includes(n))) {
    const j = await run(seed);
    runs.push({ setup: name, seed, coverage: j.coverage, ticks: j.ticks, overruns: j.loop.overruns, problems: j.problems, ...(j.coverageOnLimits !== undefined ? { coverageOnLimits: j.coverageOnLimits } : {}) });
    process.stderr.write(`${name.padEnd(24)} seed ${seed}: coverage ${Number(j.coverage).toFixed(3)} (${j.ticks} ticks, ${j.loop.overruns} overruns)\n`);
  }
}
const summary = Object.fromEntries(chosen.map((name) => [name, meanCi(runs.filter((r) => r.setup === name).map((r) => r.coverage))]));
const result = {
  command: `npm run experiment:hw-coverage -- --seeds ${seeds} --duration ${durationSec} --rate ${rateHz}${setupsIndex >= 0 ? ` --setups "${chosen.join(",")}"` : ""}`,
  seeds: Array.from({ length: seeds }, (_, i) => i),
  durationSec,
  rateHz,
  wallSec: (Date.now() - started) / 1000,
  summary,
  runs,
};
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
for (const [name, s] of Object.entries(summary)) process.stdout.write(`${name.padEnd(24)} coverage ${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)} (95 % CI, n = ${s.n})\n`);
process.stdout.write(`wrote ${out} in ${result.wallSec.toFixed(0)} s\n`);
