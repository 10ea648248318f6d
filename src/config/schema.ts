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

// Environment values arrive as text: a whole number is read as one, anything else is reported as
// given ("expected a whole number"), not as NaN.
const int = (min: number, max: number) => z.preprocess(
  (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
  z.number({ error: (issue) => (issue.code === 'invalid_type' ? 'expected a whole number' : undefined) })
    .int({ error: 'expected a whole number' }).min(min).max(max),
);

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
  /** The SSRF guard for vendor URLs (src/security/ssrf). */
  ssrf: z.object({
    /** A host name taking longer than this to resolve is blocked as DNS_UNRESOLVED. */
    dnsTimeoutMs: int(100, 60_000).default(5000),
    /** Test/offline facility: resolve only from this hosts-style file (`ADDRESS NAME...`), never DNS. */
    resolverHosts: z.string().min(1).optional(),
  }).strict().default({ dnsTimeoutMs: 5000 }),
  /** Job dispatch (src/engines/queue): in-process without redis.url, BullMQ on Redis with it. */
  queue: z.object({
    /** Jobs one process runs at once. */
    concurrency: int(1, 256).default(8),
    /** Deliveries of one job before the queue gives up on it (the database row stays for the reconciler). */
    attempts: int(1, 100).default(5),
    backoffMs: int(1, 3_600_000).default(1000),
    maxBackoffMs: int(1, 3_600_000).default(60_000),
    /** BullMQ: a worker silent this long loses its job to another worker (tests use 1–2 s). */
    lockDurationMs: int(500, 3_600_000).default(30_000),
    stalledIntervalMs: int(500, 3_600_000).default(30_000),
    maxStalledCount: int(0, 100).default(2),
  }).strict().default({
    concurrency: 8, attempts: 5, backoffMs: 1000, maxBackoffMs: 60_000,
    lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2,
  }),
  /** Durable orchestration of runs and cycles (src/pipeline/run-cycle.ts, src/jobs). */
  cycles: z.object({
    /** A stage or batch lease; renewed while its job runs, taken over by another worker once expired. */
    leaseMs: int(500, 3_600_000).default(30_000),
    /** How often every worker re-enqueues pending or expired work and checks deadlines. */
    reconcileIntervalMs: int(100, 600_000).default(5000),
    /** How often awaiting cycles' inboxes are polled. */
    pickupIntervalMs: int(100, 3_600_000).default(60_000),
    /** Claims of one stage or batch before it is marked failed. */
    maxAttempts: int(1, 100).default(5),
    /** How long a vendor has to answer when its spec names no SLA. */
    defaultResponseWindowMs: int(1000, 30 * 86_400_000).default(86_400_000),
    /**
     * Largest share of a run's employees that may be incomplete (not gathered) for its vendor files
     * to be generated. Above it the cycles fail before anything is sent: a full file missing people
     * reads as their coverage ending.
     */
    maxIncompleteShare: z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(0).max(1)).default(0.01),
  }).strict().default({
    leaseMs: 30_000, reconcileIntervalMs: 5000, pickupIntervalMs: 60_000, maxAttempts: 5,
    defaultResponseWindowMs: 86_400_000, maxIncompleteShare: 0.01,
  }),
  /** Vendor schedules (src/pipeline/schedule): one scheduler is active across all worker processes. */
  schedule: z.object({
    /** Run the scheduler in worker processes (one of them holds the lock and fires). */
    enabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
    /** How often the scheduler fires what fell due, standbys try to take over, and SLAs are judged; keep it below the shortest cron interval. */
    tickMs: int(100, 3_600_000).default(15_000),
  }).strict().default({ enabled: true, tickMs: 15_000 }),
  /** How long kept data lives, in days (`vendorflow gc`, src/pipeline/retention). */
  retention: z.object({
    /** Spooled outbound and inbound files under `home`/spool. */
    spoolDays: int(0, 36_500).default(14),
    /** Archived files under `home`/archive and in `archiveDirs`. */
    archiveDays: int(0, 36_500).default(90),
    /** Snapshot rows of finished runs. */
    snapshotDays: int(0, 36_500).default(30),
    /** Per-row payloads of finished files: values sent (those no change detection refers to), ingest baselines, masked raw lines. */
    rowPayloadDays: int(0, 36_500).default(90),
    /** Local archive folders, e.g. the embedded SFTP server's `<inbox>/archive` when the vendor's server is this machine. */
    archiveDirs: z.array(z.string().min(1)).default([]),
  }).strict().default({ spoolDays: 14, archiveDays: 90, snapshotDays: 30, rowPayloadDays: 90, archiveDirs: [] }),
  /** What the stages run against (src/main/pipeline-environment.ts): vendors, internal services, SFTP, spool. */
  pipeline: z.object({
    /** Vendor spec files this deployment knows; absent means the three example vendors. */
    vendorSpecs: z.array(z.string().min(1)).optional(),
    /** Internal-service descriptor file; absent means the built-in simulators' descriptors. */
    serviceDescriptors: z.string().min(1).optional(),
    /** Replica URLs per service, bound over the descriptors' own (the simulators' ports). */
    serviceUrls: z.record(z.string(), z.array(z.url()).min(1)).default({}),
    /** Per-vendor SFTP connection bound over the spec's (the demo vendor, a test sshd); directories stay the spec's. */
    vendorEndpoints: z.record(z.string(), z.object({
      host: z.string().min(1),
      port: int(1, 65535),
      username: z.string().min(1),
      privateKey: SecretRef,
      /** Pinned host key, `SHA256:...`. */
      hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected "SHA256:<43 base64 characters>"'),
    }).strict()).default({}),
    /** Generated, downloaded and quarantined files; absent means `<home>/spool`. */
    spoolDir: z.string().min(1).optional(),
    /** Overrides every vendor's response window (spec SLA) — for demos and tests. */
    responseWindowMs: int(100, 30 * 86_400_000).optional(),
    /** Org units above this many employees are split into several batches. */
    maxBatchSize: int(10, 100_000).default(2000),
  }).strict().default({ serviceUrls: {}, vendorEndpoints: {}, maxBatchSize: 2000 }),
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
  VENDORFLOW_DNS_TIMEOUT_MS: 'ssrf.dnsTimeoutMs',
  VENDORFLOW_RESOLVER_HOSTS: 'ssrf.resolverHosts',
  QUEUE_CONCURRENCY: 'queue.concurrency',
  QUEUE_LOCK_DURATION_MS: 'queue.lockDurationMs',
  QUEUE_STALLED_INTERVAL_MS: 'queue.stalledIntervalMs',
  CYCLE_LEASE_MS: 'cycles.leaseMs',
  CYCLE_RECONCILE_INTERVAL_MS: 'cycles.reconcileIntervalMs',
  CYCLE_PICKUP_INTERVAL_MS: 'cycles.pickupIntervalMs',
  SCHEDULE_ENABLED: 'schedule.enabled',
  SCHEDULE_TICK_MS: 'schedule.tickMs',
};
