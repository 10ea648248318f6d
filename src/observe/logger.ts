import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (JSON lines on stderr, so stdout stays for command output and --json). Sensitive
 * employee fields are censored by key wherever they appear in a logged object; callers still never
 * log raw rows or snapshots.
 */
const SENSITIVE_KEYS = ['ssn', 'dateOfBirth', 'dob', 'birthDate', 'annualSalary', 'salary', 'address', 'pii', 'password', 'passphrase', 'privateKey'];

export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(opts: { level: string; destination?: NodeJS.WritableStream; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'vendorflow',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  }, (opts.destination ?? process.stderr) as pino.DestinationStream);
}
