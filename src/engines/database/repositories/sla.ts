import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { MAX_CHUNK } from './chunk.js';

export interface SlaCount { tenantId: string; vendorId: string; met: number; missed: number; open: number }

export interface SlaRepository {
  /**
   * Gives up to one chunk of the vendor's cycles that have none a delivery deadline (scheduled time +
   * `deliveryMinutes`), judging at once those already delivered late or not delivered in time;
   * returns how many were stamped.
   */
  stampDeliveryDeadlines(vendorId: string, deliveryMinutes: number): Promise<number>;
  /** Cycles past their delivery deadline without a delivered file: SLA missed (the cycle goes on). Up to one chunk. */
  markDeliveryOverdue(): Promise<string[]>;
  /** Met / missed / not yet decided, per tenant × vendor, for cycles scheduled at or after `since`. */
  counts(since: Date): Promise<SlaCount[]>;
}

export function createSlaRepository(db: Kysely<DB>): SlaRepository {
  return {
    async stampDeliveryDeadlines(vendorId, minutes) {
      const r = await sql`with due as (
          select cycle_id, scheduled_for + make_interval(mins => ${minutes}::int) as at from cycles
          where vendor_id = ${vendorId} and delivery_deadline is null and status <> 'cancelled'
          order by cycle_id limit ${MAX_CHUNK}),
        judged as (
          select due.cycle_id, due.at, (c.delivered_at > due.at
            or (c.delivered_at is null and c.status in ('pending', 'running', 'failed') and now() > due.at)) as late
          from due join cycles c on c.cycle_id = due.cycle_id)
        update cycles c set delivery_deadline = j.at,
          sla_status = case when j.late then 'missed' else c.sla_status end,
          sla_reason = case when j.late and c.sla_status is distinct from 'missed' then 'delivery' else c.sla_reason end
        from judged j where c.cycle_id = j.cycle_id`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
    async markDeliveryOverdue() {
      const r = await sql<{ cycle_id: string }>`update cycles set sla_status = 'missed', sla_reason = 'delivery', updated_at = now()
        where cycle_id in (select cycle_id from cycles where sla_status is null and delivered_at is null
          and delivery_deadline < now() and status in ('pending', 'running', 'failed')
          order by delivery_deadline limit ${MAX_CHUNK})
        returning cycle_id`.execute(db);
      return r.rows.map((x) => x.cycle_id);
    },
    async counts(since) {
      const r = await sql<{ tenant_id: string; vendor_id: string; met: number; missed: number; open: number }>`
        select tenant_id, vendor_id,
          count(*) filter (where sla_status = 'met')::int as met,
          count(*) filter (where sla_status = 'missed')::int as missed,
          count(*) filter (where sla_status is null and status <> 'cancelled')::int as open
        from cycles where scheduled_for >= ${since}
        group by tenant_id, vendor_id order by tenant_id, vendor_id limit ${MAX_CHUNK}`.execute(db);
      return r.rows.map((x) => ({ tenantId: x.tenant_id, vendorId: x.vendor_id, met: x.met, missed: x.missed, open: x.open }));
    },
  };
}
