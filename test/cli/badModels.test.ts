import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lastJsonLine, runCli } from "../helpers/cli.js";

/** Models that load in MuJoCo but are not muscle bodies DEP can drive, and files that do not load. */
describe("tendon sim: bad model files exit 2, motors are named", function () {
  this.timeout(60_000);
  let tmp: string;
  const model = (name: string, xml: string): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, xml);
    return file;
  };
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-badmodel-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: [string, string, RegExp][] = [
    ["no actuators", `<mujoco><worldbody><body><joint name="j" type="hinge"/><geom size="0.1"/></body></worldbody></mujoco>`, /has no actuators: there is nothing to control/],
    [
      "no hinge or slide joint",
      `<mujoco><worldbody><body><joint name="b" type="ball"/><geom size="0.1" mass="1"/></body></worldbody><actuator><motor name="m" joint="b" gear="1 0 0"/></actuator></mujoco>`,
      /has no hinge or slide joints to explore/,
    ],
    ["not XML", "not a model", /cannot load model '.*not-XML\.xml': .*XML/],
    ["empty", "", /cannot load model '.*empty\.xml'/],
  ];
  for (const [what, xml, message] of cases) {
    it(`a model file with ${what} is one line on stderr and exit 2`, async () => {
      const file = model(`${what.replace(/ /g, "-")}.xml`, xml);
      const r = await runCli(["sim", "--model", file, "--duration", "0.2", "--no-progress"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it("names actuators that are motors, not muscles, in the summary and the JSON", async () => {
    const file = model(
      "motors.xml",
      `<mujoco><worldbody><body><joint name="j" type="hinge" range="-1 1" limited="true"/><geom size="0.1" mass="1"/></body></worldbody>
<actuator><motor name="m1" joint="j" ctrlrange="-1 1" ctrllimited="true"/><position name="p1" joint="j" kp="1"/></actuator></mujoco>`,
    );
    const r = await runCli(["sim", "--model", file, "--duration", "0.2", "--no-progress", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(2 actuators \(0 muscles, 2 motors\), 1 joint\)/);
    assert.match(r.stdout, /\n {2}motors {9}m1, p1: motors, not muscles/);
    assert.deepEqual(lastJsonLine(r.stdout).motors, ["m1", "p1"]);
  });

  it("says nothing about motors for the built-in muscle arm", async () => {
    const r = await runCli(["sim", "--duration", "0.2", "--no-progress", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(6 muscles, 2 joints\)/);
    assert.doesNotMatch(r.stdout, /motor/);
    assert.equal(lastJsonLine(r.stdout).motors, undefined);
  });
});
