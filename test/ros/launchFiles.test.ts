/**
 * Every launch file, read as `ros2 launch` reads it, and its node set started in one process
 * without ROS, with the same arguments (the command lines go through tendon's own CLI parser),
 * for a few hundred ticks.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseNodeCommandLine } from "../../src/cli/nodeCommand.js";
import type { BridgeNode } from "../../src/nodes/BridgeNode.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes, type HardwareParameters, type NodeName } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { MirrorBridge } from "../helpers/MirrorBridge.js";
import { projectRoot } from "../helpers/paths.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";
import { parseXml, resolveLaunchFile } from "./launchFile.js";

const launchDir = path.join(projectRoot, "launch");
const quiet = (): void => undefined;

async function plansOf(file: string, args: Record<string, string> = {}) {
  const processes = resolveLaunchFile(path.join(launchDir, file), args);
  const plans = [];
  for (const p of processes) {
    assert.equal(p.argv[0], "node", `${p.name}: runs node`);
    assert.equal(path.resolve(p.argv[1]), path.join(projectRoot, "bin", "tendon.js"), `${p.name}: runs this checkout's tendon`);
    assert.ok(fs.existsSync(p.argv[1]));
    const plan = await parseNodeCommandLine(p.argv.slice(2));
    assert.equal(plan.ros, true, `${p.name}: a launched node talks ROS`);
    assert.deepEqual(plan.nodes, [p.name], `${p.name}: one node per process, named as in the launch file`);
    plans.push(plan);
  }
  return plans;
}

/** Starts every node of the plans in one process, in process, with the parameters the plans give them. */
async function runInProcess(plans: Awaited<ReturnType<typeof plansOf>>, extra: Partial<Record<NodeName, Record<string, unknown>>>, durationSec: number, hardware?: (p: HardwareParameters) => MirrorBridge) {
  const parameters = new Map<string, Record<string, unknown>>();
  for (const plan of plans) for (const [node, values] of plan.parameters) parameters.set(node, { ...values, ...(extra[node] ?? {}) });
  const transport = new InProcessTransport({ parameters, log: quiet });
  const set = await startNodes({
    nodes: plans.flatMap((p) => p.nodes),
    transport,
    durationSec,
    timer: new VirtualTimer(),
    hardwareBridge: hardware,
  });
  await set.finished;
  await set.stop();
  await transport.close();
  return set;
}

describe("launch files", function () {
  this.timeout(30_000);

  it("launch/ holds robot, sim, learn, multi_actor, free_play and free_play_online, each a well-formed launch file", () => {
    const files = fs.readdirSync(launchDir).filter((f) => f.endsWith(".launch.xml")).sort();
    assert.deepEqual(files, ["free_play.launch.xml", "free_play_online.launch.xml", "learn.launch.xml", "multi_actor.launch.xml", "robot.launch.xml", "sim.launch.xml"]);
    for (const f of files) assert.equal(parseXml(fs.readFileSync(path.join(launchDir, f), "utf8"), f).tag, "launch");
  });

  it("sim.launch.xml: sim + controller, from the arguments, run in process for 300 ticks", async () => {
    const plans = await plansOf("sim.launch.xml", { model: "arm1j2m", rate: "50.0" });
    assert.deepEqual(
      plans.map((p) => p.nodes[0]),
      ["sim", "controller"],
    );
    const sim = plans[0].parameters.get("sim")!;
    assert.equal(sim.model, "arm1j2m");
    assert.equal(sim.rate_hz, 50);
    assert.equal(path.resolve(plans[1].paramsFile!), path.join(projectRoot, "config", "tendon.params.yaml"));
    const set = await runInProcess(plans, { sim: { mode: "lockstep" } }, 6);
    const bridge = set.get<BridgeNode>("sim")!;
    assert.equal(bridge.result!.ticks, 300);
    assert.equal(bridge.bridge.spec.muscles.length, 2, "arm1j2m, as the launch argument said");
    assert.equal(bridge.counters.ticksCommanded, 299);
    assert.equal(set.get<ControllerNode>("controller")!.sourceTicks.get("dep"), 299);
  });

  it("learn.launch.xml: sim.launch.xml plus the learner; the controller hosts the learning policy and its rows reach the learner", async () => {
    const plans = await plansOf("learn.launch.xml");
    assert.deepEqual(
      plans.map((p) => p.nodes[0]),
      ["sim", "controller", "learner"],
    );
    assert.equal(plans[1].parameters.get("controller")?.learning, true);
    const set = await runInProcess(plans, { sim: { mode: "lockstep" } }, 6);
    assert.equal(set.get<BridgeNode>("sim")!.result!.ticks, 300, "50 Hz from the default rate argument");
    const controller = set.get<ControllerNode>("controller")!;
    const learner = set.get<LearnerNode>("learner")!;
    assert.ok((controller.sourceTicks.get("policy") ?? 0) > 250, `the policy source owned ${controller.sourceTicks.get("policy")} ticks`);
    assert.ok(controller.learningStats.rowsSent >= 275, `${controller.learningStats.rowsSent} rows sent`);
    assert.equal(learner.rowsReceived, controller.learningStats.rowsSent);
    assert.equal(learner.ticksReceived, 0, "no per-muscle matrix mixed in");
  });

  it("robot.launch.xml: hardware + controller + teleop, the port and rate reaching the hardware bridge", async () => {
    const plans = await plansOf("robot.launch.xml", { port: "/dev/ttyUSB3" });
    assert.deepEqual(
      plans.map((p) => p.nodes[0]),
      ["hardware", "controller", "teleop"],
    );
    let given: HardwareParameters | undefined;
    const set = await runInProcess(plans, {}, 0.6, (p) => {
      given = p;
      return new MirrorBridge();
    });
    assert.equal(given?.port, "/dev/ttyUSB3");
    assert.equal(given?.rate_hz, 500);
    const hw = set.get<BridgeNode>("hardware")!;
    assert.equal(hw.result!.ticks, 300);
    assert.equal(hw.counters.ticksCommanded, 299);
  });

  it("free_play.launch.xml: hardware + controller + planner; the controller takes the planner as a command source", async () => {
    const plans = await plansOf("free_play.launch.xml", { port: "/dev/ttyUSB2" });
    assert.deepEqual(plans.map((p) => p.nodes[0]), ["hardware", "controller", "planner"]);
    const params = new Map(plans.flatMap((p) => [...p.parameters]));
    assert.deepEqual(params.get("controller")?.command_sources, ["teleop", "planner"]);
    assert.equal(params.get("planner")?.model_from, "play/model.json");
    assert.equal(params.get("hardware")?.port, "/dev/ttyUSB2");
  });

  it("an unknown launch argument or substitution is an error, as in ros2 launch", () => {
    assert.throws(() => resolveLaunchFile(path.join(launchDir, "sim.launch.xml"), { modle: "x" }), /no launch argument named modle/);
    assert.throws(() => parseXml("<launch><arg name='x'/></launch>", "t.xml"), /bad attribute/);
  });
});
