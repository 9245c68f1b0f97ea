/**
 * Per-muscle and per-joint calibration: raw board counts to SI units and back. The host owns the
 * calibration; the spring part is also sent to each board (CONFIG_MUSCLE) so that the board's
 * force mode and force limit use the same curve.
 *
 * Conventions (docs/protocol.md, "Units"):
 * - motor position (rad) = counts / countsPerRad; winding the tendon is positive;
 * - spring displacement (m) = counts x metersPerCount;
 * - tendon force (N) = c0 + c1 x + c2 x^2 + c3 x^3 with x the displacement (m);
 * - musculotendon length (m) = lengthOffsetM - spoolRadiusM x motor position + displacement;
 * - motor current (A) = counts x ampsPerCount;
 * - joint angle (rad) = counts x 2 pi / 4096 - zeroRad (x sign), wrapped to [-pi, pi).
 */

export interface MuscleCalibration {
  /** Encoder counts per motor radian (after the gearbox). */
  readonly countsPerRad: number;
  /** Tendon wound per motor radian (m/rad). */
  readonly spoolRadiusM: number;
  /** Musculotendon length at motor position 0 and no spring displacement (m). */
  readonly lengthOffsetM: number;
  /** Spring displacement per count (m). */
  readonly metersPerCount: number;
  /** Force curve coefficients [c0, c1, c2, c3]: N = c0 + c1 x + c2 x^2 + c3 x^3, x in m. */
  readonly spring: readonly [number, number, number, number];
  /** Motor current per count (A). */
  readonly ampsPerCount: number;
}

export interface JointCalibration {
  /** Angle (rad) that reads as count 0. */
  readonly zeroRad: number;
  /** +1 or -1: the sensor's direction against the joint's. */
  readonly sign: number;
}

/** 512-line encoder, x4 quadrature, 53:1 gearbox: counts per motor-output radian. */
export const DEFAULT_COUNTS_PER_RAD = (512 * 4 * 53) / (2 * Math.PI);

/**
 * Defaults after the original Myorobotics units: one displacement count = 15 µm, one current
 * count = 16 mA, a stiffening spring (about 60 N at 10 mm, 240 N at 20 mm), a 10 mm spool.
 */
export const DEFAULT_MUSCLE_CALIBRATION: MuscleCalibration = {
  countsPerRad: DEFAULT_COUNTS_PER_RAD,
  spoolRadiusM: 0.01,
  lengthOffsetM: 0,
  metersPerCount: 15e-6,
  spring: [0, 4000, 0, 2e7],
  ampsPerCount: 0.016,
};

export const DEFAULT_JOINT_CALIBRATION: JointCalibration = { zeroRad: 0, sign: 1 };

export const JOINT_COUNTS = 4096;

export function springForceN(c: MuscleCalibration, displacementM: number): number {
  const s = c.spring;
  return s[0] + displacementM * (s[1] + displacementM * (s[2] + displacementM * s[3]));
}

/**
 * The displacement (m) at which the spring curve gives `forceN`, by Newton's method from the
 * linear guess; for a monotonic curve over the working range. Allocates nothing.
 */
export function springDisplacementM(c: MuscleCalibration, forceN: number): number {
  const s = c.spring;
  let x = s[1] !== 0 ? (forceN - s[0]) / s[1] : 0;
  for (let k = 0; k < 20; k++) {
    const f = s[0] + x * (s[1] + x * (s[2] + x * s[3])) - forceN;
    const df = s[1] + x * (2 * s[2] + 3 * x * s[3]);
    if (!(Math.abs(df) > 1e-12)) break;
    const dx = f / df;
    x -= dx;
    if (Math.abs(dx) < 1e-12) break;
  }
  return x;
}

export function jointAngleRad(c: JointCalibration, counts: number): number {
  let a = c.sign * ((counts * 2 * Math.PI) / JOINT_COUNTS - c.zeroRad);
  a = ((a + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
  return a;
}

export function jointCounts(c: JointCalibration, angleRad: number): number {
  const a = angleRad * c.sign + c.zeroRad;
  const n = Math.round((a / (2 * Math.PI)) * JOINT_COUNTS) % JOINT_COUNTS;
  return n < 0 ? n + JOINT_COUNTS : n;
}

/** Checks a calibration; throws a RangeError naming the bad field. */
export function validateMuscleCalibration(c: MuscleCalibration, label: string): void {
  const positive: (keyof MuscleCalibration)[] = ["countsPerRad", "spoolRadiusM", "metersPerCount", "ampsPerCount"];
  for (const k of positive) {
    const v = c[k] as number;
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${label}: calibration ${k} must be a positive number, got ${v}`);
  }
  if (!Number.isFinite(c.lengthOffsetM)) throw new RangeError(`${label}: calibration lengthOffsetM must be finite`);
  if (c.spring.length !== 4 || !c.spring.every(Number.isFinite)) throw new RangeError(`${label}: calibration spring needs 4 finite coefficients`);
  if (!(c.spring[1] > 0)) throw new RangeError(`${label}: calibration spring c1 (N/m) must be > 0 so that force rises with displacement`);
}
