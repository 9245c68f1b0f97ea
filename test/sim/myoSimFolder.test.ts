import assert from "node:assert/strict";
import { myoSimFolderAdvice } from "../../sim/loadModel.js";

describe("MyoSuite models in a misnamed folder", () => {
  it("says to rename a myo_sim-main folder (a GitHub zip) to myo_sim, and nothing for a right one", () => {
    const advice = myoSimFolderAdvice("/home/lab/Downloads/myo_sim-main/elbow/myoelbow_2dof6muscles.xml");
    assert.match(advice, /must be in a folder named myo_sim, and this one is 'myo_sim-main' \(as a GitHub zip unpacks\): rename it \(mv '\/home\/lab\/Downloads\/myo_sim-main' '\/home\/lab\/Downloads\/myo_sim'\)/);
    assert.match(myoSimFolderAdvice("/data/myo_sim-v1.0.0/finger/myofinger_v0.xml"), /this one is 'myo_sim-v1\.0\.0'/);
    assert.equal(myoSimFolderAdvice("/data/myo_sim/elbow/myoelbow_2dof6muscles.xml"), "");
    assert.equal(myoSimFolderAdvice("/data/models/arm.xml"), "");
  });
});
