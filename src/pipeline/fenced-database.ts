import type { Database } from '../engines/database/port.js';
import type { Lease } from '../engines/database/repositories/leases.js';
import { NonRetryableError } from '../shared/errors.js';

export class LeaseLostError extends NonRetryableError {
  constructor(lease: Lease) {
    super('CONFLICT', `${lease.kind} ${lease.id}: lease token ${lease.token} superseded by a newer owner; nothing committed`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The database as seen by a job holding `lease`: every unit of work first extends the lease where the
 * token is still ours (locking the row until commit) and aborts when it is not — so a commit either
 * happens under our token or not at all. Reads commit nothing and are not fenced (nor serialised
 * behind the lease row's lock).
 */
export function fencedDatabase(db: Database, lease: Lease, leaseMs: number): Database {
  return {
    engine: db.engine,
    migrate: () => db.migrate(),
    tryLock: (name) => db.tryLock(name),
    close: async () => {},
    unitOfWork: (fn) => db.unitOfWork(async (repos) => {
      if (!(await repos.leases.fence(lease, leaseMs))) throw new LeaseLostError(lease);
      return fn(repos);
    }),
    read: (fn) => db.read(fn),
  };
}

/**
 * Renews the lease while a job runs; a failed renewal (a newer owner) aborts the signal so the stage
 * can stop early. Renewal errors (database briefly down) are left to the next tick and to the fence.
 */
export function keepLeaseAlive(db: Database, lease: Lease, leaseMs: number): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const timer = setInterval(() => {
    db.unitOfWork((r) => r.leases.fence(lease, leaseMs))
      .then((ok) => { if (!ok) controller.abort(new LeaseLostError(lease)); })
      .catch(() => {});
  }, Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}
