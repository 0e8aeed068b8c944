/**
 * The value every parser returns: the typed representation, or a typed error. Parsers of
 * untrusted input (wire, files, flash) never throw; they return `fail(...)` and the caller
 * counts, logs and drops.
 */
export type ErrorCode =
  | 'truncated'    // fewer bytes than a length field or fixed header says
  | 'malformed'    // a field holds a value the format does not allow
  | 'checksum'     // checksum / CRC / hash mismatch
  | 'unsupported'  // valid but not handled here (version, option, type)
  | 'too-large'    // over a bound this implementation sets
  | 'signature'    // a signature does not verify
  | 'refused';     // well formed but refused by policy (downgrade, untrusted signer)

export interface Ok<T> { readonly ok: true; readonly value: T }
export interface Fail { readonly ok: false; readonly error: ErrorCode; readonly detail: string }
export type Result<T> = Ok<T> | Fail;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value: value };
}

export function fail(error: ErrorCode, detail: string): Fail {
  return { ok: false, error: error, detail: detail };
}

/** "truncated: UDP header needs 8 bytes, got 5" */
export function describe(f: Fail): string {
  return f.error + ': ' + f.detail;
}
