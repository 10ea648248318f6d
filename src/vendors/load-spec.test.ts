import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseVendorSpec, type SpecProblem } from './load-spec.js';

const EXAMPLES = ['acme-medical', 'bright-dental', 'summit-life'];
const read = (name: string) => readFileSync(new URL(`../../examples/vendors/${name}.yaml`, import.meta.url), 'utf8');

/** The example spec with one change applied at a YAML path; returns every problem found. */
function problemsAfter(name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): SpecProblem[] {
  const doc = parseDocument(read(name));
  edit(doc);
  const r = parseVendorSpec(doc.toString());
  if (r.ok) throw new Error('expected the edited spec to be invalid');
  return r.problems;
}
const lines = (ps: SpecProblem[]) => ps.map((p) => `${p.path}: ${p.message}`);

describe('vendor spec validation', () => {
  it.each(EXAMPLES)('accepts the example %s', (name) => {
    const r = parseVendorSpec(read(name));
    expect(r.ok ? r.spec.id : r.problems).toBe(name);
  });

  it('points at an unknown date pattern with its exact path and line', () => {
    const ps = problemsAfter('acme-medical', (d) => d.setIn(['outbound', 'columns', 9, 'format'], 'YYYY-MM-DDD'));
    expect(lines(ps)).toEqual(['outbound.columns[9].format: unknown date pattern "YYYY-MM-DDD"']);
    expect(ps[0]!.line).toBeGreaterThan(20);
  });

  const cases: Array<[string, string, (d: ReturnType<typeof parseDocument>) => void, string]> = [
    ['misspelt key', 'acme-medical', (d) => d.setIn(['outbound', 'csv', 'qoute'], 'x'), 'outbound.csv.qoute: unknown key'],
    ['unknown snapshot field', 'acme-medical', (d) => d.setIn(['outbound', 'columns', 11, 'field'], 'employee.address.zipcode'),
      'outbound.columns[11].field: unknown field "employee.address.zipcode"'],
    ['field with wrong case', 'acme-medical', (d) => d.setIn(['outbound', 'columns', 16, 'field'], 'employee.person.Email'),
      'outbound.columns[16].field: unknown field "employee.person.Email" (did you mean "email"?)'],
    ['fixed-width column without width', 'bright-dental', (d) => d.deleteIn(['outbound', 'columns', 4, 'width']),
      'outbound.columns[4].width: a fixed-width column needs a width'],
    ['count in a header', 'bright-dental', (d) => d.setIn(['outbound', 'header', 'columns', 3, 'field'], 'file.recordCount'),
      'outbound.header.columns[3].field: field "file.recordCount" is only known at the end of the file: use it in the trailer'],
    ['total of an unknown column', 'bright-dental', (d) => d.setIn(['outbound', 'trailer', 'columns', 2, 'field'], 'file.totals.premiums'),
      'outbound.trailer.columns[2].field: file.totals.premiums: no column named "premiums"'],
    ['file name without seq', 'acme-medical', (d) => d.setIn(['outbound', 'fileName'], 'ACME_{tenant}.csv'),
      'outbound.fileName: the pattern must contain {seq}'],
    ['unknown file name token', 'acme-medical', (d) => d.setIn(['outbound', 'fileName'], 'ACME_{tennant}_{seq}.csv'),
      'outbound.fileName: unknown token {tennant} (known: tenant, vendor, seq, kind, environment, fileId, date:PATTERN, seq:DIGITS)'],
    ['secret given as a value', 'acme-medical', (d) => d.setIn(['sftp', 'privateKey'], '-----BEGIN OPENSSH PRIVATE KEY-----'),
      'sftp.privateKey: expected a secret reference "env:NAME" or "file:/path"'],
    ['host key not pinned properly', 'acme-medical', (d) => d.setIn(['sftp', 'hostKeyFingerprint'], 'ab:cd:ef'),
      'sftp.hostKeyFingerprint: expected an OpenSSH fingerprint "SHA256:<43 base64 characters>"'],
    ['bad cron', 'acme-medical', (d) => d.setIn(['schedule', 'cron'], '0 25 * * *'),
      'schedule.cron: invalid cron expression "0 25 * * *": Constraint error, got value 25 expected range 0-23'],
    ['unknown time zone', 'acme-medical', (d) => d.setIn(['schedule', 'timeZone'], 'America/Chicgo'),
      'schedule.timeZone: unknown time zone "America/Chicgo" (expected an IANA name such as America/Chicago)'],
    ['correlation column missing', 'summit-life', (d) => d.setIn(['inbound', 'correlation', 'column'], 'our_file'),
      'inbound.correlation.column: no inbound column named "our_file"'],
    ['error threshold above 1', 'acme-medical', (d) => d.setIn(['inbound', 'errorThreshold'], 5),
      'inbound.errorThreshold: Too big: expected number to be <=1'],
    ['inbound date format without a day', 'acme-medical', (d) => d.setIn(['inbound', 'dateFormats', 1], 'MM/YYYY'),
      'inbound.dateFormats[1]: "MM/YYYY" is not a full date (needs year, month and day)'],
    ['834 plan type without insurance line', 'summit-life', (d) => d.setIn(['outbound', 'planTypes'], ['life', 'dental']),
      'outbound.x12.insuranceLines: no insurance line code for plan type "dental"'],
    ['same delimiter twice', 'summit-life', (d) => d.setIn(['outbound', 'x12', 'delimiters', 'segment'], '*'),
      'outbound.x12.delimiters: the four delimiters must differ'],
    ['format on a decimal column', 'acme-medical', (d) => d.setIn(['outbound', 'columns', 21, 'format'], 'YYYY'),
      'outbound.columns[21].format: format applies to date columns, this one is decimal'],
    ['missing section', 'acme-medical', (d) => d.delete('schedule'), 'schedule: required'],
  ];

  it.each(cases)('reports %s', (_what, name, edit, expected) => {
    expect(lines(problemsAfter(name, edit))).toEqual([expected]);
  });

  it('reports every mistake of a file at once, not only the first', () => {
    const ps = problemsAfter('acme-medical', (d) => {
      d.setIn(['outbound', 'columns', 9, 'format'], 'YYYY-MM-DDD');
      d.setIn(['schedule', 'timeZone'], 'Mars/Olympus');
      d.setIn(['sftp', 'port'], 70000);
    });
    expect(ps.map((p) => p.path).sort()).toEqual(['outbound.columns[9].format', 'schedule.timeZone', 'sftp.port']);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseVendorSpec('id: x\noutbound: [unclosed\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ path: '(yaml)', line: expect.any(Number) });
  });
});
