import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DepRlConfigError, parseDepRlConfig, readDepRlConfig } from "../../src/learner/configs/depRl.js";
import { runCli, lastJsonLine } from "../helpers/cli.js";

const root = path.resolve(import.meta.dirname, "../..");

/** A depRL experiment in the shape of the paper's files (tonic section, DEP, mpo_args, env_args). */
const paperLike = {
  tonic: {
    header: "import deprl; import gym",
    agent: "deprl.custom_agents.dep_factory(1, deprl.custom_mpo_torch.TunedMPO())(replay=deprl.replays.buffers.Buffer(size=int(2e5), batch_size=128, steps_before_batches=3e5))",
    environment: "deprl.environments.Gym('myoElbowPose1D6MRandom-v0', scaled_actions=False)",
    trainer: "deprl.custom_trainer.Trainer(steps=int(1e7), epoch_steps=int(2e5), save_steps=int(1e6))",
    parallel: 5,
    sequential: 2,
    seed: 7,
    name: "elbow",
  },
  mpo_args: { hidden_size: 1024, lr_actor: 3.5e-5, lr_dual: 0.0021 },
  DEP: { kappa: 1000, tau: 40, intervention_proba: 0.0004, intervention_length: 5 },
  env_args: { force_scale: 0.04 },
};

describe("depRL configuration files", () => {
  it("the shipped arm2j6m file gives the settings the reach experiment ran at (docs/experiment-reach.json)", () => {
    const { config, saveSteps } = readDepRlConfig(path.join(root, "config/deprl-arm2j6m-reach.json"));
    const ran = JSON.parse(fs.readFileSync(path.join(root, "docs/experiment-reach.json"), "utf8")).results.find((r: { mode: string }) => r.mode === "dep-rl").config;
    for (const key of ["mode", "steps", "envs", "hiddenSizes", "batchSize", "batchIterations", "stepsBeforeBatches", "stepsBetweenBatches", "returnSteps", "replaySize", "discount", "actorLearningRate", "criticLearningRate", "dualLearningRate", "epochSteps", "seed"] as const) {
      assert.deepEqual(config[key], ran[key], key);
    }
    assert.equal(saveSteps, 20_000);
    assert.deepEqual(config.depParams, { intervention_length: 20, intervention_proba: 0.01, test_episode_every: 3 });
  });

  it("reads depRL's names with depRL's meanings: dep_factory's number, tonic's Buffer defaults, TunedMPO's set_params defaults", () => {
    const { config, saveSteps, notes } = parseDepRlConfig(paperLike);
    assert.equal(config.mode, "init-explore");
    assert.equal(config.replaySize, 200_000);
    assert.equal(config.batchSize, 128);
    assert.equal(config.stepsBeforeBatches, 300_000);
    // Not given in Buffer(...): tonic's defaults, not tendon's.
    assert.equal(config.returnSteps, 1);
    assert.equal(config.batchIterations, 50);
    assert.equal(config.stepsBetweenBatches, 50);
    assert.equal(config.discount, 0.99);
    assert.equal(config.steps, 10_000_000);
    assert.equal(config.epochSteps, 200_000);
    assert.equal(saveSteps, 1_000_000);
    assert.equal(config.envs, 10, "parallel x sequential");
    assert.equal(config.seed, 7);
    assert.deepEqual(config.hiddenSizes, [1024, 1024]);
    assert.equal(config.actorLearningRate, 3.5e-5);
    assert.equal(config.criticLearningRate, 1e-3, "set_params' default when mpo_args omits lr_critic");
    assert.equal(config.dualLearningRate, 0.0021);
    assert.deepEqual(config.depParams, paperLike.DEP);
    assert.ok(notes.some((n) => /tonic.environment .*myoElbowPose1D6MRandom-v0.* is not run/.test(n)), notes.join("\n"));
    assert.ok(notes.some((n) => /env_args \(force_scale\)/.test(n)), notes.join("\n"));
    assert.ok(notes.some((n) => /tonic.header/.test(n) && /tonic.name/.test(n)), notes.join("\n"));
  });

  it("an MPO agent without a replay gets tonic's MPO replay (5-step returns) and network (2 x 256); no dep_factory is plain rl", () => {
    const { config } = parseDepRlConfig({ tonic: { agent: "tonic.torch.agents.MPO()" } });
    assert.equal(config.mode, "rl");
    assert.equal(config.returnSteps, 5);
    assert.equal(config.batchSize, 100);
    assert.deepEqual(config.hiddenSizes, [256, 256]);
    assert.equal(config.criticLearningRate, 3e-4);
    assert.equal(config.envs, 1);
  });

  for (const [what, value, re] of [
    ["no tonic section", { DEP: {} }, /has no 'tonic' section/],
    ["a dep_factory number out of range", { tonic: { agent: "dep_factory(7, MPO())()" } }, /dep_factory's first argument must be 0, 1, 2 or 3/],
    ["a Buffer argument that is not a number", { tonic: { agent: "dep_factory(3, MPO())(replay=Buffer(batch_size=big))" } }, /Buffer\(batch_size=big\): not a number/],
    ["a positional Buffer argument", { tonic: { agent: "MPO(replay=Buffer(256))" } }, /takes keyword arguments here/],
    ["an unclosed call", { tonic: { agent: "MPO(replay=Buffer(batch_size=256, return_steps=3" } }, /has no closing parenthesis/],
    ["a fractional parallel", { tonic: { agent: "MPO()", parallel: 2.5 } }, /tonic.parallel must be an integer >= 1, got 2.5/],
    ["a negative learning rate", { tonic: { agent: "MPO()" }, mpo_args: { lr_actor: -1 } }, /mpo_args.lr_actor must be a number > 0/],
  ] as const) {
    it(`refuses ${what} in one line`, () => {
      assert.throws(
        () => parseDepRlConfig(value, "x.json"),
        (e: unknown) => e instanceof DepRlConfigError && re.test((e as Error).message) && (e as Error).message.startsWith("x.json: ") && !(e as Error).message.includes("\n"),
      );
    });
  }

  it("reads YAML, and says in one line when a file is missing or not valid", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-deprl-"));
    const yamlFile = path.join(dir, "c.yaml");
    fs.writeFileSync(yamlFile, "tonic:\n  agent: deprl.custom_agents.dep_factory(2, deprl.torch.agents.MPO())(replay=deprl.replays.buffers.Buffer(\n    batch_size=64))\n  seed: 3\n");
    const y = readDepRlConfig(yamlFile);
    assert.equal(y.config.mode, "det-switch");
    assert.equal(y.config.batchSize, 64);
    assert.equal(y.config.seed, 3);
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, "{ tonic: ");
    assert.throws(() => readDepRlConfig(bad), (e: unknown) => e instanceof DepRlConfigError && /is not valid JSON/.test((e as Error).message) && !(e as Error).message.includes("\n"));
    assert.throws(() => readDepRlConfig(path.join(dir, "none.json")), /cannot read depRL config .*ENOENT/);
  });

  it("tendon learn --config: the file's replay schedule and environments run; flags given win; a bad file is one line, exit 2", async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-deprl-"));
    const file = path.join(dir, "small.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        tonic: {
          agent: "deprl.custom_agents.dep_factory(3, deprl.torch.agents.MPO())(replay=deprl.replays.buffers.Buffer(return_steps=3, batch_size=16, steps_between_batches=100, batch_iterations=2, steps_before_batches=200))",
          trainer: "deprl.custom_trainer.Trainer(steps=int(1e6), epoch_steps=int(300))",
          parallel: 2,
          sequential: 1,
          seed: 4,
          environment: "deprl.environments.Gym('humanreacher-v0')",
        },
        mpo_args: { hidden_size: 8 },
      }),
    );
    const r = await runCli(["learn", "--config", file, "--steps", "600", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJsonLine(r.stdout);
    assert.equal(s.mode, "dep-rl");
    assert.equal(s.envs, 2);
    assert.equal(s.seed, 4);
    assert.equal(s.steps, 600, "--steps wins over the trainer's 1e6");
    // 600 steps, the first update round after 200 and one every 100: 4 rounds of 2 updates.
    assert.equal(s.updates, ((600 - 200) / 100) * 2);
    assert.match(r.stderr, /tonic.environment deprl.environments.Gym\('humanreacher-v0'\) is not run/);
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ tonic: { agent: "dep_factory(9, MPO())()" } }));
    const b = await runCli(["learn", "--config", bad]);
    assert.equal(b.code, 2, b.stderr);
    assert.equal(b.stderr.trim().split("\n").length, 1, b.stderr);
    assert.match(b.stderr, /dep_factory's first argument/);
  });
});
