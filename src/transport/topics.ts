/**
 * tendon's topics. Names are absolute; types are standard messages (see src/transport/messages.ts
 * and the topic table in the README).
 */
/**
 * The planner's topics (`tendon plan` runs that drive their loop directly; recorded and in the
 * live view), published on the first tick after a plan is adopted.
 */
export const PLANNER_TOPICS = {
  /**
   * std_msgs/Float64MultiArray, [cost, disagreement] (dim[0] label `cost|disagreement`, as the
   * planner node's): the adopted plan's cost and the ensemble's disagreement along it (0 for one model).
   */
  cost: "/planner/cost",
  /** std_msgs/Float64MultiArray, 2-D (step x quantity): the adopted plan's predicted states of the controlled site or joints. */
  trajectory: "/planner/trajectory",
} as const;

/**
 * The learner's live topics (the worker-thread learner of `tendon learn` and the ROS 2 learner
 * node), published after every model update or scored batch; recorded and in the live view.
 */
export const LEARNER_TOPICS = {
  /** std_msgs/Float64MultiArray, [train loss, held-out loss, model version]: the world model's last update. */
  modelLoss: "/learner/model_loss",
  /** std_msgs/Float64MultiArray, [mean intrinsic reward (before alpha), alpha]: the last scored batch. */
  intrinsicReward: "/learner/intrinsic_reward",
  /** std_msgs/Float64MultiArray, [mean ensemble disagreement]: the last scored batch. */
  disagreement: "/learner/disagreement",
  /** std_msgs/Float64MultiArray, latched: versioned world-model weights (and normalizer state) for the control process. */
  model: "/learner/model",
} as const;

export const TOPICS = {
  /** sensor_msgs/JointState: joint angle (rad) and velocity (rad/s); published by a bridge node every tick. */
  jointStates: "/joint_states",
  /** sensor_msgs/JointState: name = muscle, position = length (m), velocity (m/s), effort = tension (N). */
  muscleStates: "/muscle_states",
  /** std_msgs/Float64MultiArray: the command a bridge node writes, one value per muscle (forward_command_controller's convention). */
  muscleCommands: "/muscle_commands",
  /** rosgraph_msgs/Clock: simulated time. */
  clock: "/clock",
  /** diagnostic_msgs/DiagnosticArray: loop statistics and link counters. */
  diagnostics: "/diagnostics",
  /** std_msgs/Float64MultiArray, 2-D (motor x sensor): DEP's normalized controller matrix, for visualization. */
  depMatrix: "/dep/matrix",
  /** std_msgs/Float64MultiArray, 2-D (muscle x 4: length, velocity, force, command): what each tick saw and sent. */
  transitions: "/transitions",
  /** sensor_msgs/Joy: a joystick. */
  joy: "/joy",
  /** std_msgs/Bool: true latches the e-stop in the controller's arbiter (every muscle to its safe command). */
  estop: "/estop",
  /** std_msgs/Bool: true releases a latched e-stop. */
  estopReset: "/estop_reset",
  /** std_msgs/String, latched: JSON {group: owner} of the controller's arbiter, on every change. */
  arbiterOwners: "/arbiter/owners",
  /** std_msgs/String: every arbiter event (owner switch, e-stop, reset, hand-over done) as JSON. */
  arbiterEvents: "/arbiter/events",
  /** std_msgs/Float64MultiArray: policy parameters from the learner (nothing is published until a policy exists). */
  policy: "/policy",
} as const;

/** Per-source command topic into the controller's arbitration: /muscle_commands/<source>. */
export function sourceCommandTopic(source: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(source)) {
    throw new RangeError(`command source '${source}' must be a ROS name: a letter, then letters, digits or underscores`);
  }
  return `${TOPICS.muscleCommands}/${source}`;
}

/** The fields of one /transitions row, in order. */
export const TRANSITION_FIELDS = ["length_m", "velocity_mps", "force_n", "command"] as const;

/** Fills a /transitions matrix (muscle x TRANSITION_FIELDS) from a tick's reading and command; no allocation. */
export function fillTransitions(out: Float64Array, frame: { readonly muscleLengthM: Float64Array; readonly muscleVelocityMps: Float64Array; readonly muscleForceN: Float64Array }, command: Float64Array): void {
  const k = TRANSITION_FIELDS.length;
  for (let i = 0; i < frame.muscleLengthM.length; i++) {
    out[i * k] = frame.muscleLengthM[i];
    out[i * k + 1] = frame.muscleVelocityMps[i];
    out[i * k + 2] = frame.muscleForceN[i];
    out[i * k + 3] = command[i];
  }
}
