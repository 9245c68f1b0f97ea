/**
 * Simulated muscle boards on pseudo-terminals: the board side of the protocol, driven by a
 * physics plant (by default the built-in MuJoCo arm `arm2j6m`) in real time. Each port is a
 * socat pty pair; the host opens `hostPaths[k]` as it would open a USB serial device. Several
 * boards can share a port (told apart by id), and boards can be spread over several ports.
 *
 * Faults for tests and demonstrations: garbage bytes, bit flips, dropped and delayed frames (per
 * port, as rates or one-shot), a board reset, a silent board (`mute`), and a pulled cable
 * (`disconnect`: the pty pair vanishes and comes back at the same path).
 *
 * The physics steps on absolute wall-clock deadlines (`rateHz`), catching up after a late timer
 * (at most 10 steps at once). Commands take effect at the next step.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SerialLink } from "../SerialLink.js";
import { BROADCAST_ID, MAX_BOARD_ID, MAX_JOINTS } from "../protocol/constants.js";
import { FrameDecoder } from "../protocol/FrameDecoder.js";
import { FaultInjector, type FaultRates, type OneShotFault } from "./FaultInjector.js";
import { PtyPair } from "./PtyPair.js";
import { ArmPlant, MotorPlant, type Plant } from "./plants.js";
import { SimBoard } from "./SimBoard.js";

export interface BoardSimulatorOptions {
  /** Number of boards; the plant's muscles are split evenly among them. Default 1. */
  readonly boards?: number;
  /** Number of ports (pty pairs); board k goes on port k mod ports. Default 1. */
  readonly ports?: number;
  /** Id of the first board; the others follow. Default 1. */
  readonly firstId?: number;
  /** "arm" (MuJoCo, default), "motors" (independent motor-spring units), or a plant of your own. */
  readonly plant?: "arm" | "motors" | Plant;
  /** Arm model (built-in name or MJCF file). Default "arm2j6m". */
  readonly model?: string;
  /** Muscles of the "motors" plant. Default 8. */
  readonly muscles?: number;
  /** Joint sensors of the "motors" plant. Default 0. */
  readonly joints?: number;
  /** Physics steps per second. Default 500. */
  readonly rateHz?: number;
  readonly faults?: FaultRates;
  readonly seed?: number;
  /** Folder for the device links (default: a new temporary folder, removed by `stop()`). */
  readonly dir?: string;
}

interface SimPort {
  readonly index: number;
  readonly hostPath: string;
  readonly boardPath: string;
  readonly boards: SimBoard[];
  readonly decoder: FrameDecoder;
  readonly injector: FaultInjector;
  pty: PtyPair | undefined;
  link: SerialLink | undefined;
  /** The cable is pulled (by `disconnect`). */
  down: boolean;
}

export class BoardSimulator {
  readonly plant: Plant;
  readonly boards: readonly SimBoard[];
  readonly #ports: SimPort[];
  readonly #dir: string;
  readonly #ownDir: boolean;
  readonly #stepMs: number;
  #timer: NodeJS.Timeout | undefined;
  #startMs = 0;
  #steps = 0;
  #stopped = false;
  /** Physics steps skipped because the process fell behind by more than 10 steps. */
  skippedSteps = 0;

  private constructor(plant: Plant, ports: SimPort[], boards: SimBoard[], dir: string, ownDir: boolean, stepMs: number) {
    this.plant = plant;
    this.#ports = ports;
    this.boards = boards;
    this.#dir = dir;
    this.#ownDir = ownDir;
    this.#stepMs = stepMs;
  }

  static async start(options: BoardSimulatorOptions = {}): Promise<BoardSimulator> {
    const nBoards = options.boards ?? 1;
    const nPorts = options.ports ?? 1;
    const firstId = options.firstId ?? 1;
    const rateHz = options.rateHz ?? 500;
    if (!Number.isInteger(nBoards) || nBoards < 1) throw new RangeError(`boards must be a whole number >= 1, got ${nBoards}`);
    if (!Number.isInteger(nPorts) || nPorts < 1 || nPorts > nBoards) throw new RangeError(`ports must be a whole number in 1..boards (${nBoards}), got ${nPorts}`);
    if (!Number.isInteger(firstId) || firstId < 1 || firstId + nBoards - 1 > MAX_BOARD_ID) throw new RangeError(`board ids ${firstId}..${firstId + nBoards - 1} are not all in 1..${MAX_BOARD_ID}`);
    if (!(rateHz > 0 && rateHz <= 5000)) throw new RangeError(`rate must be in (0, 5000] Hz, got ${rateHz}`);
    const stepSec = 1 / rateHz;
    const plant: Plant =
      typeof options.plant === "object"
        ? options.plant
        : options.plant === "motors"
          ? new MotorPlant({ muscles: options.muscles ?? 8, joints: options.joints ?? 0, stepSec })
          : await ArmPlant.create({ model: options.model, stepSec, seed: options.seed });
    if (plant.muscleCount < nBoards) throw new RangeError(`${nBoards} boards need at least ${nBoards} muscles; the plant has ${plant.muscleCount}`);
    const ownDir = options.dir === undefined;
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tendon-board-sim-"));
    fs.mkdirSync(dir, { recursive: true });

    const ports: SimPort[] = [];
    const boards: SimBoard[] = [];
    const nowUs = (): number => performance.now() * 1000;
    for (let k = 0; k < nPorts; k++) {
      const port: SimPort = {
        index: k,
        hostPath: path.join(dir, `host${k}`),
        boardPath: path.join(dir, `board${k}`),
        boards: [],
        decoder: new FrameDecoder((f) => {
          for (const b of port.boards) if (f.boardId === b.id || f.boardId === BROADCAST_ID) b.handleFrame(f);
        }),
        injector: new FaultInjector((bytes) => port.link?.write(bytes), options.faults, (options.seed ?? 0) * 31 + k),
        pty: undefined,
        link: undefined,
        down: false,
      };
      ports.push(port);
    }
    const jointCount = Math.min(plant.jointCount, MAX_JOINTS);
    for (let k = 0; k < nBoards; k++) {
      const from = Math.floor((k * plant.muscleCount) / nBoards);
      const to = Math.floor(((k + 1) * plant.muscleCount) / nBoards);
      const port = ports[k % nPorts];
      const board = new SimBoard(
        { id: firstId + k, muscleOffset: from, muscleCount: to - from, jointOffset: 0, jointCount: k === 0 ? jointCount : 0 },
        plant,
        (bytes) => port.injector.send(bytes),
        nowUs,
      );
      port.boards.push(board);
      boards.push(board);
    }
    const sim = new BoardSimulator(plant, ports, boards, dir, ownDir, stepSec * 1000);
    try {
      for (const p of ports) await sim.#connect(p);
    } catch (err) {
      await sim.stop();
      throw err;
    }
    for (const b of boards) b.powerOn();
    sim.#startMs = performance.now();
    sim.#schedule();
    return sim;
  }

  /** Device paths for the host, one per port. */
  get hostPaths(): string[] {
    return this.#ports.map((p) => p.hostPath);
  }

  /**
   * A `tendon hw --config` file's contents for these boards: the ports with their board ids, and
   * the joints (all on the first board) with the plant's names and limits, so that a host run
   * measures coverage on the same grid as `tendon sim` on the same model (without ranges the
   * boards' joints count as unlimited: a [-pi, pi] grid, which the arm's motion fills far less).
   */
  hostConfig(): { ports: { path: string; boards: number[] }[]; joints: { name: string; rangeRad: [number, number] | null }[] } {
    return {
      ports: this.#ports.map((p) => ({ path: p.hostPath, boards: p.boards.map((b) => b.id) })),
      joints: this.plant.joints.slice(0, this.boards[0]?.jointCount ?? 0).map((j) => ({ name: j.name, rangeRad: j.rangeRad ? [j.rangeRad[0], j.rangeRad[1]] : null })),
    };
  }

  /** Writes `hostConfig()` as JSON into the device folder (`board-sim.hw.json`); returns its path. */
  writeHostConfig(): string {
    const file = path.join(this.#dir, "board-sim.hw.json");
    fs.writeFileSync(file, `${JSON.stringify(this.hostConfig(), null, 2)}\n`);
    return file;
  }

  /** Board ids per port. */
  get portBoards(): number[][] {
    return this.#ports.map((p) => p.boards.map((b) => b.id));
  }

  /** The pseudo-terminal devices behind the host paths (they change after a disconnect). */
  get hostDevices(): string[] {
    return this.#ports.map((p) => p.pty?.devices[0] ?? "");
  }

  board(id: number): SimBoard {
    const b = this.boards.find((x) => x.id === id);
    if (!b) throw new RangeError(`no simulated board with id ${id}`);
    return b;
  }

  /** Per-port link counters: what the boards decoded and what the fault injector did. */
  portCounters(): Array<{ hostPath: string; decoder: FrameDecoder["counters"]; faults: FaultInjector["counters"]; down: boolean }> {
    return this.#ports.map((p) => ({ hostPath: p.hostPath, decoder: { ...p.decoder.counters }, faults: { ...p.injector.counters }, down: p.down }));
  }

  /** Sets fault rates on one port (index) or all. */
  setFaults(rates: FaultRates, port?: number): void {
    for (const p of this.#select(port)) p.injector.setRates(rates);
  }

  /** A one-shot fault on the next frame of one port (index) or all. */
  inject(fault: OneShotFault, port?: number): void {
    for (const p of this.#select(port)) p.injector.once(fault);
  }

  /** Reboots a board (it forgets its parameters and announces itself). */
  resetBoard(id: number): void {
    this.board(id).reset();
  }

  /** Makes a board silent (or speak again). */
  mute(id: number, muted: boolean): void {
    this.board(id).muted = muted;
  }

  /**
   * Pulls the cable of one port (index) or all: the pty pair ends (the host's device vanishes),
   * and after `downMs` a new pair appears at the same paths. Resolves when the cable is back.
   */
  async disconnect(downMs: number, port?: number): Promise<void> {
    const ports = this.#select(port);
    await Promise.all(ports.map((p) => this.#pull(p)));
    await sleep(downMs);
    if (this.#stopped) return;
    await Promise.all(ports.map((p) => this.#connect(p)));
  }

  /** Pulls the cable and leaves it out until `reconnect()`. */
  async unplug(port?: number): Promise<void> {
    await Promise.all(this.#select(port).map((p) => this.#pull(p)));
  }

  async reconnect(port?: number): Promise<void> {
    await Promise.all(this.#select(port).filter((p) => p.down).map((p) => this.#connect(p)));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#ports.map((p) => this.#pull(p)));
    await this.plant.close();
    if (this.#ownDir) fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  #select(port: number | undefined): SimPort[] {
    if (port === undefined) return this.#ports;
    const p = this.#ports[port];
    if (!p) throw new RangeError(`no simulated port ${port}`);
    return [p];
  }

  async #connect(p: SimPort): Promise<void> {
    p.pty = await PtyPair.open({ links: [p.hostPath, p.boardPath] });
    p.decoder.reset();
    p.link = await SerialLink.open(
      { path: p.boardPath },
      {
        onData: (chunk) => {
          p.decoder.push(chunk);
          const bad = p.decoder.counters.resyncs;
          for (const b of p.boards) b.rxErrors = bad;
        },
        onEnd: () => {
          p.link = undefined;
        },
      },
    );
    p.down = false;
  }

  async #pull(p: SimPort): Promise<void> {
    p.down = true;
    p.injector.clear();
    const link = p.link;
    p.link = undefined;
    const pty = p.pty;
    p.pty = undefined;
    await link?.close();
    await pty?.close();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const next = this.#startMs + (this.#steps + 1) * this.#stepMs;
    this.#timer = setTimeout(() => this.#run(), Math.max(0, next - performance.now()));
  }

  #run(): void {
    if (this.#stopped) return;
    let due = Math.floor((performance.now() - this.#startMs) / this.#stepMs) - this.#steps;
    if (due > 10) {
      this.skippedSteps += due - 10;
      this.#steps += due - 10;
      due = 10;
    }
    for (let k = 0; k < due; k++) {
      for (const b of this.boards) b.applyToPlant();
      this.plant.step();
      this.#steps++;
      for (const b of this.boards) b.afterStep();
    }
    this.#schedule();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
