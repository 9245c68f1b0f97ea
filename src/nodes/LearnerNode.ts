/**
 * The learner node: the learner end of the actor-learner loop over ROS 2. It takes two kinds of
 * /transitions message:
 *
 * - transition rows (src/learner/split/rosMessages.ts: the same rows as in-process, messages.ts,
 *   each with its stream): these go to MPO's learner in a worker thread (WorkerLearner), which
 *   trains on them; every policy it publishes goes out on /policy as a versioned snapshot
 *   (latched), for the actors' PolicyControllers. Several actors (streams 0 .. streams − 1) may
 *   feed one learner; rows of a stream beyond `streams` count as the last stream.
 * - the controller's per-tick matrix: per muscle (rows) length, velocity, force and the command
 *   sent (columns). These are recorded as transitions (state, command, next state) in a bounded
 *   replay buffer; consecutive messages make a transition, and a change in the number of muscles
 *   starts the buffer afresh. They are not trained on (they carry no observation or reward).
 *
 * The worker learner starts on the first rows message (its sizes come from the message); a
 * learner that crashes or stalls is a diagnostics status, and the node goes on recording.
 *
 * World model (`intrinsic` other than none): the worker learner also hosts the online bonus
 * (src/intrinsic/OnlineBonus.ts) on the rows' observations and actions: rewards become
 * R + α·R_int before MPO stores them, and its ensemble trains every `model_train_every` rows
 * (`model_train_steps` Adam steps). Every model update goes out on /learner/model (versioned
 * weights and normalizers, latched; src/learner/split/modelMessages.ts) and /learner/model_loss;
 * each scored batch on /learner/intrinsic_reward and /learner/disagreement. `model_from` starts the
 * ensemble from a world-model file (tendon play's model.json: online retraining of the model a
 * planner node plans on, for free play); `train_policy: false` trains the world model alone.
 */
import { Subscription } from "rxjs";
import { DIAGNOSTIC_OK, DIAGNOSTIC_WARN, type Float64MultiArrayMsg } from "../transport/messages.js";
import { param, type NodeParameters } from "../transport/parameters.js";
import { QOS_CONTROL, QOS_DEFAULT, QOS_LATCHED, type PeriodicTimer, type TransportNode } from "../transport/Transport.js";
import { diagnosticArray, epochSec, keyValues } from "../transport/diagnostics.js";
import type { TendonNode } from "./TendonNode.js";
import { LEARN_DEFAULTS } from "../learner/runLearn.js";
import { BONUS_SIGNALS, type BonusSignal, type BonusStats } from "../intrinsic/OnlineBonus.js";
import type { EnsembleState } from "../models/ProbabilisticEnsemble.js";
import { modelMessage } from "../learner/split/modelMessages.js";
import type { ModelUpdate } from "../learner/split/messages.js";
import { readWorldModel } from "../planning/WorldModelFile.js";
import { createVector } from "../transport/messages.js";
import type { PolicySnapshot } from "../learner/inference/MlpPolicy.js";
import { WorkerLearner, type LearnerStatus } from "../learner/split/WorkerLearner.js";
import { policyMessage, readTransitionRows } from "../learner/split/rosMessages.js";
import { LEARNER_TOPICS, TOPICS, TRANSITION_FIELDS } from "../transport/topics.js";

export function learnerParameterSpecs() {
  return {
    replay_capacity: param.integer("replay_capacity", { default: 50000, min: 2, max: 10_000_000, readOnly: true, description: "ticks kept in the replay buffer (oldest dropped first)" }),
    streams: param.integer("streams", { default: 1, min: 1, max: 1024, readOnly: true, description: "actors (transition streams) feeding this learner; the learner stores one transition of every stream at a time" }),
    hidden_sizes: param.string("hidden_sizes", { default: LEARN_DEFAULTS.hiddenSizes.join(","), readOnly: true, description: "actor and critic hidden layer sizes, comma-separated" }),
    batch_size: param.integer("batch_size", { default: LEARN_DEFAULTS.batchSize, min: 1, max: 100_000, readOnly: true, description: "MPO batch size" }),
    batch_iterations: param.integer("batch_iterations", { default: LEARN_DEFAULTS.batchIterations, min: 1, max: 10_000, readOnly: true, description: "MPO updates per round" }),
    steps_before_batches: param.integer("steps_before_batches", { default: LEARN_DEFAULTS.stepsBeforeBatches, min: 1, max: 100_000_000, readOnly: true, description: "transitions stored before the first update round" }),
    steps_between_batches: param.integer("steps_between_batches", { default: LEARN_DEFAULTS.stepsBetweenBatches, min: 1, max: 100_000_000, readOnly: true, description: "transitions between update rounds" }),
    publish_every_rounds: param.integer("publish_every_rounds", { default: 1, min: 1, max: 1_000_000, readOnly: true, description: "publish /policy after every this many update rounds" }),
    learner_seed: param.integer("learner_seed", { default: 0, min: 0, max: 2 ** 31 - 1, readOnly: true, description: "the learner's seed" }),
    diagnostics_period_sec: param.double("diagnostics_period_sec", { default: 1, min: 0, exclusiveMin: true, readOnly: true, description: "period of /diagnostics (s)" }),
    intrinsic: param.string("intrinsic", { default: "none", choices: ["none", ...BONUS_SIGNALS], readOnly: true, description: "intrinsic reward from a world model learned online on the rows (none: no world model)" }),
    alpha: param.double("alpha", { default: LEARN_DEFAULTS.alpha, min: 0, readOnly: true, description: "weight of the intrinsic reward at step 0, r = R + alpha R_int" }),
    alpha_decay_steps: param.integer("alpha_decay_steps", { default: 0, min: 0, max: 1_000_000_000, readOnly: true, description: "steps over which alpha falls linearly to 0 (0: constant)" }),
    model_train_every: param.integer("model_train_every", { default: 1000, min: 1, max: 100_000_000, readOnly: true, description: "transitions between world-model updates" }),
    model_train_steps: param.integer("model_train_steps", { default: 50, min: 1, max: 1_000_000, readOnly: true, description: "Adam steps per world-model update" }),
    model_warmup: param.integer("model_warmup", { default: 1000, min: 1, max: 100_000_000, readOnly: true, description: "transitions stored before the first world-model update" }),
    model_hidden_sizes: param.string("model_hidden_sizes", { default: "128,128,128", readOnly: true, description: "hidden layer sizes of each ensemble member, comma-separated (ignored with model_from)" }),
    model_members: param.integer("model_members", { default: 5, min: 1, max: 64, readOnly: true, description: "ensemble members (ignored with model_from)" }),
    model_from: param.string("model_from", { default: "", readOnly: true, description: "world model file to start the ensemble from (tendon play's model.json; its state is the rows' observation)" }),
    train_policy: param.bool("train_policy", { default: true, readOnly: true, description: "train MPO on the rows and publish /policy (false: the world model alone)" }),
  };
}

export type LearnerParameterSpecs = ReturnType<typeof learnerParameterSpecs>;

/** One recorded transition, copied out of the buffer. */
export interface Transition {
  /** Per muscle: length (m), velocity (m/s), force (N), interleaved as in /transitions (3 per muscle). */
  readonly state: Float64Array;
  readonly command: Float64Array;
  readonly nextState: Float64Array;
}

/** Ticks in a ring: row r holds muscles x 4 values. */
class TickRing {
  readonly rowSize: number;
  readonly capacity: number;
  readonly #data: Float64Array;
  #next = 0;
  #size = 0;

  constructor(muscles: number, capacity: number) {
    this.rowSize = muscles * TRANSITION_FIELDS.length;
    this.capacity = capacity;
    this.#data = new Float64Array(this.rowSize * capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(values: Float64Array): void {
    this.#data.set(values, this.#next * this.rowSize);
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Row `i`, 0 = oldest kept. */
  row(i: number): Float64Array {
    const start = (this.#next - this.#size + i + this.capacity) % this.capacity;
    return this.#data.subarray(start * this.rowSize, (start + 1) * this.rowSize);
  }
}

export interface LearnerNodeOptions {
  readonly node: TransportNode;
  readonly params: NodeParameters<LearnerParameterSpecs>;
}

export class LearnerNode implements TendonNode {
  readonly name: string;
  readonly finished = undefined;
  readonly #node: TransportNode;
  readonly #params: NodeParameters<LearnerParameterSpecs>;
  readonly #subs = new Subscription();
  #ring: TickRing | undefined;
  #ticks = 0;
  #rejected = 0;
  #timer: PeriodicTimer | undefined;
  #stopped = false;
  #learner: WorkerLearner | undefined;
  #learnerSizes = "";
  #learnerDetail = "";
  #rowsReceived = 0;
  #policyUpdates = 0;
  #policyPub: { publish(msg: Float64MultiArrayMsg): void } | undefined;
  #modelPub: { publish(msg: Float64MultiArrayMsg): void } | undefined;
  #lossPub: { publish(msg: Float64MultiArrayMsg): void } | undefined;
  #intrinsicPub: { publish(msg: Float64MultiArrayMsg): void } | undefined;
  #disagreementPub: { publish(msg: Float64MultiArrayMsg): void } | undefined;
  readonly #lossMsg = createVector(3, "train_loss|holdout_loss|model_version");
  readonly #intrinsicMsg = createVector(2, "intrinsic|alpha");
  readonly #disagreementMsg = createVector(1, "disagreement");
  #modelUpdates = 0;
  #lastModel: { version: number; steps: number; stats: BonusStats } | undefined;
  #initialModel: EnsembleState | undefined;

  constructor(options: LearnerNodeOptions) {
    this.#node = options.node;
    this.#params = options.params;
    this.name = options.node.name;
  }

  /** Transitions available in the buffer. */
  get transitions(): number {
    return this.#ring ? Math.max(0, this.#ring.size - 1) : 0;
  }

  /** Ticks received in all (including those dropped from the buffer). */
  get ticksReceived(): number {
    return this.#ticks;
  }

  /** Policies published on /policy (the learner's initial policy included). */
  get policyUpdates(): number {
    return this.#policyUpdates;
  }

  /** World-model versions published on /learner/model. */
  get modelUpdates(): number {
    return this.#modelUpdates;
  }

  /** The last world-model update published: its version, the steps it was trained on, the bonus's figures. */
  get lastModel(): { version: number; steps: number; stats: BonusStats } | undefined {
    return this.#lastModel;
  }

  /** Transition rows received (for the learner). */
  get rowsReceived(): number {
    return this.#rowsReceived;
  }

  /** The worker learner's status and progress (undefined before the first rows message). */
  get learner(): { status: LearnerStatus; steps: number; updates: number; policies: number } | undefined {
    const l = this.#learner;
    return l && { status: l.status, ...l.progress };
  }

  /** Transition `i` (0 = oldest kept), copied. */
  transition(i: number): Transition {
    const ring = this.#ring;
    if (!ring || i < 0 || i >= this.transitions) throw new RangeError(`transition ${i} does not exist (${this.transitions} recorded)`);
    const a = ring.row(i);
    const b = ring.row(i + 1);
    const k = TRANSITION_FIELDS.length;
    const n = ring.rowSize / k;
    const state = new Float64Array(3 * n);
    const nextState = new Float64Array(3 * n);
    const command = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      for (let j = 0; j < 3; j++) {
        state[3 * m + j] = a[k * m + j];
        nextState[3 * m + j] = b[k * m + j];
      }
      command[m] = a[k * m + 3];
    }
    return { state, command, nextState };
  }

  get params(): NodeParameters<LearnerParameterSpecs> {
    return this.#params;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const node = this.#node;
    const capacity = this.#params.values.replay_capacity;
    this.#policyPub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.policy, QOS_LATCHED);
    const v = this.#params.values;
    if (v.intrinsic !== "none") {
      if (v.model_from) this.#initialModel = readWorldModel(v.model_from).ensemble;
      this.#modelPub = node.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model, QOS_LATCHED);
      this.#lossPub = node.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.modelLoss, QOS_DEFAULT);
      this.#intrinsicPub = node.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.intrinsicReward, QOS_DEFAULT);
      this.#disagreementPub = node.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.disagreement, QOS_DEFAULT);
    }
    const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", TOPICS.diagnostics, QOS_DEFAULT);
    this.#subs.add(
      // Transition rows come in blocks that must all arrive: keep 10, as their publisher does.
      node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions, QOS_DEFAULT).subscribe((msg) => this.#record(msg, capacity)),
    );
    this.#timer = node.createTimer(this.#params.values.diagnostics_period_sec, () =>
      diagPub.publish(
        diagnosticArray(epochSec(), [
          {
            level: this.#learner && this.#learner.status !== "running" && this.#learner.status !== "starting" ? DIAGNOSTIC_WARN : DIAGNOSTIC_OK,
            name: `${this.name}: replay`,
            message: this.#learner ? `learner ${this.#learner.status}${this.#learnerDetail ? `: ${this.#learnerDetail}` : ""}` : "recording transitions; no transition rows yet (no learner running)",
            hardware_id: "",
            values: keyValues({
              ticks_received: this.#ticks,
              transitions: this.transitions,
              capacity,
              messages_rejected: this.#rejected,
              rows_received: this.#rowsReceived,
              learner_steps: this.#learner?.progress.steps ?? 0,
              learner_updates: this.#learner?.progress.updates ?? 0,
              policy_updates: this.#policyUpdates,
              ...(this.#modelPub
                ? { model_updates: this.#modelUpdates, model_version: this.#lastModel?.version ?? -1, model_loss: this.#lastModel?.stats.modelLoss ?? NaN, model_holdout_loss: this.#lastModel?.stats.holdoutLoss ?? NaN }
                : {}),
            }),
          },
        ]),
      ),
    );
  }

  #record(msg: Float64MultiArrayMsg, capacity: number): void {
    const rows = readTransitionRows(msg);
    if (rows) return this.#train(rows);
    const dim = msg.layout.dim;
    const k = TRANSITION_FIELDS.length;
    if (dim.length !== 2 || dim[1].size !== k || dim[0].size * k !== msg.data.length) {
      if (this.#rejected++ === 0) this.#node.log("warn", `ignoring ${TOPICS.transitions} messages that are not muscles x ${k} (${TRANSITION_FIELDS.join(", ")})`);
      return;
    }
    const n = dim[0].size;
    if (!this.#ring || this.#ring.rowSize !== n * k) {
      if (this.#ring) this.#node.log("info", `the number of muscles changed to ${n}: the replay buffer starts afresh`);
      this.#ring = new TickRing(n, capacity);
    }
    this.#ring.push(msg.data);
    this.#ticks++;
  }

  #train(rows: { count: number; observationSize: number; actionSize: number; data: Float64Array }): void {
    if (this.#stopped || rows.count === 0) return;
    const sizes = `${rows.observationSize}x${rows.actionSize}`;
    if (!this.#learner) {
      const v = this.#params.values;
      const hiddenSizes = v.hidden_sizes.split(",").map((h) => Number(h.trim()));
      if (!hiddenSizes.every((h) => Number.isInteger(h) && h > 0)) {
        if (this.#rejected++ === 0) this.#node.log("error", `hidden_sizes '${v.hidden_sizes}' is not a list of positive integers: not training`);
        return;
      }
      const modelHidden = v.model_hidden_sizes.split(",").map((h) => Number(h.trim()));
      const signal = v.intrinsic as "none" | BonusSignal;
      if (signal !== "none" && !modelHidden.every((h) => Number.isInteger(h) && h > 0)) {
        if (this.#rejected++ === 0) this.#node.log("error", `model_hidden_sizes '${v.model_hidden_sizes}' is not a list of positive integers: not training`);
        return;
      }
      const init = this.#initialModel;
      if (init && (init.stateDim !== rows.observationSize || init.actionDim !== rows.actionSize)) {
        if (this.#rejected++ === 0) {
          this.#node.log("error", `model_from '${v.model_from}' predicts ${init.stateDim} state entries from ${init.actionDim} actions; the transition rows carry ${rows.observationSize} observations and ${rows.actionSize} actions: not training`);
        }
        return;
      }
      this.#learnerSizes = sizes;
      this.#learner = new WorkerLearner({
        config: {
          observationSize: rows.observationSize,
          actionSize: rows.actionSize,
          backend: "auto",
          streams: v.streams,
          publishEveryRounds: v.publish_every_rounds,
          learn: {
            ...LEARN_DEFAULTS,
            envs: v.streams,
            seed: v.learner_seed,
            hiddenSizes,
            batchSize: v.batch_size,
            batchIterations: v.batch_iterations,
            stepsBeforeBatches: v.steps_before_batches,
            stepsBetweenBatches: v.steps_between_batches,
            replaySize: Math.max(v.replay_capacity, v.batch_size),
            intrinsic: signal,
            alpha: v.alpha,
            alphaDecaySteps: v.alpha_decay_steps,
          },
          trainPolicy: v.train_policy,
          ...(signal !== "none"
            ? {
                bonus: {
                  trainEvery: v.model_train_every,
                  trainSteps: v.model_train_steps,
                  warmup: v.model_warmup,
                  capacity: Math.max(v.replay_capacity, v.model_warmup),
                  model: { members: v.model_members, hidden: modelHidden },
                  trackDisagreement: true,
                  ...(init ? { initialModel: init } : {}),
                },
              }
            : {}),
        },
        onPolicy: (s) => this.#publishPolicy(s),
        onModel: (m) => this.#publishModel(m),
        onBonus: (b) => this.#publishBonus(b),
        onStatus: (status, detail) => {
          this.#learnerDetail = detail;
          this.#node.log(status === "crashed" || status === "stalled" ? "error" : "info", `learner ${status}${detail ? `: ${detail}` : ""}`);
        },
      });
      this.#node.log("info", `learner started: ${rows.observationSize} observations, ${rows.actionSize} actions, ${v.streams} stream(s)`);
    } else if (sizes !== this.#learnerSizes) {
      if (this.#rejected++ === 0) this.#node.log("warn", `ignoring transition rows of ${sizes} (observations x actions): the learner runs on ${this.#learnerSizes}`);
      return;
    }
    this.#rowsReceived += rows.count;
    this.#learner.push(rows.count, rows.data);
  }

  #publishPolicy(snapshot: PolicySnapshot): void {
    if (this.#stopped) return;
    // The learner's steps when it published go with the weights (the worker reports them beside the snapshot).
    this.#policyPub?.publish(policyMessage({ ...snapshot, steps: snapshot.steps ?? this.#learner?.progress.steps }));
    this.#policyUpdates++;
  }

  #publishModel(m: ModelUpdate): void {
    if (this.#stopped || !this.#modelPub) return;
    this.#modelPub.publish(modelMessage(m.state, m.steps));
    this.#lossMsg.data[0] = m.stats.modelLoss;
    this.#lossMsg.data[1] = m.stats.holdoutLoss;
    this.#lossMsg.data[2] = m.state.version;
    this.#lossPub?.publish(this.#lossMsg);
    this.#modelUpdates++;
    this.#lastModel = { version: m.state.version, steps: m.steps, stats: m.stats };
  }

  #publishBonus(b: BonusStats): void {
    // Nothing is scored before the first model update.
    if (this.#stopped || !this.#intrinsicPub || b.modelUpdates === 0) return;
    this.#intrinsicMsg.data[0] = b.lastIntrinsic;
    this.#intrinsicMsg.data[1] = b.alpha;
    this.#intrinsicPub.publish(this.#intrinsicMsg);
    this.#disagreementMsg.data[0] = b.disagreement;
    this.#disagreementPub?.publish(this.#disagreementMsg);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#subs.unsubscribe();
    await this.#learner?.stop();
    this.#node.destroy();
  }
}
