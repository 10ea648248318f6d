/**
 * Where tests find the shared services. With CI=true a service that does not answer fails the test
 * (never a skip); elsewhere the suite is skipped with a loud note so a laptop without PostgreSQL
 * can still run the rest.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const IN_CI = process.env.CI === 'true';
