import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export interface Tenant { tenantId: string; name: string }

export interface TenantsRepository {
  /** Creates the tenant or leaves an existing one as it is. */
  ensure(tenant: Tenant): Promise<void>;
  get(tenantId: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
}

export function createTenantsRepository(db: Kysely<DB>): TenantsRepository {
  return {
    async ensure({ tenantId, name }) {
      await db.insertInto('tenants').values({ tenant_id: tenantId, name })
        .onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
    },
    async get(tenantId) {
      const row = await db.selectFrom('tenants').select(['tenant_id', 'name'])
        .where('tenant_id', '=', tenantId).executeTakeFirst();
      return row && { tenantId: row.tenant_id, name: row.name };
    },
    async list() {
      const rows = await db.selectFrom('tenants').select(['tenant_id', 'name']).orderBy('tenant_id').execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, name: r.name }));
    },
  };
}
