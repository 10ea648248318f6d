import type { Database, Repositories } from '../../engines/database/port.js';
import { VendorflowError } from '../../shared/errors.js';

/**
 * Delivery is what makes a file's records the vendor's state: its member hashes become the
 * baseline for the next change file (a delivered full file replaces the baseline; a change file
 * updates it, and its terminations leave it). Until then they stay pending on the file's members,
 * so a file generated but never delivered changes nothing.
 */
export async function advanceMemberHashes(r: Repositories, tenantId: string, fileId: string): Promise<{ advanced: number; removed: number }> {
  const file = await r.outboundFiles.getOutbound(tenantId, fileId);
  if (!file) throw new VendorflowError('NOT_FOUND', `no outbound file ${fileId} for tenant ${tenantId}`);
  const { advanced, removed: ended } = await r.outboundFiles.advanceHashesFromFile(tenantId, file.vendorId, fileId);
  let removed = ended;
  if (file.kind === 'full') {
    for (let n = await r.outboundFiles.deleteHashesNotFromChunk(tenantId, file.vendorId, fileId); n > 0;
      n = await r.outboundFiles.deleteHashesNotFromChunk(tenantId, file.vendorId, fileId)) removed += n;
  }
  return { advanced, removed };
}

/** Marks a generated outbound file delivered and advances its hashes, in one transaction; idempotent. */
export async function markFileDelivered(opts: { db: Database; tenantId: string; fileId: string }): Promise<{ alreadyDelivered: boolean; advanced: number; removed: number }> {
  return opts.db.unitOfWork(async (r) => {
    const file = await r.outboundFiles.getOutbound(opts.tenantId, opts.fileId);
    if (!file) throw new VendorflowError('NOT_FOUND', `no outbound file ${opts.fileId} for tenant ${opts.tenantId}`);
    if (file.status === 'delivered') return { alreadyDelivered: true, advanced: 0, removed: 0 };
    if (file.status === 'generating' || file.status === 'failed') {
      throw new VendorflowError('CONFLICT', `file ${opts.fileId} is ${file.status}; only a generated file can be delivered`);
    }
    await r.outboundFiles.setOutbound(opts.tenantId, opts.fileId, { status: 'delivered' });
    return { alreadyDelivered: false, ...(await advanceMemberHashes(r, opts.tenantId, opts.fileId)) };
  });
}
