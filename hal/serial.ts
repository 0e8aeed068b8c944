/** The console UART: the loader's serial recovery runs on it (115200 8N1 on the board). */
export interface SerialPort {
  /** Queue bytes for transmission; the port copies them. */
  write(bytes: Uint8Array): void;
  /** Receive callback: one call per chunk as the UART delivers it. */
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Line rate in bits per second (for pacing and inactivity timeouts). */
  baudRate(): number;
}
