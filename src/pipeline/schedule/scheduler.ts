import type { Database, SessionLock } from '../../engines/database/port.js';
import { VendorflowError } from '../../shared/errors.js';
import type { StartRunRequest } from '../run-cycle.js';
import { latestFire, type CronSchedule } from './fire-times.js';
import { evaluateSla, type SlaTerms } from './sla-monitor.js';

/** What the scheduler needs of a vendor spec. */
export interface ScheduledVendor { id: string; schedule: CronSchedule & { sla: SlaTerms } }

export type ScheduleEvent =
  | { kind: 'lock-acquired' | 'lock-lost' | 'first-start'; at: Date }
  | { kind: 'fired'; tenantId: string; vendorIds: string[]; scheduledFor: Date; runId: string }
  | { kind: 'skipped'; tenantId: string; vendorId: string; scheduledFor: Date; reason: 'already-fired' | 'in-flight'; detail?: string }
  | { kind: 'error'; tenantId?: string; vendorIds?: string[]; error: unknown };

export interface TickResult {
  /** Whether this scheduler holds the lock (only the holder fires). */
  active: boolean;
  /** The window of fire times handled: (from, to]. */
  window: { from: Date; to: Date } | null;
  fired: Array<{ tenantId: string; vendorIds: string[]; scheduledFor: Date; runId: string }>;
  skipped: number;
}

export interface SchedulerOptions {
  db: Database;
  /** The registered vendors, read at every tick so a changed registry is picked up. */
  vendors: () => readonly ScheduledVendor[];
  startRun: (req: StartRunRequest) => Promise<{ runId: string; cycleIds: string[] }>;
  tickMs: number;
  now?: () => Date;
  /** Advisory lock name; one active scheduler per name across every process sharing the database. */
  lockName?: string;
  onEvent?: (e: ScheduleEvent) => void;
}

export interface Scheduler {
  /** One pass: take (or confirm) the lock; the holder fires what fell due since the watermark and judges SLAs. */
  tick(): Promise<TickResult>;
  /** Ticks now and every `tickMs` until `stop`. */
  start(): void;
  readonly active: boolean;
  /** Stops ticking and releases the lock (another process takes over at its next tick). */
  stop(): Promise<void>;
}

const PAGE = 500;

/**
 * Starts runs from vendor schedules. Exactly one scheduler is active across processes: the one holding
 * a session lock on a connection of its own; the others retry at each tick, so when the holder dies
 * (its connection, and with it the lock, goes) another takes over within a tick.
 *
 * Time is handled as a watermark in the database: each tick fires, per vendor, the latest fire time
 * in (watermark, now] for every tenant that has the vendor, then moves the watermark to now. After
 * downtime that window is long and still yields one fire per tenant × vendor — the latest missed one,
 * not every missed one. The first start ever only sets the watermark. A holder that dies between
 * firing and moving the watermark leaves its successor to fire the same times again, which is a no-op:
 * cycles are unique on (tenant, vendor, scheduled_for), checked here first and enforced by the index.
 */
export function createScheduler(o: SchedulerOptions): Scheduler {
  const now = o.now ?? (() => new Date());
  const lockName = o.lockName ?? 'scheduler';
  const emit = (e: ScheduleEvent) => o.onEvent?.(e);
  let lock: SessionLock | null = null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function holdLock(): Promise<boolean> {
    if (lock) {
      if (await lock.check()) return true;
      await lock.release();
      lock = null;
      emit({ kind: 'lock-lost', at: now() });
    }
    lock = await o.db.tryLock(lockName);
    if (lock) emit({ kind: 'lock-acquired', at: now() });
    return lock !== null;
  }

  async function tick(): Promise<TickResult> {
    const result: TickResult = { active: false, window: null, fired: [], skipped: 0 };
    if (!(await holdLock())) return result;
    result.active = true;
    const to = now();
    const vendors = o.vendors();
    const from = await o.db.unitOfWork((r) => r.schedules.watermark());
    if (!from) {
      await o.db.unitOfWork((r) => r.schedules.advanceWatermark(to));
      emit({ kind: 'first-start', at: to });
    } else if (to > from) {
      result.window = { from, to };
      let failed = false;
      for (const group of await dueGroups(vendors, from, to)) failed = !(await fire(group, result)) || failed;
      // A fire that failed (database briefly down) is tried again next tick; what did fire is not repeated.
      if (!failed) await o.db.unitOfWork((r) => r.schedules.advanceWatermark(to));
    }
    await evaluateSla(o.db, vendors.map((v) => ({ vendorId: v.id, sla: v.schedule.sla })));
    return result;
  }

  /** Tenant × fire time -> the vendors due then, so a tenant whose vendors fire together is gathered once. */
  async function dueGroups(vendors: readonly ScheduledVendor[], from: Date, to: Date) {
    const groups = new Map<string, { tenantId: string; scheduledFor: Date; vendorIds: string[] }>();
    for (const v of vendors) {
      const at = latestFire(v.schedule, from, to);
      if (!at) continue;
      let after: string | null = null;
      for (;;) {
        const tenants: string[] = await o.db.unitOfWork((r) => r.schedules.tenantsWithVendor(v.id, after, PAGE));
        for (const tenantId of tenants) {
          const key = `${tenantId}\u0000${at.toISOString()}`;
          const g = groups.get(key) ?? { tenantId, scheduledFor: at, vendorIds: [] };
          g.vendorIds.push(v.id);
          groups.set(key, g);
        }
        if (tenants.length < PAGE) break;
        after = tenants[tenants.length - 1]!;
      }
    }
    return [...groups.values()];
  }

  /** False when a run could not be started for a reason other than a refusal. */
  async function fire(g: { tenantId: string; scheduledFor: Date; vendorIds: string[] }, result: TickResult): Promise<boolean> {
    const skip = (vendorId: string, reason: 'already-fired' | 'in-flight', detail?: string) => {
      result.skipped++;
      emit({ kind: 'skipped', tenantId: g.tenantId, vendorId, scheduledFor: g.scheduledFor, reason, ...(detail ? { detail } : {}) });
    };
    const ready = await o.db.unitOfWork(async (r) => {
      const out: string[] = [];
      for (const vendorId of g.vendorIds) {
        if (await r.cycles.scheduled(g.tenantId, vendorId, g.scheduledFor)) skip(vendorId, 'already-fired');
        else {
          const busy = await r.cycles.inFlight(g.tenantId, vendorId);
          if (busy) skip(vendorId, 'in-flight', busy.cycleId);
          else out.push(vendorId);
        }
      }
      return out;
    });
    if (ready.length === 0) return true;
    const start = async (vendorIds: string[]) => {
      const { runId } = await o.startRun({ tenantId: g.tenantId, vendorIds, kind: 'full', trigger: 'schedule', scheduledFor: g.scheduledFor });
      result.fired.push({ tenantId: g.tenantId, vendorIds, scheduledFor: g.scheduledFor, runId });
      emit({ kind: 'fired', tenantId: g.tenantId, vendorIds, scheduledFor: g.scheduledFor, runId });
    };
    const refused = (e: unknown) => e instanceof VendorflowError && e.code === 'CONFLICT';
    try {
      await start(ready);
      return true;
    } catch (e) {
      if (!refused(e)) {
        emit({ kind: 'error', tenantId: g.tenantId, vendorIds: ready, error: e });
        return false;
      }
    }
    // Someone started one of these vendors meanwhile (a manual run): the others still fire, one by one.
    let ok = true;
    for (const vendorId of ready) {
      await start([vendorId]).catch((err: unknown) => {
        if (refused(err)) skip(vendorId, 'in-flight', (err as Error).message);
        else {
          ok = false;
          emit({ kind: 'error', tenantId: g.tenantId, vendorIds: [vendorId], error: err });
        }
      });
    }
    return ok;
  }

  const loop = () => {
    if (stopped) return;
    running = tick().catch((error: unknown) => emit({ kind: 'error', error })).finally(() => {
      if (!stopped) timer = setTimeout(loop, o.tickMs);
    });
  };

  return {
    tick,
    start() {
      stopped = false;
      loop();
    },
    get active() { return lock !== null; },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await lock?.release();
      lock = null;
    },
  };
}
