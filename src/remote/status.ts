import type { HostStatus, RtkError } from '../domain/types.js';

/** The host status shown for a transport error (ls --json `hosts[].status`, the status bar). */
export function statusOf(error: RtkError | null | undefined): HostStatus {
  if (!error) return 'connected';
  switch (error.kind) {
    case 'auth':
      return 'auth-failed';
    case 'host-key-unknown':
      return 'host-key-unknown';
    case 'host-key-mismatch':
      return 'host-key-mismatch';
    case 'unreachable':
    case 'timeout':
      return 'unreachable';
    default:
      return 'error';
  }
}

/** Errors after which reconnecting cannot help until the user acts. */
export function isFatal(error: RtkError): boolean {
  return error.retry === false || error.kind === 'auth' || error.kind === 'host-key-unknown' || error.kind === 'host-key-mismatch' || error.kind === 'config';
}
