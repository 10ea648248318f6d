import { randomBytes } from 'node:crypto';

/** W3C Trace Context: one trace id per unit of work (a gather), a new span id per HTTP attempt. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function traceparent(traceId: string, sampled = true): string {
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) throw new RangeError(`invalid trace id "${traceId}"`);
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${sampled ? '01' : '00'}`;
}
