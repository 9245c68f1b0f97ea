/**
 * Loads rclnodejs for `--ros`: the only place that imports it, with a dynamic `import()` so that
 * tendon installs and runs without it. Fails fast, before anything else starts, with one line
 * that says what is missing and what to do.
 */
import type { Rclnodejs } from "./rclnodejsApi.js";

export class RosUnavailableError extends Error {
  override name = "RosUnavailableError";
}

/** What is missing from the environment for ROS 2, or undefined when a ROS 2 setup is sourced. */
export function rosEnvironmentProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.ROS_DISTRO || !env.AMENT_PREFIX_PATH) {
    const missing = [!env.ROS_DISTRO && "ROS_DISTRO", !env.AMENT_PREFIX_PATH && "AMENT_PREFIX_PATH"].filter(Boolean).join(" and ");
    return `--ros needs a sourced ROS 2 (${missing} not set): run 'source /opt/ros/jazzy/setup.bash' (or humble) in this shell first, or leave out --ros to run without ROS`;
  }
  return undefined;
}

/**
 * The rclnodejs module. `importModule` is for tests; production code uses the dynamic import.
 * Throws `RosUnavailableError` when ROS 2 is not sourced, rclnodejs is not installed, or it fails to load.
 */
export async function loadRclnodejs(env: NodeJS.ProcessEnv = process.env, importModule: (name: string) => Promise<unknown> = (name) => import(name)): Promise<Rclnodejs> {
  const problem = rosEnvironmentProblem(env);
  if (problem) throw new RosUnavailableError(problem);
  let mod: unknown;
  try {
    mod = await importModule("rclnodejs");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new RosUnavailableError(
        `rclnodejs is not installed: with ROS 2 ${env.ROS_DISTRO} sourced, run 'npm install' in the tendon folder (npm runs rclnodejs's install script, approved in package.json's allowScripts; see README, "ROS 2")`,
      );
    }
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new RosUnavailableError(`rclnodejs failed to load (${first}): rebuild it with ROS 2 ${env.ROS_DISTRO} sourced: 'npm rebuild rclnodejs'`);
  }
  const m = mod as { default?: unknown };
  return (m.default ?? mod) as Rclnodejs;
}
