import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { resolveSecret } from '../../config/secrets.js';
import type { Database } from '../../engines/database/port.js';
import type { PiiCipher } from '../../security/pii-cipher.js';
import { VendorflowError } from '../../shared/errors.js';
import { zonedParts } from '../../vendors/date-pattern.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { createWriter } from '../format/create-writer.js';
import { renderFileName } from '../format/file-name.js';
import { splitImage, type MaintenanceCode } from '../format/outbound-record.js';
import { createRecordBuilder } from '../format/record-builder.js';
import type { FileFacts, RecordWriter, RejectedRecord } from '../format/record-writer.js';
import { plannedRecordPages, type PlannedRecord, type RecordPage } from './outbound-records.js';
import { openSealedScratch, type SealedScratch } from './sealed-scratch.js';
import { openSpool } from './spool-file.js';

export interface GenerateFileInput {
  db: Database;
  pii: PiiCipher;
  tenantId: string;
  runId: string;
  vendorSpec: VendorSpec;
  kind: 'full' | 'change';
  /** The cycle the file belongs to; generating again for the same cycle regenerates the same file row. */
  cycleId: string | null;
  spoolDir: string;
  /** Armored recipient public key; defaults to the spec's `outbound.pgp.recipientKey` reference. */
  pgp?: { publicKey: string };
  /** Regenerate this file row (keeps its seq and control numbers). */
  fileId?: string;
  /** Generation time (file date, names, ISA/GS dates); now by default. */
  now?: Date;
  pageSize?: number;
}

export interface GeneratedFile {
  fileId: string; name: string; path: string; kind: 'full' | 'change'; seq: number; controlNumber: number;
  size: number; sha256: string; records: number; lines: number; rejected: number; incomplete: number;
  codes: Partial<Record<MaintenanceCode, number>>; regenerated: boolean;
}

/**
 * Generates one outbound file from a run's snapshots: keyset pages of snapshots → records (with
 * maintenance codes for a change file) → the vendor's writer → gzip? → PGP? → spool file, with the
 * SHA-256, size and counts taken on the fly. Each page's records are stored as file_members (with
 * the benefit_record they reflect, created at version 1 when new) in one transaction per page.
 * The file row's seq and control number are allocated once; running again for the same cycle (or
 * fileId) rewrites the same file. Member hashes do not move here: see markFileDelivered.
 */
export async function generateFile(input: GenerateFileInput): Promise<GeneratedFile> {
  const { db, tenantId, vendorSpec: spec, kind } = input;
  const now = input.now ?? new Date();
  const zoned = zonedParts(now, spec.schedule.timeZone);
  const date = `${zoned.year}-${String(zoned.month).padStart(2, '0')}-${String(zoned.day).padStart(2, '0')}`;
  const time = `${String(zoned.hour).padStart(2, '0')}${String(zoned.minute).padStart(2, '0')}`;

  const { file, settings, regenerated } = await db.unitOfWork(async (r) => {
    const tv = await r.outboundFiles.tenantVendor(tenantId, spec.id);
    const existing = input.fileId ? await r.outboundFiles.getOutbound(tenantId, input.fileId)
      : input.cycleId ? await r.outboundFiles.outboundForCycle(tenantId, input.cycleId, spec.id) : undefined;
    if (input.fileId && !existing) throw new VendorflowError('NOT_FOUND', `no outbound file ${input.fileId} for tenant ${tenantId}`);
    if (existing) {
      if (existing.status === 'delivered') throw new VendorflowError('CONFLICT', `file ${existing.fileId} was already delivered; it cannot be regenerated`);
      if (existing.vendorId !== spec.id || existing.kind !== kind) {
        throw new VendorflowError('CONFLICT', `file ${existing.fileId} is a ${existing.kind} file for ${existing.vendorId}, not a ${kind} file for ${spec.id}`);
      }
      await r.outboundFiles.setOutbound(tenantId, existing.fileId, { status: 'generating', error: null });
      return { file: existing, settings: tv?.settings ?? {}, regenerated: true };
    }
    const numbers = await r.outboundFiles.allocateNumbers(tenantId, spec.id);
    const fileId = input.fileId ?? `F-${randomUUID()}`;
    const row = { tenantId, fileId, vendorId: spec.id, cycleId: input.cycleId, kind, name: fileId, ...numbers };
    await r.outboundFiles.insertOutbound(row);
    return { file: { ...row, status: 'generating', size: null, sha256: null, rows: null }, settings: tv?.settings ?? {}, regenerated: false };
  });
  while ((await db.unitOfWork((r) => r.outboundFiles.clearMembersChunk(tenantId, file.fileId))) > 0);

  const facts: FileFacts = {
    id: file.fileId, name: '', seq: file.seq, controlNumber: file.controlNumber, date, time, tenant: tenantId, vendor: spec.id,
    kind, environment: spec.environment,
  };
  const publicKey = input.pgp?.publicKey ?? (spec.outbound.pgp ? resolveSecret(spec.outbound.pgp.recipientKey) : undefined);
  const name = renderFileName(spec.outbound.fileName, facts) + (spec.outbound.gzip ? '.gz' : '') + (publicKey ? '.pgp' : '');
  facts.name = name;
  const pages = plannedRecordPages({ db, pii: input.pii, tenantId, runId: input.runId, spec, kind, settings, asOf: date, pageSize: input.pageSize });

  let spoolInput: NodeJS.WritableStream & { destroy(e?: Error): void } | undefined;
  let storing: Promise<void> = Promise.resolve();
  const path = join(input.spoolDir, tenantId, spec.id, name);
  let held: SealedScratch | undefined;
  try {
    const rejected: RejectedRecord[] = [];
    const spool = await openSpool({ path, gzip: spec.outbound.gzip, pgpPublicKey: publicKey });
    spoolInput = spool.input;
    // An 834's header counts its members: they are rendered first, held sealed, and follow the header.
    if (spec.outbound.format === 'x12-834') held = openSealedScratch(`${path}.members`);
    const writer = createWriter(spec, facts, settings, { onReject: (r) => rejected.push(r), headerLast: held !== undefined });
    writer.pipe(held ? held.input : spool.input);
    // A stream that fails ends the wait for the writer's room.
    const failed = Promise.all([spool.done, held?.written]).then(() => new Promise<never>(() => {}));
    const sensitive = createRecordBuilder({ spec, settings, asOf: date }).sensitiveColumns;
    const codes: GeneratedFile['codes'] = {};
    let ordinal = 0;
    let incomplete = 0;
    // A page's members are stored while the next page is read and written: the database works on
    // one while this process works on the other. One store in flight keeps row-error lines in order.
    for await (const page of pages) {
      incomplete += page.incomplete;
      const before = rejected.length;
      await Promise.race([writePage(writer, page.records), failed]);
      const refused = new Set(rejected.slice(before).map((r) => r.record));
      const accepted = page.records.filter((r) => !refused.has(r));
      for (const r of accepted) codes[r.code] = (codes[r.code] ?? 0) + 1;
      await storing;
      storing = storePage(input, file.fileId, accepted, page, rejected.slice(before), sensitive, () => ++ordinal);
      storing.catch(() => {}); // awaited below or at the next page; a failure is not lost
    }
    await storing;
    writer.end();
    if (held) {
      await held.written;
      const { header, trailer } = writer.closing();
      await held.replay(spool.input, header, trailer);
    }
    const result = await spool.done;
    await db.unitOfWork((r) => r.outboundFiles.setOutbound(tenantId, file.fileId, {
      status: 'generated', size: result.bytes, sha256: result.sha256, rows: writer.stats.records, name,
    }));
    return {
      fileId: file.fileId, name, path: result.path, kind, seq: file.seq, controlNumber: file.controlNumber, size: result.bytes,
      sha256: result.sha256, records: writer.stats.records, lines: writer.stats.lines, rejected: writer.stats.rejected, incomplete, codes, regenerated,
    };
  } catch (e) {
    spoolInput?.destroy(e as Error); // removes the partial spool file
    await storing.catch(() => {}); // settle the page store in flight before marking the file failed
    await db.unitOfWork((r) => r.outboundFiles.setOutbound(tenantId, file.fileId, { status: 'failed', error: (e as Error).message }));
    throw e;
  } finally {
    await held?.remove();
  }
}

/** Writes a page with backpressure; resolves once the writer has taken its last record. */
async function writePage(writer: RecordWriter, records: PlannedRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (i === records.length - 1) {
      await new Promise<void>((resolve, reject) => writer.write(r, (e) => (e ? reject(e) : resolve())));
    } else if (!writer.write(r)) {
      await once(writer, 'drain');
    }
  }
}

async function storePage(
  input: GenerateFileInput, fileId: string, accepted: PlannedRecord[], page: RecordPage, refused: RejectedRecord[],
  sensitive: ReadonlySet<string>, nextLine: () => number,
): Promise<void> {
  const { tenantId, pii } = input;
  const vendorId = input.vendorSpec.id;
  await input.db.unitOfWork(async (r) => {
    for (let i = 0; i < accepted.length; i += 1000) {
      const chunk = accepted.slice(i, i + 1000);
      await r.outboundFiles.insertMembers(tenantId, vendorId, fileId, chunk.map((c) => {
        const { plain, sealed } = splitImage(c.image, sensitive);
        return {
          employeeId: c.employeeId, planCode: c.planCode, fields: c.fields, recordHash: c.hash,
          maintenanceCode: c.code, sent: { ...plain, planType: c.planType }, sentPii: pii.seal(tenantId, sealed),
        };
      }));
    }
    // Problems name the employee, plan and column, never the value (it may be an SSN or a birth date).
    for (const p of page.problems) {
      await r.outboundFiles.rowError(tenantId, fileId, { line: nextLine(), column: p.column, code: 'RECORD_INVALID', message: `${p.employeeId} ${p.planCode}: ${p.message}` });
    }
    for (const x of refused) {
      await r.outboundFiles.rowError(tenantId, fileId, { line: nextLine(), column: x.column, code: 'RECORD_UNWRITABLE', message: `${x.record.employeeId} ${x.record.planCode}: ${x.message}` });
    }
  });
}
