/**
 * A separate process that ingests one file, for crash tests: the parent sets VENDORFLOW_CRASH_AT and
 * this process SIGKILLs itself at that point. Input from the environment; prints the summary as JSON.
 */
import { openDatabase } from '../../src/engines/database/open-database.js';
import { ingestFile } from '../../src/pipeline/ingest/ingest-file.js';
import { OUTBOUND, RESPONSE_SPEC, TENANT, testUrlChecker, VENDOR } from '../support/ingest-fixture.js';

const db = await openDatabase({ engine: 'postgres', url: process.env.INGEST_DATABASE_URL!, poolSize: 2 });
try {
  const summary = await ingestFile({
    db, tenantId: TENANT, vendorId: VENDOR, path: process.env.INGEST_FILE!, spec: RESPONSE_SPEC, answersFileId: OUTBOUND,
    checkUrl: await testUrlChecker(), chunkSize: Number(process.env.INGEST_CHUNK ?? '100'),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await db.close();
}
