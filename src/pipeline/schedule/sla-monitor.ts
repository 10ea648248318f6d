import type { Database } from '../../engines/database/port.js';
import type { SlaCount } from '../../engines/database/repositories/sla.js';

/** A vendor spec's `schedule.sla`. */
export interface SlaTerms { deliveryMinutes: number; responseHours?: number | undefined }

/**
 * Judges every cycle's SLA from rows, so whichever process does it (the active scheduler, each tick)
 * the verdict is the same. A cycle's delivery deadline is its scheduled time plus the vendor's
 * `deliveryMinutes`, stamped on cycles that have none; a cycle not delivered by then is missed at once
 * (it goes on). The response deadline is set when the cycle starts to await (the reconciler marks it
 * `awaiting-overdue` and missed). Met is decided when the cycle is done with neither deadline missed.
 */
export async function evaluateSla(db: Database, vendors: ReadonlyArray<{ vendorId: string; sla: SlaTerms }>): Promise<{ stamped: number; missed: string[] }> {
  let stamped = 0;
  for (const v of vendors) {
    for (;;) {
      const n = await db.unitOfWork((r) => r.sla.stampDeliveryDeadlines(v.vendorId, v.sla.deliveryMinutes));
      stamped += n;
      if (n < 1000) break;
    }
  }
  const missed: string[] = [];
  for (;;) {
    const ids = await db.unitOfWork((r) => r.sla.markDeliveryOverdue());
    missed.push(...ids);
    if (ids.length < 1000) break;
  }
  return { stamped, missed };
}

/** Met / missed / open per tenant × vendor since a time: what monitoring and the API report. */
export function slaCounts(db: Database, since: Date): Promise<SlaCount[]> {
  return db.unitOfWork((r) => r.sla.counts(since));
}
