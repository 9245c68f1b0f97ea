/** Every run says what it ran: a rounded rate, an interrupted run, counts in words. */
import assert from "node:assert/strict";
import { lastJsonLine, runCli } from "../helpers/cli.js";

describe("tendon sim says what it ran", function () {
  this.timeout(90_000);

  it("a --rate that is not a whole number of physics steps is said on stderr, with rates that divide; a rate that divides is not", async () => {
    const r = await runCli(["sim", "--rate", "200", "--duration", "1", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^tendon sim: --rate 200 Hz is not a whole number of 2 ms physics steps: ran at 166\.67 Hz \(frame skip 3\); rates that divide: 250 Hz \(frame skip 2\), 166\.67 Hz \(frame skip 3\), 125 Hz \(frame skip 4\), or give --frame-skip$/m);
    const ok = await runCli(["sim", "--rate", "250", "--duration", "1", "--no-progress", "--model", "arm1j2m"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /not a whole number/);
    assert.match(ok.stdout, /^tendon sim: arm1j2m \(2 muscles, 1 joint\),/m);
  });

  it("an interrupted run says so in the summary and the JSON", async () => {
    // --serve prints its address on stderr once the run is starting: then SIGINT.
    const r = await runCli(["sim", "--serve", "0", "--duration", "600", "--json"], {
      timeoutMs: 60_000,
      onStderr: (chunk, kill) => {
        if (/dashboard http/.test(chunk)) setTimeout(() => kill("SIGINT"), 2500);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /^ {2}interrupted {4}yes: stopped by a signal after \d+\.\d\d of 600\.00 s$/m);
    assert.equal(lastJsonLine(r.stdout).interrupted, true);
  });
});
