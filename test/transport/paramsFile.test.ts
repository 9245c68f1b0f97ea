import assert from "node:assert/strict";
import path from "node:path";
import { parametersFor, parseParamsFile, ParamsFileError, readParamsFile } from "../../src/transport/paramsFile.js";
import { NodeParameters } from "../../src/transport/parameters.js";
import { checkControllerParameters, controllerParameterSpecs } from "../../src/nodes/ControllerNode.js";
import { hardwareParameterSpecs, simParameterSpecs } from "../../src/nodes/nodeSet.js";
import { learnerParameterSpecs } from "../../src/nodes/LearnerNode.js";
import { checkTeleopParameters, teleopParameterSpecs } from "../../src/nodes/TeleopNode.js";
import { projectRoot } from "../helpers/paths.js";

describe("ROS params files", () => {
  it("reads node sections (with or without a leading slash), the /** section, nested namespaces; integers as bigint", () => {
    const file = parseParamsFile(
      [
        "/**:",
        "  ros__parameters:",
        "    use_sim_time: true",
        "    gain: 1.0",
        "/controller:",
        "  ros__parameters:",
        "    kappa: 100",
        "    gain: 2.5",
        "    limits:",
        "      max_rate: 5.0",
        "    sources: [teleop, joy]",
      ].join("\n"),
      "p.yaml",
    );
    assert.deepEqual(parametersFor(file, "controller"), { gain: 2.5, kappa: 100n, "limits.max_rate": 5, sources: ["teleop", "joy"] });
    assert.deepEqual(parametersFor(file, "sim"), { gain: 1 }, "ROS's own use_sim_time is left to ROS");
    assert.deepEqual(parametersFor(undefined, "sim"), {});
  });

  it("says what is wrong, with the line", () => {
    assert.throws(() => parseParamsFile("controller:\n  kappa: 1.0\n", "p.yaml"), (e: unknown) => e instanceof ParamsFileError && /'controller' has no 'ros__parameters' block/.test(e.message));
    assert.throws(() => parseParamsFile("controller:\n  ros__parameters:\n    kappa: [1, \n", "p.yaml"), /params file 'p.yaml': line \d+/);
    assert.throws(() => parseParamsFile("- a\n- b\n", "p.yaml"), /must map node names/);
    assert.throws(() => parseParamsFile("/robot/controller:\n  ros__parameters: {}\n", "p.yaml"), /namespaced node names/);
    assert.throws(() => readParamsFile("/no/such/file.yaml"), /cannot read params file '\/no\/such\/file.yaml': ENOENT/);
  });

  for (const name of ["tendon.params.yaml", "robot.params.yaml", "learn.params.yaml"]) {
    it(`the shipped config/${name} is valid for every node`, () => {
      const file = readParamsFile(path.join(projectRoot, "config", name));
      checkAll(file);
    });
  }
});

/** Every node accepts its section of `file`. */
function checkAll(file: ReturnType<typeof readParamsFile>): void {
  new NodeParameters("sim", simParameterSpecs(), parametersFor(file, "sim"));
  new NodeParameters("hardware", hardwareParameterSpecs(), parametersFor(file, "hardware"));
  new NodeParameters("controller", controllerParameterSpecs(), parametersFor(file, "controller"), checkControllerParameters);
  new NodeParameters("teleop", teleopParameterSpecs(), parametersFor(file, "teleop"), checkTeleopParameters);
  new NodeParameters("learner", learnerParameterSpecs(), parametersFor(file, "learner"));
}
