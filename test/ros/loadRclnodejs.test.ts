import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { loadRclnodejs, rosEnvironmentProblem, RosUnavailableError } from "../../ros/loadRclnodejs.js";
import { projectRoot } from "../helpers/paths.js";

const SOURCED = { ROS_DISTRO: "jazzy", AMENT_PREFIX_PATH: "/opt/ros/jazzy" };

describe("loading rclnodejs for --ros", () => {
  it("without a sourced ROS 2: says what is missing and how to source it, and imports nothing", async () => {
    assert.match(rosEnvironmentProblem({}) ?? "", /ROS_DISTRO and AMENT_PREFIX_PATH not set\): run 'source \/opt\/ros\/jazzy\/setup.bash'/);
    assert.match(rosEnvironmentProblem({ ROS_DISTRO: "humble" }) ?? "", /\(AMENT_PREFIX_PATH not set\)/);
    assert.equal(rosEnvironmentProblem(SOURCED), undefined);
    let imported = false;
    await assert.rejects(
      loadRclnodejs({}, async () => {
        imported = true;
        return {};
      }),
      RosUnavailableError,
    );
    assert.equal(imported, false);
  });

  it("rclnodejs missing, or failing to load: the remedy in one line", async () => {
    const notFound = Object.assign(new Error("Cannot find package 'rclnodejs'"), { code: "ERR_MODULE_NOT_FOUND" });
    await assert.rejects(
      loadRclnodejs(SOURCED, () => Promise.reject(notFound)),
      (e: unknown) => e instanceof RosUnavailableError && /rclnodejs is not installed: with ROS 2 jazzy sourced, run 'npm install'/.test(e.message),
    );
    await assert.rejects(
      loadRclnodejs(SOURCED, () => Promise.reject(new Error("librcl.so: cannot open shared object file\n    at dlopen"))),
      (e: unknown) => e instanceof RosUnavailableError && /^rclnodejs failed to load \(librcl.so: cannot open shared object file\): rebuild it/.test(e.message) && !e.message.includes("\n"),
    );
  });

  it("returns the module's default export", async () => {
    const module = { init: () => undefined };
    assert.equal(await loadRclnodejs(SOURCED, async () => ({ default: module })), module);
  });

  it("rclnodejs is imported only under ros/ (and only dynamically)", () => {
    const r = spawnSync("grep", ["-rlE", "from \"rclnodejs\"|import\\(\"rclnodejs\"\\)|require\\(\"rclnodejs\"\\)", "src", "sim", "hardware", "ros", "bench"], { cwd: projectRoot, encoding: "utf8" });
    assert.equal(r.stdout.trim(), "", `static imports of rclnodejs: ${r.stdout}`);
    const dynamic = spawnSync("grep", ["-rl", "importModule(\"rclnodejs\")", "src", "ros"], { cwd: projectRoot, encoding: "utf8" });
    assert.deepEqual(dynamic.stdout.trim().split("\n"), [path.join("ros", "loadRclnodejs.ts")]);
  });

  it("npm run test:ros without ROS 2 fails at once with a clear message", () => {
    const env = { ...process.env };
    delete env.ROS_DISTRO;
    delete env.AMENT_PREFIX_PATH;
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(projectRoot, "ros", "liveCheck.ts")], { cwd: projectRoot, env, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^test:ros: needs ROS 2: it is not sourced in this shell/);
    assert.match(r.stderr, /source \/opt\/ros\/jazzy\/setup.bash/);
  });
});
