/**
 * Kinematics of a planar serial arm (hinges about z, links along the local x axis): the
 * fingertip from the joint angles. The reach task uses it instead of a simulator query so the
 * same task runs on the real arm, whose joints are measured but whose fingertip is not.
 * Defaults fit the built-in `arm2j6m` (upper arm 0.30 m, forearm to fingertip 0.30 m, shoulder
 * at the origin); a test checks them against MuJoCo's `fingertip` site.
 */
export interface PlanarArmOptions {
  /** Link lengths (m), shoulder outwards. */
  readonly linksM?: readonly number[];
  /** Shoulder position (m). */
  readonly baseM?: readonly [number, number];
}

export class PlanarArm {
  readonly linksM: readonly number[];
  readonly baseM: readonly [number, number];

  constructor(options: PlanarArmOptions = {}) {
    this.linksM = options.linksM ?? [0.3, 0.3];
    this.baseM = options.baseM ?? [0, 0];
    if (this.linksM.length < 1 || this.linksM.some((l) => !(l > 0))) throw new RangeError(`PlanarArm: link lengths must be > 0, got ${this.linksM.join(", ")}`);
  }

  get reachM(): number {
    return this.linksM.reduce((a, b) => a + b, 0);
  }

  /** Fingertip (x, y) in m for joint angles `q` (rad), written to `out` at `offset`. */
  fingertip(q: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    let x = this.baseM[0];
    let y = this.baseM[1];
    let angle = 0;
    for (let i = 0; i < this.linksM.length; i++) {
      angle += q[i];
      x += this.linksM[i] * Math.cos(angle);
      y += this.linksM[i] * Math.sin(angle);
    }
    out[offset] = x;
    out[offset + 1] = y;
    return out;
  }
}
