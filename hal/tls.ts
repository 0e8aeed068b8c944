/**
 * A TLS client engine that never touches a socket: the firmware's own TCP carries its
 * records. The engine takes ciphertext from the network with `receive`, hands ciphertext
 * to send through `onSend`, and exchanges plaintext through `write` / `onData`.
 * On a board this wraps mbedTLS (Moddable `SecureSocket` cannot be used: it owns its socket);
 * on the host it is node:tls over a Duplex (hal/sim/tls-host.ts).
 */
export interface TlsClientOptions {
  /** SNI and the name checked against the certificate, when checkName is true. */
  serverName: string;
  /** DER certificates of the trust list (CTL/ITL); the peer must chain to one of them. */
  trusted: Uint8Array[];
  /** Check the certificate's name against serverName (CallManager certs often fail this). */
  checkName: boolean;
}

export interface TlsEvents {
  /** Ciphertext to put on the TCP connection. */
  onSend(bytes: Uint8Array): void;
  /** The handshake finished and the peer certificate was accepted. */
  onConnected(peerCertificate: Uint8Array): void;
  /** Plaintext from the peer. */
  onData(bytes: Uint8Array): void;
  /** Handshake failure, bad certificate, alert, or close: the session is over. */
  onClose(reason: string): void;
}

export interface TlsSession {
  /** Ciphertext that arrived from TCP. */
  receive(bytes: Uint8Array): void;
  /** Plaintext to send (queued until the handshake is done). */
  write(bytes: Uint8Array): void;
  /** Send close_notify and end the session. */
  close(): void;
}

export interface Tls {
  connect(options: TlsClientOptions, events: TlsEvents): TlsSession;
}
