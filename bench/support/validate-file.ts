import { compileIngestSpec, type IngestSpecInput } from '../../src/pipeline/ingest/ingest-spec.js';
import { readResponse } from '../../src/pipeline/ingest/read-response.js';
import { createRowValidator, type SourceRecord, type ValidatedRow } from '../../src/pipeline/ingest/validate-row.js';

/**
 * Pass 1's pure part over a spooled file: decode, tokenise, map the header, clean, type-check and
 * normalise every value (what pass 1 does before its per-chunk database checks).
 */
export async function validateFile(path: string, spec: IngestSpecInput): Promise<{ records: number; rejected: number }> {
  const compiled = compileIngestSpec(spec);
  let validate: ((r: SourceRecord) => ValidatedRow) | null = null;
  let records = 0;
  let rejected = 0;
  for await (const batch of readResponse(path, compiled, (l) => { validate = createRowValidator(compiled, l.index, l.expectedFields); })) {
    for (const r of batch) if (validate!(r).rejected) rejected++;
    records += batch.length;
  }
  return { records, rejected };
}
