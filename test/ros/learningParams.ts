/** Parameters of a learning controller and a tiny learner, for the actor-learner tests of the nodes. */
export const LEARNING_CONTROLLER = { learning: true, learning_mode: "dep-rl", steps_before_learning: 200, transitions_every_ticks: 25, learning_seed: 1, joint_ranges_rad: "-1.2:1.8,0:2.4" };
export const TINY_LEARNER = { hidden_sizes: "16,16", batch_size: 32, batch_iterations: 2, steps_before_batches: 200, steps_between_batches: 100, replay_capacity: 10_000 };
