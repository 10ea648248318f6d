import { appendFileSync } from 'node:fs';

/**
 * Test-only crash hook. When VENDORFLOW_CRASH_AT names this point, the process records that it got
 * here (VENDORFLOW_CRASH_MARKER, a file path, so a test can assert the point was reached) and
 * SIGKILLs itself: no finally blocks, no flushes — exactly what a power cut looks like.
 * VENDORFLOW_CRASH_AFTER=N lets the point pass N times first.
 */
const passes = new Map<string, number>();

export function crashPoint(name: string): void {
  const wanted = process.env.VENDORFLOW_CRASH_AT;
  if (!wanted || wanted !== name) return;
  const skip = Number(process.env.VENDORFLOW_CRASH_AFTER ?? '0');
  const seen = (passes.get(name) ?? 0) + 1;
  passes.set(name, seen);
  if (seen <= skip) return;
  const marker = process.env.VENDORFLOW_CRASH_MARKER;
  if (marker) appendFileSync(marker, `${name} pid=${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
