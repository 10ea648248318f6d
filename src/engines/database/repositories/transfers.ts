import { sql, type Kysely, type Updateable } from 'kysely';
import type { DB, FilesTable } from '../schema.js';

/** What delivery and pickup need of a `files` row. */
export interface TransferFile {
  tenantId: string;
  fileId: string;
  vendorId: string;
  direction: 'in' | 'out';
  kind: string;
  name: string;
  status: string;
  size: number | null;
  sha256: string | null;
  remotePath: string | null;
  /** Last contiguous acknowledged byte of an interrupted upload. */
  resumeOffset: number;
  answersFileId: string | null;
  error: string | null;
}

export interface FileEvent {
  kind: string;
  bytes: number | null;
  outcome: string | null;
  error: string | null;
  at: Date;
}

export interface NewInboundFile {
  tenantId: string;
  fileId: string;
  vendorId: string;
  kind: string;
  name: string;
  status: string;
  size: number;
  sha256: string;
  remotePath: string;
  answersFileId?: string | null;
}

export interface NewOutboundFile {
  tenantId: string;
  fileId: string;
  vendorId: string;
  cycleId?: string | null;
  kind: string;
  name: string;
  size: number;
  sha256: string;
  rows?: number | null;
}

export interface TransfersRepository {
  /** Registers a spooled outbound file, ready to deliver (status `generated`). */
  insertOutbound(file: NewOutboundFile): Promise<void>;
  get(tenantId: string, fileId: string): Promise<TransferFile | undefined>;
  /** Updates the given columns of a file row (and `updated_at`). */
  update(tenantId: string, fileId: string, patch: Partial<Pick<TransferFile, 'status' | 'resumeOffset' | 'remotePath' | 'error' | 'size' | 'sha256'>>): Promise<void>;
  recordEvent(tenantId: string, fileId: string, event: Omit<FileEvent, 'at'>): Promise<void>;
  events(tenantId: string, fileId: string): Promise<FileEvent[]>;
  /**
   * Inserts an inbound file unless one with the same identity exists — vendor, content SHA-256 and
   * the outbound file it answers (the files_inbound_identity index); returns the row that holds that
   * identity and whether it is new.
   */
  claimInbound(file: NewInboundFile): Promise<{ created: boolean; file: TransferFile }>;
  /**
   * Records an inbound file that failed its integrity check (status `quarantined`, the reason in
   * `error`). Its content identity is unknown, so it holds none: `sha256` stays empty.
   */
  insertQuarantined(file: Omit<NewInboundFile, 'status' | 'sha256' | 'answersFileId'> & { reason: string }): Promise<void>;
  /**
   * Records an inbox file's size and mtime for this poll; `stable` when the previous poll saw the
   * same size and mtime, `new` on first sight, `changed` otherwise.
   */
  observe(tenantId: string, vendorId: string, entry: { name: string; size: number; mtimeMs: number }): Promise<'new' | 'changed' | 'stable'>;
  /** Drops observations of names not in `present` (files gone from the inbox) or, with no list, of one name. */
  forgetObservations(tenantId: string, vendorId: string, opts: { present: string[] } | { name: string }): Promise<void>;
}

/** The files_inbound_identity index's columns, as an ON CONFLICT target (with `where direction = 'in'`). */
export const INBOUND_IDENTITY = sql`tenant_id, vendor_id, sha256, (coalesce(answers_file_id, ''))`;

/** The inbound file holding an identity (vendor, content, the outbound file it answers or none). */
export function sameInbound(db: Kysely<DB>, tenantId: string, vendorId: string, sha256: string, answersFileId: string | null) {
  return db.selectFrom('files').where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where('direction', '=', 'in')
    .where('sha256', '=', sha256).where(sql<boolean>`coalesce(answers_file_id, '') = ${answersFileId ?? ''}`);
}

type Row = DB['files'] extends infer T ? { [K in keyof T]: unknown } : never;

function toFile(r: Row): TransferFile {
  return {
    tenantId: r.tenant_id as string, fileId: r.file_id as string, vendorId: r.vendor_id as string,
    direction: r.direction as 'in' | 'out', kind: r.kind as string, name: r.name as string, status: r.status as string,
    size: r.size === null ? null : Number(r.size), sha256: r.sha256 as string | null, remotePath: r.remote_path as string | null,
    resumeOffset: Number(r.resume_offset), answersFileId: r.answers_file_id as string | null, error: r.error as string | null,
  };
}

export function createTransfersRepository(db: Kysely<DB>): TransfersRepository {
  const get = async (tenantId: string, fileId: string) => {
    const row = await db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId).where('file_id', '=', fileId).executeTakeFirst();
    return row && toFile(row as Row);
  };
  return {
    get,
    async insertOutbound(f) {
      await db.insertInto('files').values({
        tenant_id: f.tenantId, file_id: f.fileId, vendor_id: f.vendorId, cycle_id: f.cycleId ?? null, direction: 'out',
        kind: f.kind, name: f.name, status: 'generated', size: f.size, sha256: f.sha256, rows: f.rows ?? null,
      }).execute();
    },
    async update(tenantId, fileId, patch) {
      const set: Updateable<FilesTable> = { updated_at: new Date() };
      if (patch.status !== undefined) set.status = patch.status;
      // Generated<Int8> nests two ColumnTypes, which Updateable does not unwrap.
      if (patch.resumeOffset !== undefined) set.resume_offset = patch.resumeOffset as never;
      if (patch.remotePath !== undefined) set.remote_path = patch.remotePath;
      if (patch.error !== undefined) set.error = patch.error;
      if (patch.size !== undefined) set.size = patch.size;
      if (patch.sha256 !== undefined) set.sha256 = patch.sha256;
      await db.updateTable('files').set(set).where('tenant_id', '=', tenantId).where('file_id', '=', fileId).execute();
    },
    async recordEvent(tenantId, fileId, e) {
      await db.insertInto('file_events').values({ tenant_id: tenantId, file_id: fileId, kind: e.kind, bytes: e.bytes, outcome: e.outcome, error: e.error }).execute();
    },
    async events(tenantId, fileId) {
      const rows = await db.selectFrom('file_events').select(['kind', 'bytes', 'outcome', 'error', 'at'])
        .where('tenant_id', '=', tenantId).where('file_id', '=', fileId).orderBy('event_id').limit(1000).execute();
      return rows.map((r) => ({ kind: r.kind, bytes: r.bytes === null ? null : Number(r.bytes), outcome: r.outcome, error: r.error, at: r.at }));
    },
    async observe(tenantId, vendorId, e) {
      const before = await db.selectFrom('inbox_observations').select(['size', 'mtime_ms'])
        .where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where('name', '=', e.name).executeTakeFirst();
      await db.insertInto('inbox_observations').values({ tenant_id: tenantId, vendor_id: vendorId, name: e.name, size: e.size, mtime_ms: e.mtimeMs })
        .onConflict((oc) => oc.columns(['tenant_id', 'vendor_id', 'name']).doUpdateSet({ size: e.size, mtime_ms: e.mtimeMs, last_seen_at: new Date() }))
        .execute();
      if (!before) return 'new';
      return Number(before.size) === e.size && Number(before.mtime_ms) === e.mtimeMs ? 'stable' : 'changed';
    },
    async forgetObservations(tenantId, vendorId, opts) {
      if ('name' in opts) {
        await db.deleteFrom('inbox_observations').where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where('name', '=', opts.name).execute();
        return;
      }
      const present = new Set(opts.present);
      const rows = await db.selectFrom('inbox_observations').select('name').where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId)
        .orderBy('name').limit(1000).execute();
      const gone = rows.map((r) => r.name).filter((n) => !present.has(n));
      if (gone.length > 0) {
        await db.deleteFrom('inbox_observations').where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where('name', 'in', gone).execute();
      }
    },
    async insertQuarantined(f) {
      await db.insertInto('files').values({
        tenant_id: f.tenantId, file_id: f.fileId, vendor_id: f.vendorId, direction: 'in', kind: f.kind, name: f.name,
        status: 'quarantined', size: f.size, sha256: null, remote_path: f.remotePath, error: f.reason,
      }).execute();
    },
    async claimInbound(f) {
      const inserted = await db.insertInto('files').values({
        tenant_id: f.tenantId, file_id: f.fileId, vendor_id: f.vendorId, direction: 'in', kind: f.kind, name: f.name,
        status: f.status, size: f.size, sha256: f.sha256, remote_path: f.remotePath, answers_file_id: f.answersFileId ?? null,
      }).onConflict((oc) => oc.expression(INBOUND_IDENTITY).where('direction', '=', 'in').doNothing())
        .returning('file_id').executeTakeFirst();
      if (inserted) return { created: true, file: (await get(f.tenantId, f.fileId))! };
      const existing = await sameInbound(db, f.tenantId, f.vendorId, f.sha256, f.answersFileId ?? null).selectAll().executeTakeFirstOrThrow();
      return { created: false, file: toFile(existing as Row) };
    },
  };
}
