/**
 * Coded errors. Every code is listed in docs/errors.md (a test keeps the two in sync).
 * `exitCode` follows sysexits: 2 usage/config, 65 bad input data, 69 service unavailable,
 * 70 internal, 75 temporary failure.
 */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { exitCode: 2, summary: 'A configuration value is missing, unknown or malformed.' },
  USAGE: { exitCode: 2, summary: 'A command was called with wrong arguments.' },
  SPEC_INVALID: { exitCode: 2, summary: 'A vendor spec file failed validation.' },
  DATABASE_UNREACHABLE: { exitCode: 69, summary: 'The configured database did not answer.' },
  REDIS_UNREACHABLE: { exitCode: 69, summary: 'The configured Redis did not answer.' },
  SERVICE_UNAVAILABLE: { exitCode: 69, summary: 'An internal service or vendor endpoint is unavailable.' },
  NESTED_UNIT_OF_WORK: { exitCode: 70, summary: 'A unit of work was opened inside another one (would deadlock on PGlite).' },
  NOT_FOUND: { exitCode: 66, summary: 'A referenced entity (tenant, run, cycle, file) does not exist.' },
  CONFLICT: { exitCode: 75, summary: 'The operation conflicts with concurrent work (another cycle, a newer lease).' },
  INPUT_INVALID: { exitCode: 65, summary: 'Input data was rejected.' },
  URL_BLOCKED: { exitCode: 65, summary: 'A URL was refused by the SSRF guard (the reason code says why).' },
  INTERNAL: { exitCode: 70, summary: 'An unexpected internal failure.' },
  HOST_KEY_REJECTED: { exitCode: 69, summary: 'A vendor server presented a host key that does not match the pinned fingerprint.' },
  SFTP_AUTH_FAILED: { exitCode: 69, summary: 'A vendor SFTP server refused our credentials.' },
  VENDOR_PATH_MISSING: { exitCode: 69, summary: "A directory named in a vendor spec (outbox or inbox) does not exist on the vendor's server." },
  TRANSFER_FAILED: { exitCode: 75, summary: 'A file transfer to or from a vendor failed after its retries.' },
  TRANSFER_VERIFY_FAILED: { exitCode: 75, summary: 'A transferred file did not match its expected size or checksum.' },
  PGP_VERIFY_FAILED: { exitCode: 65, summary: 'A PGP-encrypted vendor file failed decryption or its integrity check.' },
  CIRCUIT_OPEN: { exitCode: 75, summary: 'Calls to an internal service are paused after repeated failures (circuit breaker open).' },
  GATHER_INCOMPLETE: { exitCode: 69, summary: 'Too many employees could not be gathered for a vendor file to be sent.' },
  SERVICE_RESPONSE_INVALID: { exitCode: 65, summary: 'An internal service answered with data that failed validation.' },
} as const satisfies Record<string, { exitCode: number; summary: string }>;

export class VendorflowError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VendorflowError';
    this.code = code;
    this.exitCode = ERROR_CATALOGUE[code].exitCode;
  }
}

/** Control flow: the job must not be retried (bad input, refused by policy). */
export class NonRetryableError extends VendorflowError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'NonRetryableError';
  }
}

/** Control flow: try again after `delayMs` (rate limited, dependency briefly down). */
export class RetryLaterError extends VendorflowError {
  readonly delayMs: number;
  constructor(delayMs: number, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'SERVICE_UNAVAILABLE', message, options);
    this.name = 'RetryLaterError';
    this.delayMs = delayMs;
  }
}

/**
 * Codes no retry can change: the same config, spec or arguments fail the same way next time, so
 * retrying only delays the operator's error (and burns the attempts a transient failure would need).
 */
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CONFIG_INVALID', 'SPEC_INVALID', 'USAGE']);

/** True when a job that threw this must fail now rather than be retried. */
export function isPermanentFailure(e: unknown): e is VendorflowError {
  return e instanceof NonRetryableError || (e instanceof VendorflowError && PERMANENT_CODES.has(e.code));
}

export function isVendorflowError(e: unknown): e is VendorflowError {
  return e instanceof VendorflowError;
}
