import { z } from 'zod';

/**
 * The whole configuration: each unit's section is declared here as a schema that both validates and
 * documents it. Objects are strict, so a misspelt key is an error that names the key.
 */
const postgresUrl = z.string().refine((v) => {
  try {
    return /^postgres(ql)?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'expected a postgres:// URL');

const redisUrl = z.string().refine((v) => {
  try {
    return /^rediss?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'expected a redis:// URL');

/** A secret is never a value in config: it names where the value lives. */
export const SecretRef = z.string().regex(/^(env|file):.+$/, 'expected a secret reference "env:NAME" or "file:/path"');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ConfigSchema = z.object({
  /** Working directory for the embedded engines: PGlite data, spool, keys. */
  home: z.string().min(1).default('.vendorflow'),
  database: z.object({
    /** PostgreSQL URL; absent means embedded PGlite under `home`. */
    url: postgresUrl.optional(),
    poolSize: int(1, 200).default(10),
  }).strict().default({ poolSize: 10 }),
  redis: z.object({
    /** Redis URL; absent means the in-process queue and in-memory L2 cache. */
    url: redisUrl.optional(),
    keyPrefix: z.string().min(1).default('vf'),
  }).strict().default({ keyPrefix: 'vf' }),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().default({ level: 'info' }),
  security: z.object({
    /** AES-256 key (base64, 32 bytes) for sensitive fields at rest; embedded mode generates one under `home`. */
    piiKey: SecretRef.optional(),
  }).strict().default({}),
}).strict();

export type Config = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each one sets. */
export const ENV_KEYS: Record<string, string> = {
  VENDORFLOW_HOME: 'home',
  DATABASE_URL: 'database.url',
  DATABASE_POOL_SIZE: 'database.poolSize',
  REDIS_URL: 'redis.url',
  REDIS_KEY_PREFIX: 'redis.keyPrefix',
  LOG_LEVEL: 'log.level',
  VENDORFLOW_PII_KEY: 'security.piiKey',
};
