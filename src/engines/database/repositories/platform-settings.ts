import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export interface PlatformSettingsRepository {
  get(name: string): Promise<string | undefined>;
  /** Stores the value unless one is already there; returns the value now stored. */
  setIfAbsent(name: string, value: string): Promise<string>;
}

export function createPlatformSettingsRepository(db: Kysely<DB>): PlatformSettingsRepository {
  const get = async (name: string) => (await db.selectFrom('platform_settings').select('value')
    .where('tenant_id', '=', '_platform').where('name', '=', name).executeTakeFirst())?.value;
  return {
    get,
    async setIfAbsent(name, value) {
      await db.insertInto('platform_settings').values({ name, value })
        .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing()).execute();
      return (await get(name))!;
    },
  };
}
