import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';

const WATERMARK = 'scheduler.watermark';

export interface SchedulesRepository {
  /** Fire times up to here have been handled by whichever scheduler was active; null before the first start. */
  watermark(): Promise<Date | null>;
  /** Moves the watermark forward (never back: a scheduler with a slow clock cannot re-open handled time). */
  advanceWatermark(to: Date): Promise<void>;
  /** A keyset page of the tenants that have `vendorId` (tenant_vendors rows). */
  tenantsWithVendor(vendorId: string, afterTenantId: string | null, limit: number): Promise<string[]>;
}

export function createSchedulesRepository(db: Kysely<DB>): SchedulesRepository {
  return {
    async watermark() {
      const r = await db.selectFrom('platform_settings').select('value')
        .where('tenant_id', '=', '_platform').where('name', '=', WATERMARK).executeTakeFirst();
      return r ? new Date(r.value) : null;
    },
    async advanceWatermark(to) {
      await sql`insert into platform_settings (name, value) values (${WATERMARK}, ${to.toISOString()})
        on conflict (tenant_id, name) do update set value = excluded.value
        where platform_settings.value::timestamptz < excluded.value::timestamptz`.execute(db);
    },
    async tenantsWithVendor(vendorId, after, limit) {
      let q = db.selectFrom('tenant_vendors').select('tenant_id').where('vendor_id', '=', vendorId);
      if (after !== null) q = q.where('tenant_id', '>', after);
      return (await q.orderBy('tenant_id').limit(limit).execute()).map((r) => r.tenant_id);
    },
  };
}
