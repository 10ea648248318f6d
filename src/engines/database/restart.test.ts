import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../../../test/support/private-services.js';
import { openDatabase } from './open-database.js';
import type { Database } from './port.js';

/** A PostgreSQL restart costs the units of work in flight, not the process. */
describe('database engine across a PostgreSQL restart (private instance)', () => {
  let pg: PrivatePostgres;
  let db: Database;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    db = await openDatabase({ engine: 'postgres', url: pg.url, poolSize: 2 });
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    pg?.destroy();
  });

  it('fails units of work while the server is down and works again once it is back', async () => {
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 't1', name: 'One' }));
    pg.stop('immediate');
    await expect(db.unitOfWork((r) => r.tenants.get('t1'))).rejects.toThrow();
    pg.start();
    expect(await db.unitOfWork((r) => r.tenants.get('t1'))).toEqual({ tenantId: 't1', name: 'One' });
  });
});
