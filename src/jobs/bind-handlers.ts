import type { JobContext, RegisteredHandler } from '../engines/queue/port.js';
import { NonRetryableError, VendorflowError } from '../shared/errors.js';
import { JOB_CATALOGUE, type JobName, type JobPayload } from './catalogue.js';

export interface JobImplementation<N extends JobName = JobName> {
  name: N;
  handle(payload: JobPayload<N>, ctx: JobContext): Promise<void>;
}

export function implement<N extends JobName>(name: N, handle: (payload: JobPayload<N>, ctx: JobContext) => Promise<void>): JobImplementation<N> {
  return { name, handle };
}

/**
 * The queue's handler table, checked against the catalogue: a catalogued job with no handler, a job
 * with two, or a handler for a job the catalogue does not know stops start-up. Payloads are parsed
 * before the handler sees them; a malformed one is never retried.
 */
export function bindHandlers(
  implementations: readonly JobImplementation<any>[],
  catalogue: Record<string, { payload: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { message: string } } }; writesDatabase: boolean }> = JOB_CATALOGUE,
): Map<string, RegisteredHandler> {
  const table = new Map<string, RegisteredHandler>();
  const problems: string[] = [];
  for (const impl of implementations) {
    const entry = catalogue[impl.name];
    if (!entry) { problems.push(`handler for unknown job ${impl.name}`); continue; }
    if (table.has(impl.name)) { problems.push(`job ${impl.name} has two handlers`); continue; }
    table.set(impl.name, {
      writesDatabase: entry.writesDatabase,
      async handler(payload, ctx) {
        const parsed = entry.payload.safeParse(payload);
        if (!parsed.success) throw new NonRetryableError('INTERNAL', `job ${ctx.id}: malformed payload: ${parsed.error?.message}`);
        await impl.handle(parsed.data, ctx);
      },
    });
  }
  for (const name of Object.keys(catalogue)) if (!table.has(name)) problems.push(`job ${name} has no handler`);
  if (problems.length) throw new VendorflowError('INTERNAL', `job catalogue: ${problems.join('; ')}`);
  return table;
}
