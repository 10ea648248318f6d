import { isPermanentFailure, RetryLaterError } from '../../shared/errors.js';
import type { QueueOptions } from './port.js';

/** Milliseconds before the next delivery, or null when the error must not be retried. */
export function retryDelay(error: unknown, attempt: number, opts: QueueOptions, random = Math.random): number | null {
  if (isPermanentFailure(error)) return null;
  if (attempt >= opts.attempts) return null;
  if (error instanceof RetryLaterError) return Math.max(0, error.delayMs);
  const ceiling = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1));
  // Jitter keeps jobs that failed together from retrying together; the floor keeps the backoff real.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
