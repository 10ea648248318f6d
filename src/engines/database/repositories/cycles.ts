import { sql, type Kysely } from 'kysely';
import { VendorflowError } from '../../../shared/errors.js';
import type { DB } from '../schema.js';
import type { Lease } from './leases.js';

export type CycleStatus = 'pending' | 'running' | 'awaiting' | 'awaiting-overdue' | 'done' | 'failed' | 'cancelled';
export type CycleStage = 'gather' | 'generate' | 'deliver' | 'await' | 'ingest' | 'apply' | 'reconcile' | 'done';
export const IN_FLIGHT: CycleStatus[] = ['pending', 'running', 'awaiting', 'awaiting-overdue'];

export interface CycleRow {
  tenantId: string; cycleId: string; runId: string; vendorId: string; kind: string;
  status: CycleStatus; stage: CycleStage; scheduledFor: Date; deadline: Date | null; slaStatus: 'met' | 'missed' | null;
  /** Scheduled time + the vendor's delivery SLA; when the file was delivered; what missed the SLA (delivery | response). */
  deliveryDeadline: Date | null; deliveredAt: Date | null; slaReason: string | null;
  attempts: number; leaseOwner: string | null; leaseExpiresAt: Date | null;
  counters: Record<string, unknown>; timings: Record<string, unknown>; error: string | null;
  createdAt: Date; updatedAt: Date;
}

export interface NewCycle { tenantId: string; cycleId: string; runId: string; vendorId: string; kind: string; scheduledFor: Date; trigger: 'manual' | 'schedule' }

export interface CyclesRepository {
  /** Refuses (CONFLICT) when the tenant already has a cycle in flight for one of these vendors. */
  createMany(cycles: readonly NewCycle[]): Promise<void>;
  get(cycleId: string): Promise<CycleRow | undefined>;
  byRun(runId: string): Promise<CycleRow[]>;
  /** Newest first, narrowed by tenant, vendor and status: how an operator finds a cycle's id. */
  list(filter: { tenantId?: string; vendorId?: string; statuses?: readonly CycleStatus[]; limit: number }): Promise<CycleRow[]>;
  inFlight(tenantId: string, vendorId: string): Promise<CycleRow | undefined>;
  /** Moves a leased cycle from one stage to the next and gives the lease up; false when the lease is stale. */
  advance(lease: Lease, from: CycleStage, to: { stage: CycleStage; status: CycleStatus; deadline?: Date | null; counters?: Record<string, unknown>; timing?: Record<string, unknown> }): Promise<boolean>;
  recordError(lease: Lease, message: string): Promise<void>;
  /** Cycles whose response is awaited, by tenant × vendor (the pickup poller's work list). */
  awaitingInboxes(): Promise<Array<{ tenantId: string; vendorId: string }>>;
  /** Awaiting cycles past their deadline become awaiting-overdue with the SLA missed; returns them. */
  markOverdue(): Promise<string[]>;
  /** The cycle whose outbound file `outboundFileId` is, if it still awaits a response. */
  awaitingFor(outboundFileId: string): Promise<CycleRow | undefined>;
  /** Inbound files that answer an awaiting cycle's outbound file. */
  answeredWhileAwaiting(limit: number): Promise<Array<{ fileId: string; answersFileId: string }>>;
  /** A response arrived: the SLA is missed if after the deadline (met is decided when the cycle is done), and the cycle goes on to ingest. */
  responseArrived(cycleId: string, responseFileId: string): Promise<boolean>;
  /** A failed cycle goes back to its stage with fresh attempts (the reconciler enqueues it). */
  resume(cycleId: string): Promise<CycleRow>;
  cancel(cycleId: string): Promise<CycleRow>;
  /** Cycles whose runs are at the given scheduled time (unique per tenant × vendor × scheduled_for). */
  scheduled(tenantId: string, vendorId: string, scheduledFor: Date): Promise<CycleRow | undefined>;
  lastScheduled(tenantId: string, vendorId: string): Promise<Date | null>;
}

export function toCycle(r: any): CycleRow {
  return {
    tenantId: r.tenant_id, cycleId: r.cycle_id, runId: r.run_id, vendorId: r.vendor_id, kind: r.kind,
    status: r.status, stage: r.stage, scheduledFor: r.scheduled_for, deadline: r.deadline, slaStatus: r.sla_status,
    deliveryDeadline: r.delivery_deadline ?? null, deliveredAt: r.delivered_at ?? null, slaReason: r.sla_reason ?? null,
    attempts: r.attempts, leaseOwner: r.lease_owner, leaseExpiresAt: r.lease_expires_at,
    counters: r.counters, timings: r.timings, error: r.error, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function createCyclesRepository(db: Kysely<DB>): CyclesRepository {
  const refuse = (c: { cycle_id: string; vendor_id: string; tenant_id: string; status: string; stage: string }) =>
    new VendorflowError('CONFLICT',
      `tenant ${c.tenant_id} already has cycle ${c.cycle_id} for vendor ${c.vendor_id} (${c.status} at ${c.stage}); ` +
      `wait for it, or vendorflow cycle cancel ${c.cycle_id}`);

  return {
    async createMany(cycles) {
      if (cycles.length === 0) return;
      const tenantId = cycles[0]!.tenantId;
      const busy = await db.selectFrom('cycles').select(['cycle_id', 'vendor_id', 'tenant_id', 'status', 'stage'])
        .where('tenant_id', '=', tenantId).where('vendor_id', 'in', cycles.map((c) => c.vendorId))
        .where('status', 'in', IN_FLIGHT).executeTakeFirst();
      if (busy) throw refuse(busy);
      try {
        await db.insertInto('cycles').values(cycles.map((c) => ({
          tenant_id: c.tenantId, cycle_id: c.cycleId, run_id: c.runId, vendor_id: c.vendorId, kind: c.kind,
          status: 'pending', stage: 'gather', scheduled_for: c.scheduledFor, counters: JSON.stringify({ trigger: c.trigger }), timings: '{}',
        }))).execute();
      } catch (e) {
        // Lost a race with another process starting the same vendor: the partial unique index decides.
        if ((e as { code?: string }).code === '23505') {
          const constraint = String((e as { constraint?: string }).constraint ?? (e as Error).message);
          if (constraint.includes('cycles_one_in_flight')) {
            throw new VendorflowError('CONFLICT', `tenant ${tenantId} already has a cycle in flight for one of ${cycles.map((c) => c.vendorId).join(', ')}`, { cause: e });
          }
          throw new VendorflowError('CONFLICT', `a cycle for tenant ${tenantId} is already scheduled for this time`, { cause: e });
        }
        throw e;
      }
    },
    async get(cycleId) {
      const r = await db.selectFrom('cycles').selectAll().where('cycle_id', '=', cycleId).executeTakeFirst();
      return r && toCycle(r);
    },
    async byRun(runId) {
      const rows = await db.selectFrom('cycles').selectAll().where('run_id', '=', runId).orderBy('vendor_id').execute();
      return rows.map(toCycle);
    },
    async list(filter) {
      let q = db.selectFrom('cycles').selectAll();
      if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
      if (filter.vendorId) q = q.where('vendor_id', '=', filter.vendorId);
      if (filter.statuses?.length) q = q.where('status', 'in', [...filter.statuses]);
      const rows = await q.orderBy('created_at', 'desc').orderBy('cycle_id', 'desc').limit(filter.limit).execute();
      return rows.map(toCycle);
    },
    async inFlight(tenantId, vendorId) {
      const r = await db.selectFrom('cycles').selectAll().where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId)
        .where('status', 'in', IN_FLIGHT).executeTakeFirst();
      return r && toCycle(r);
    },
    async advance(lease, from, to) {
      const res = await sql`update cycles set stage = ${to.stage}, status = ${to.status}, attempts = 0,
          lease_owner = null, lease_expires_at = null, error = null, updated_at = now(),
          deadline = ${to.deadline === undefined ? sql`deadline` : to.deadline},
          ${to.stage === 'await' ? sql`delivered_at = now(),
          sla_reason = case when delivery_deadline < now() and sla_status is distinct from 'missed' then 'delivery' else sla_reason end,
          sla_status = case when delivery_deadline < now() then 'missed' else sla_status end,` : sql``}
          ${to.stage === 'done' ? sql`sla_status = coalesce(sla_status, case when delivered_at > delivery_deadline then 'missed' else 'met' end),
          sla_reason = case when sla_status is null and delivered_at > delivery_deadline then 'delivery' else sla_reason end,` : sql``}
          counters = counters || ${JSON.stringify(to.counters ?? {})}::jsonb,
          timings = timings || ${JSON.stringify(to.timing ?? {})}::jsonb
        where cycle_id = ${lease.id} and lease_token = ${lease.token} and stage = ${from} and status = 'running'`.execute(db);
      return Number(res.numAffectedRows ?? 0) === 1;
    },
    async recordError(lease, message) {
      await db.updateTable('cycles').set({ error: message.slice(0, 2000), updated_at: new Date() })
        .where('cycle_id', '=', lease.id).where(sql<number>`lease_token`, '=', lease.token).execute();
    },
    async awaitingInboxes() {
      const rows = await db.selectFrom('cycles').select(['tenant_id', 'vendor_id']).distinct()
        .where('status', 'in', ['awaiting', 'awaiting-overdue']).orderBy('tenant_id').orderBy('vendor_id').limit(1000).execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, vendorId: r.vendor_id }));
    },
    async markOverdue() {
      const rows = await sql<{ cycle_id: string }>`update cycles set status = 'awaiting-overdue', sla_status = 'missed', updated_at = now(),
          sla_reason = case when sla_status is distinct from 'missed' then 'response' else sla_reason end
        where status = 'awaiting' and deadline < now() returning cycle_id`.execute(db);
      return rows.rows.map((r) => r.cycle_id);
    },
    async awaitingFor(outboundFileId) {
      const r = await db.selectFrom('cycles').innerJoin('files', 'files.cycle_id', 'cycles.cycle_id').selectAll('cycles')
        .where('files.file_id', '=', outboundFileId).where('files.direction', '=', 'out')
        .where('cycles.status', 'in', ['awaiting', 'awaiting-overdue']).executeTakeFirst();
      return r && toCycle(r);
    },
    async answeredWhileAwaiting(limit) {
      const rows = await sql<{ file_id: string; answers_file_id: string }>`
        select i.file_id, i.answers_file_id from cycles c
          join files o on o.cycle_id = c.cycle_id and o.direction = 'out'
          join files i on i.answers_file_id = o.file_id and i.direction = 'in'
        where c.status in ('awaiting', 'awaiting-overdue') order by i.file_id limit ${limit}`.execute(db);
      return rows.rows.map((r) => ({ fileId: r.file_id, answersFileId: r.answers_file_id }));
    },
    async responseArrived(cycleId, responseFileId) {
      const res = await sql`update cycles set status = 'running', stage = 'ingest', attempts = 0, updated_at = now(),
          sla_status = case when deadline is not null and now() > deadline then 'missed' else sla_status end,
          sla_reason = case when sla_status is distinct from 'missed' and deadline is not null and now() > deadline then 'response' else sla_reason end,
          counters = counters || jsonb_build_object('responseFileId', ${responseFileId}::text),
          timings = timings || jsonb_build_object('responseAt', now())
        where cycle_id = ${cycleId} and status in ('awaiting', 'awaiting-overdue')`.execute(db);
      return Number(res.numAffectedRows ?? 0) === 1;
    },
    async resume(cycleId) {
      const r = await db.selectFrom('cycles').selectAll().where('cycle_id', '=', cycleId).forUpdate().executeTakeFirst();
      if (!r) throw new VendorflowError('NOT_FOUND', `no cycle ${cycleId}`);
      if (r.status !== 'failed') throw new VendorflowError('USAGE', `cycle ${cycleId} is ${r.status}: only a failed cycle can be resumed`);
      const busy = await db.selectFrom('cycles').select(['cycle_id', 'vendor_id', 'tenant_id', 'status', 'stage'])
        .where('tenant_id', '=', r.tenant_id).where('vendor_id', '=', r.vendor_id).where('status', 'in', IN_FLIGHT).executeTakeFirst();
      if (busy) throw refuse(busy);
      const status = r.stage === 'gather' ? 'pending' : r.stage === 'await' ? 'awaiting' : 'running';
      const u = await db.updateTable('cycles').set({ status, attempts: 0, error: null, lease_owner: null, lease_expires_at: null, updated_at: new Date() })
        .where('cycle_id', '=', cycleId).returningAll().executeTakeFirstOrThrow();
      // A cycle cannot move while its run is failed: the run goes back to its own stage too.
      await db.updateTable('runs').set({ status: 'running', attempts: 0, error: null, finished_at: null, lease_expires_at: null, updated_at: new Date() })
        .where('run_id', '=', r.run_id).where('status', '=', 'failed').execute();
      return toCycle(u);
    },
    async cancel(cycleId) {
      const r = await db.updateTable('cycles').set({ status: 'cancelled', lease_owner: null, lease_expires_at: null, updated_at: new Date() })
        .where('cycle_id', '=', cycleId).where('status', 'in', [...IN_FLIGHT, 'failed']).returningAll().executeTakeFirst();
      if (r) return toCycle(r);
      const existing = await db.selectFrom('cycles').selectAll().where('cycle_id', '=', cycleId).executeTakeFirst();
      if (!existing) throw new VendorflowError('NOT_FOUND', `no cycle ${cycleId}`);
      throw new VendorflowError('USAGE', `cycle ${cycleId} is already ${existing.status}: nothing to cancel`);
    },
    async scheduled(tenantId, vendorId, scheduledFor) {
      const r = await db.selectFrom('cycles').selectAll().where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId)
        .where('scheduled_for', '=', scheduledFor).executeTakeFirst();
      return r && toCycle(r);
    },
    async lastScheduled(tenantId, vendorId) {
      const r = await db.selectFrom('cycles').select((eb) => eb.fn.max('scheduled_for').as('at'))
        .where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where(sql`counters->>'trigger'`, '=', 'schedule').executeTakeFirst();
      return (r?.at as Date | null | undefined) ?? null;
    },
  };
}
