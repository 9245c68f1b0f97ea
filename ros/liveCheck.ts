/**
 * `npm run test:ros`: the sim launch file on a real ROS 2, checked with the ros2 CLI. For machines
 * with ROS 2 (Humble or Jazzy) sourced and rclnodejs installed; it cannot run where ROS 2 is not
 * installed, and says so at once.
 *
 * Starts `ros2 launch launch/sim.launch.xml rate:=RATE`, waits for every topic with its type
 * (`ros2 topic list -t`), measures rates (`ros2 topic hz`), stops the launch with SIGINT as a
 * user would, and exits 1 on any mismatch (0 when everything matches).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadRclnodejs, rosEnvironmentProblem } from "./loadRclnodejs.js";

const RATE_HZ = 100;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Topic, type, and the expected rate (Hz) when it is checked. */
const EXPECTED: readonly { topic: string; type: string; rateHz?: number }[] = [
  { topic: "/joint_states", type: "sensor_msgs/msg/JointState", rateHz: RATE_HZ },
  { topic: "/muscle_states", type: "sensor_msgs/msg/JointState", rateHz: RATE_HZ },
  { topic: "/muscle_commands", type: "std_msgs/msg/Float64MultiArray", rateHz: RATE_HZ },
  { topic: "/muscle_commands/dep", type: "std_msgs/msg/Float64MultiArray", rateHz: RATE_HZ },
  { topic: "/transitions", type: "std_msgs/msg/Float64MultiArray", rateHz: RATE_HZ },
  { topic: "/clock", type: "rosgraph_msgs/msg/Clock", rateHz: RATE_HZ },
  { topic: "/dep/matrix", type: "std_msgs/msg/Float64MultiArray", rateHz: 10 },
  // sim and controller each publish their status once a second
  { topic: "/diagnostics", type: "diagnostic_msgs/msg/DiagnosticArray", rateHz: 2 },
];
/** Measured rates may be this much off (fraction), for scheduling jitter on a loaded machine. */
const TOLERANCE = 0.2;
const HZ_SECONDS = 8;

function fail(message: string): never {
  process.stderr.write(`test:ros: ${message}\n`);
  process.exit(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function topicTypes(): Map<string, string> {
  const r = spawnSync("ros2", ["topic", "list", "-t"], { encoding: "utf8", timeout: 20_000 });
  const out = new Map<string, string>();
  for (const line of (r.stdout ?? "").split("\n")) {
    const m = /^(\S+) \[([^\]]+)\]/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** The last "average rate" `ros2 topic hz` printed in `seconds`, or undefined. */
function measureHz(topic: string, seconds: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn("ros2", ["topic", "hz", topic, "--window", "1000"], { env: { ...process.env, PYTHONUNBUFFERED: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.resume();
    setTimeout(() => child.kill("SIGINT"), seconds * 1000);
    child.on("close", () => {
      const rates = [...out.matchAll(/average rate: ([\d.]+)/g)].map((m) => Number(m[1]));
      resolve(rates.at(-1));
    });
  });
}

function stopLaunch(launch: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (launch.exitCode !== null) return resolve(launch.exitCode);
    const kill = setTimeout(() => {
      try {
        process.kill(-launch.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 20_000);
    launch.on("close", (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    process.kill(-launch.pid!, "SIGINT");
  });
}

async function main(): Promise<void> {
  const problem = rosEnvironmentProblem();
  if (problem) {
    fail(`needs ROS 2: it is not sourced in this shell (ROS_DISTRO / AMENT_PREFIX_PATH unset). Run 'source /opt/ros/jazzy/setup.bash' (or humble), 'npm install' (builds rclnodejs), then 'npm run test:ros'. Without ROS 2, 'npm test' covers the ROS transport against a fake rclnodejs.`);
  }
  if (spawnSync("ros2", ["--help"], { stdio: "ignore" }).status !== 0) fail("the 'ros2' command is not on PATH: source your ROS 2 setup (it provides ros2)");
  try {
    await loadRclnodejs();
  } catch (err) {
    fail((err as Error).message);
  }

  const launchFile = path.join(root, "launch", "sim.launch.xml");
  process.stderr.write(`test:ros: ros2 launch ${path.relative(root, launchFile)} rate:=${RATE_HZ}.0\n`);
  const launch = spawn("ros2", ["launch", launchFile, `rate:=${RATE_HZ}.0`], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  let launchOutput = "";
  launch.stdout!.setEncoding("utf8").on("data", (d: string) => (launchOutput += d));
  launch.stderr!.setEncoding("utf8").on("data", (d: string) => (launchOutput += d));
  const problems: string[] = [];
  try {
    // Topics and types.
    let types = new Map<string, string>();
    for (let waited = 0; waited < 40; waited++) {
      types = topicTypes();
      if (EXPECTED.every((e) => types.has(e.topic))) break;
      if (launch.exitCode !== null) fail(`the launch ended (exit ${launch.exitCode}) before its topics appeared:\n${launchOutput}`);
      await sleep(1000);
    }
    for (const e of EXPECTED) {
      const got = types.get(e.topic);
      const ok = got === e.type;
      process.stdout.write(`${ok ? "ok  " : "FAIL"} ${e.topic.padEnd(22)} ${got ?? "(missing)"}${ok ? "" : ` (expected ${e.type})`}\n`);
      if (!ok) problems.push(`${e.topic}: ${got ?? "missing"}, expected ${e.type}`);
    }
    // Rates, all topics at once.
    const checked = EXPECTED.filter((e) => e.rateHz !== undefined && types.has(e.topic));
    const rates = await Promise.all(checked.map((e) => measureHz(e.topic, HZ_SECONDS)));
    checked.forEach((e, i) => {
      const hz = rates[i];
      const ok = hz !== undefined && Math.abs(hz - e.rateHz!) <= TOLERANCE * e.rateHz!;
      process.stdout.write(`${ok ? "ok  " : "FAIL"} ${e.topic.padEnd(22)} ${hz === undefined ? "no messages" : `${hz.toFixed(2)} Hz`} (expected ${e.rateHz} Hz +-${TOLERANCE * 100}%)\n`);
      if (!ok) problems.push(`${e.topic}: ${hz === undefined ? "no messages" : `${hz.toFixed(2)} Hz`}, expected ${e.rateHz} Hz`);
    });
  } finally {
    const code = await stopLaunch(launch);
    const safe = /wrote the safe command/.test(launchOutput);
    process.stdout.write(`${safe ? "ok  " : "FAIL"} SIGINT: the launch ended (exit ${code}); the sim ${safe ? "wrote" : "did not report writing"} the safe command\n`);
    if (!safe) problems.push("the sim did not report writing the safe command on SIGINT");
  }
  if (problems.length > 0) {
    process.stderr.write(`test:ros: ${problems.length} mismatch(es):\n${problems.map((p) => `  - ${p}`).join("\n")}\n--- launch output ---\n${launchOutput}`);
    process.exit(1);
  }
  process.stdout.write("test:ros: every topic, type and rate as expected\n");
}

await main();
