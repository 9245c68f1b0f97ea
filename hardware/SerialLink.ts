/**
 * A byte link over a serial device (USB CDC, UART adapter, or a pseudo-terminal): the only module
 * that imports `serialport`. Opening is asynchronous; writes are queued by the library; data,
 * errors and the end of the link arrive as callbacks.
 *
 * A link is opened once: after it ends (closed, device gone, write error) make a new one.
 */
import { SerialPort } from "serialport";

export interface SerialLinkHandlers {
  onData(chunk: Buffer): void;
  /** The link ended: closed by us (`error` undefined) or lost (device vanished, I/O error). Called once. */
  onEnd(error: Error | undefined): void;
}

export interface SerialLinkOptions {
  readonly path: string;
  /** Ignored by USB CDC and pseudo-terminals; used by real UARTs. Default 2,000,000. */
  readonly baudRate?: number;
}

export class SerialLink {
  readonly path: string;
  readonly #port: SerialPort;
  readonly #handlers: SerialLinkHandlers;
  #ended = false;
  #closing = false;
  /** Bytes handed to the port for writing. */
  bytesWritten = 0;

  private constructor(port: SerialPort, path: string, handlers: SerialLinkHandlers) {
    this.#port = port;
    this.path = path;
    this.#handlers = handlers;
  }

  /** The serial devices the system knows of (USB adapters and boards with their maker and serial number). */
  static async list(): Promise<{ path: string; description: string }[]> {
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      description: [p.manufacturer, p.serialNumber && `serial ${p.serialNumber}`, p.vendorId && `USB ${p.vendorId}:${p.productId ?? "?"}`].filter(Boolean).join(", "),
    }));
  }

  /** Opens the device; rejects with the system's reason (ENOENT when the device is not there). */
  static open(options: SerialLinkOptions, handlers: SerialLinkHandlers): Promise<SerialLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? 2_000_000, autoOpen: false, hupcl: false });
      port.open((err) => {
        if (err) {
          reject(err);
          return;
        }
        const link = new SerialLink(port, options.path, handlers);
        port.on("data", (chunk: Buffer) => {
          if (!link.#ended) handlers.onData(chunk);
        });
        port.on("error", (e: Error) => link.#end(e));
        port.on("close", (e?: Error) => link.#end(link.#closing ? undefined : (e ?? new Error("port closed"))));
        resolve(link);
      });
    });
  }

  get isOpen(): boolean {
    return !this.#ended && this.#port.isOpen;
  }

  /** Queues bytes for writing (copied: the caller may reuse its buffer at once). False when the link has ended. */
  write(bytes: Uint8Array): boolean {
    if (this.#ended) return false;
    this.bytesWritten += bytes.length;
    this.#port.write(Buffer.from(bytes));
    return true;
  }

  /**
   * Closes the link once the bytes already queued have gone out (the safe command and OFF frames
   * written on shutdown must reach the boards), or after `drainTimeoutMs` if the device does not
   * take them. Resolves once closed. Safe to call more than once.
   */
  close(drainTimeoutMs = 250): Promise<void> {
    if (this.#closing || !this.#port.isOpen) {
      this.#end(undefined);
      return Promise.resolve();
    }
    this.#closing = true;
    return new Promise((resolve) => {
      let closed = false;
      const closeNow = (): void => {
        if (closed) return;
        closed = true;
        clearTimeout(guard);
        this.#port.close(() => {
          this.#end(undefined);
          resolve();
        });
      };
      const guard = setTimeout(closeNow, drainTimeoutMs);
      this.#port.drain(() => closeNow());
    });
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error && !this.#closing) {
      // The device is gone or broken: release the descriptor; errors from that are moot.
      this.#closing = true;
      if (this.#port.isOpen) this.#port.close(() => undefined);
    }
    this.#handlers.onEnd(error);
  }
}
