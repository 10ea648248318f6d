import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { PlanType } from '../shared/snapshot.js';
import { compileDatePattern, DatePatternError } from './date-pattern.js';
import { checkFieldPath, type FieldScope } from './field-paths.js';
import { VendorUrlPolicySchema } from '../security/ssrf/url-policy.js';

/**
 * The vendor spec: one YAML file per vendor, validated here. Objects are strict so a misspelt key is
 * an error naming it. Checks sit at the lowest level they can (a field, then a column, then a
 * section) so that one mistake does not hide the others: `spec validate` reports every problem.
 * Secrets (SFTP key, PGP recipient key) are references, never values.
 */
const SecretRef = z.string().regex(/^(env|file):.+$/, 'expected a secret reference "env:NAME" or "file:/path"');
const Encoding = z.enum(['utf-8', 'latin1', 'ascii']);
const oneChar = z.string().length(1, 'expected exactly one character');

const datePattern = z.string().superRefine((v, ctx) => {
  try {
    compileDatePattern(v);
  } catch (e) {
    if (!(e instanceof DatePatternError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
  }
});

/** Tokens a file-name pattern may use. */
const FILE_NAME_TOKENS = ['tenant', 'vendor', 'seq', 'kind', 'environment', 'fileId'];
const fileNamePattern = (required: string[] = []) => z.string().min(1).superRefine((v, ctx) => {
  if (/[/\\]|\.\./.test(v)) ctx.addIssue({ code: 'custom', message: 'a file name must not contain "/", "\\" or ".."' });
  const seen = new Set<string>();
  for (const m of v.matchAll(/\{([^}]*)\}/g)) {
    const [name, arg] = m[1]!.split(':', 2) as [string, string | undefined];
    seen.add(name);
    if (name === 'date') {
      try {
        compileDatePattern(arg ?? 'yyyyMMdd');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    } else if (name === 'seq') {
      if (arg !== undefined && !/^\d{1,2}$/.test(arg)) ctx.addIssue({ code: 'custom', message: `{seq:${arg}}: expected a digit count such as {seq:4}` });
    } else if (!FILE_NAME_TOKENS.includes(name)) {
      ctx.addIssue({ code: 'custom', message: `unknown token {${m[1]}} (known: ${[...FILE_NAME_TOKENS, 'date:PATTERN', 'seq:DIGITS'].join(', ')})` });
    }
  }
  for (const r of required) if (!seen.has(r)) ctx.addIssue({ code: 'custom', message: `the pattern must contain {${r}}` });
});

const fieldPath = (scope: FieldScope) => z.string().superRefine((v, ctx) => {
  const problem = checkFieldPath(v, scope);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const columnBase = (scope: FieldScope) => z.object({
  name: z.string().min(1),
  /** Where the value comes from; or `value` for a constant (record type, filler, version). */
  field: fieldPath(scope).optional(),
  value: z.string().optional(),
  type: z.enum(['string', 'integer', 'decimal', 'date']).default('string'),
  /** Date pattern for date columns, e.g. YYYYMMDD. */
  format: datePattern.optional(),
  decimals: z.number().int().min(0).max(6).optional(),
  /** Fixed-width: write 123.45 as 12345 (the decimal point is implied by `decimals`). */
  impliedDecimal: z.boolean().default(false),
  map: z.record(z.string(), z.string()).optional(),
  default: z.string().optional(),
  required: z.boolean().default(false),
  width: z.number().int().min(1).max(10_000).optional(),
  align: z.enum(['left', 'right']).optional(),
  pad: oneChar.optional(),
  overflow: z.enum(['error', 'truncate']).default('error'),
  /** Force sealing at rest even when the path is not a known sensitive field. */
  sensitive: z.boolean().optional(),
}).strict().superRefine((c, ctx) => {
  if ((c.field === undefined) === (c.value === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'a column needs exactly one of "field" or "value"' });
  }
  if (c.type === 'date' && c.field !== undefined && c.format === undefined) ctx.addIssue({ code: 'custom', path: ['format'], message: 'a date column needs a format, e.g. YYYYMMDD' });
  if (c.type !== 'date' && c.format !== undefined) ctx.addIssue({ code: 'custom', path: ['format'], message: `format applies to date columns, this one is ${c.type}` });
  if (c.type !== 'decimal' && (c.decimals !== undefined || c.impliedDecimal)) {
    ctx.addIssue({ code: 'custom', path: [c.decimals !== undefined ? 'decimals' : 'impliedDecimal'], message: `applies to decimal columns, this one is ${c.type}` });
  }
  if (c.impliedDecimal && c.decimals === undefined) ctx.addIssue({ code: 'custom', path: ['decimals'], message: 'impliedDecimal needs decimals' });
});

export const Column = columnBase('detail');
export type Column = z.infer<typeof Column>;

const RecordDef = (scope: FieldScope) => z.object({ columns: z.array(columnBase(scope)).min(1) }).strict();

const CsvOptions = z.object({
  delimiter: oneChar.default(','),
  quoting: z.enum(['needed', 'always']).default('needed'),
  header: z.boolean().default(true),
  injection: z.object({
    /** prefix: `'` before a dangerous first character (default); strip: drop such characters; reject: the row is an error. */
    policy: z.enum(['prefix', 'strip', 'reject']).default('prefix'),
    prefix: z.string().min(1).max(4).default("'"),
  }).strict().default({ policy: 'prefix', prefix: "'" }),
}).strict().refine((o) => o.delimiter !== '"' && o.delimiter !== '\n' && o.delimiter !== '\r', { path: ['delimiter'], message: 'the delimiter cannot be a quote or a line break' });

const FixedWidthOptions = z.object({
  /** Characters the encoding lacks: transliterate (é→e, then `replacement`), replace, or error. */
  unmappable: z.enum(['transliterate', 'replace', 'error']).default('transliterate'),
  replacement: oneChar.default('?'),
}).strict();

const x12Char = z.string().length(1).refine((c) => !/[A-Za-z0-9 ]/.test(c), 'a delimiter cannot be a letter, digit or space');
const X12Options = z.object({
  senderQualifier: z.string().length(2).default('ZZ'),
  senderId: z.string().min(1).max(15),
  receiverQualifier: z.string().length(2).default('ZZ'),
  receiverId: z.string().min(1).max(15),
  delimiters: z.object({
    element: x12Char.default('*'), component: x12Char.default(':'), repetition: x12Char.default('^'), segment: x12Char.default('~'),
  }).strict().default({ element: '*', component: ':', repetition: '^', segment: '~' })
    .refine((d) => new Set(Object.values(d)).size === 4, 'the four delimiters must differ'),
  /** A value holding a delimiter or a character outside the X12 extended set: row error, or replaced. */
  invalidCharacters: z.enum(['error', 'replace']).default('replace'),
  replacement: z.string().length(1).default(' '),
  /** Newline after each segment terminator (readable; most carriers accept it). */
  segmentNewline: z.boolean().default(false),
  /** HD03 insurance line code per plan type. */
  insuranceLines: z.partialRecord(PlanType, z.enum(['HLT', 'DEN', 'VIS', 'LIF', 'ADD', 'STD', 'LTD', 'AH'])).default({}),
}).strict();

export const Outbound = z.object({
  format: z.enum(['csv', 'fixed-width', 'x12-834']),
  encoding: Encoding.default('utf-8'),
  lineEnding: z.enum(['crlf', 'lf']).default('crlf'),
  /** Plan types sent to this vendor. */
  planTypes: z.array(PlanType).min(1),
  /** One line per employee × plan, or also one per covered dependant (834 always carries dependants). */
  members: z.enum(['subscribers', 'all']).default('subscribers'),
  fileName: fileNamePattern(['seq']),
  gzip: z.boolean().default(false),
  pgp: z.object({ recipientKey: SecretRef }).strict().optional(),
  csv: CsvOptions.optional(),
  fixedWidth: FixedWidthOptions.optional(),
  x12: X12Options.optional(),
  columns: z.array(Column).optional(),
  header: RecordDef('header').optional(),
  trailer: RecordDef('trailer').optional(),
}).strict().superRefine((o, ctx) => {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (o.format === 'x12-834') {
    if (!o.x12) issue(['x12'], 'an x12-834 vendor needs an x12 section (sender and receiver ids)');
    if (o.columns) issue(['columns'], 'an x12-834 file has a fixed layout: remove columns');
    for (const t of o.planTypes) if (o.x12 && !o.x12.insuranceLines[t]) issue(['x12', 'insuranceLines'], `no insurance line code for plan type "${t}"`);
    return;
  }
  if (!o.columns || o.columns.length === 0) return issue(['columns'], `a ${o.format} file needs columns`);
  if (o.format === 'csv' && (o.fixedWidth)) issue(['fixedWidth'], 'fixedWidth options apply to fixed-width files');
  if (o.format === 'fixed-width' && o.csv) issue(['csv'], 'csv options apply to csv files');
  const names = new Set<string>();
  o.columns.forEach((c, i) => {
    if (names.has(c.name)) issue(['columns', i, 'name'], `duplicate column name "${c.name}"`);
    names.add(c.name);
  });
  const sections = [['columns', o.columns], ['header', o.header?.columns], ['trailer', o.trailer?.columns]] as const;
  for (const [section, cols] of sections) {
    cols?.forEach((c, i) => {
      const at = section === 'columns' ? ['columns', i] : [section, 'columns', i];
      if (o.format === 'fixed-width' && c.width === undefined) issue([...at, 'width'], 'a fixed-width column needs a width');
      if (o.format !== 'fixed-width' && (c.width !== undefined || c.impliedDecimal)) issue([...at, c.width !== undefined ? 'width' : 'impliedDecimal'], `applies to fixed-width files, this one is ${o.format}`);
      const total = c.field && /^file\.totals\.(.+)$/.exec(c.field);
      if (total && !names.has(total[1]!)) issue([...at, 'field'], `file.totals.${total[1]}: no column named "${total[1]}"`);
    });
  }
});
export type Outbound = z.infer<typeof Outbound>;

const InboundColumn = z.object({
  name: z.string().min(1),
  type: z.enum(['string', 'integer', 'decimal', 'date', 'url']).default('string'),
  width: z.number().int().min(1).max(10_000).optional(),
  required: z.boolean().default(false),
  /** Accepted date patterns for this column, tried in order (overrides inbound.dateFormats). */
  dateFormats: z.array(datePattern).min(1).optional(),
}).strict();

export const Inbound = z.object({
  format: z.enum(['csv', 'fixed-width', 'x12-834']),
  encoding: Encoding.default('utf-8'),
  csv: z.object({ delimiter: oneChar.default(','), header: z.boolean().default(true) }).strict().optional(),
  columns: z.array(InboundColumn).default([]),
  dateFormats: z.array(datePattern).min(1).default(['YYYY-MM-DD']),
  /** How to read 03/04/2024 when both day-first and month-first patterns are accepted. */
  ambiguousDates: z.enum(['month-first', 'day-first']).default('month-first'),
  /** A file with more rejected rows than this share of its data rows is quarantined. */
  errorThreshold: z.number().min(0).max(1).default(0.05),
  /** Where URLs in this vendor's files may point; only narrows the platform baseline (security/ssrf). */
  urls: VendorUrlPolicySchema.optional(),
  /**
   * The vendor encrypts its files to our PGP key (`privateKey`, a secret reference); with
   * `verificationKeys` (the vendor's public keys) every file must also carry a valid signature.
   */
  pgp: z.object({
    privateKey: SecretRef,
    passphrase: SecretRef.optional(),
    verificationKeys: z.array(SecretRef).min(1).optional(),
  }).strict().optional(),
  correlation: z.discriminatedUnion('by', [
    z.object({ by: z.literal('fileName'), pattern: fileNamePattern(['seq']) }).strict(),
    z.object({ by: z.literal('column'), column: z.string().min(1) }).strict(),
  ]),
}).strict().superRefine((i, ctx) => {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (i.format !== 'x12-834' && i.columns.length === 0) issue(['columns'], `a ${i.format} response needs columns`);
  i.columns.forEach((c, n) => {
    if (i.format === 'fixed-width' && c.width === undefined) issue(['columns', n, 'width'], 'a fixed-width column needs a width');
    if (c.dateFormats) for (const [k, f] of c.dateFormats.entries()) if (!compileDatePattern(f).isFullDate) issue(['columns', n, 'dateFormats', k], `"${f}" is not a full date (needs year, month and day)`);
  });
  i.dateFormats.forEach((f, k) => {
    if (!compileDatePattern(f).isFullDate) issue(['dateFormats', k], `"${f}" is not a full date (needs year, month and day)`);
  });
  if (i.correlation.by === 'column' && !i.columns.some((c) => c.name === (i.correlation as { column: string }).column)) {
    issue(['correlation', 'column'], `no inbound column named "${i.correlation.column}"`);
  }
});
export type Inbound = z.infer<typeof Inbound>;

const Sftp = z.object({
  host: z.string().regex(/^[A-Za-z0-9.-]+$|^\[?[0-9a-fA-F:]+\]?$/, 'expected a host name or IP address'),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  privateKey: SecretRef,
  passphrase: SecretRef.optional(),
  /** OpenSSH form `SHA256:<base64>`; the connection is refused when the server's key differs. */
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected an OpenSSH fingerprint "SHA256:<43 base64 characters>"'),
  outbox: z.string().regex(/^\//, 'expected an absolute remote path'),
  inbox: z.string().regex(/^\//, 'expected an absolute remote path'),
  /** What pickup does with a file it has taken: move it under `archiveDir` (default `<inbox>/archive`) or delete it. */
  afterPickup: z.enum(['archive', 'delete']).default('archive'),
  archiveDir: z.string().regex(/^\//, 'expected an absolute remote path').optional(),
  /**
   * Take an inbox file only once `<name><doneMarker>` exists (e.g. ".done"); without one, a file is
   * taken once its size and mtime held still across two polls.
   */
  doneMarker: z.string().regex(/^\.[A-Za-z0-9_.-]{1,32}$/, 'expected a suffix such as ".done"').optional(),
  /** Delivery writes `<name>.sha256` (sha256sum format) beside each file; pickup waits for the vendor's and checks it. */
  sha256Sidecar: z.boolean().default(false),
}).strict().superRefine((s, ctx) => {
  if (s.afterPickup === 'delete' && s.archiveDir !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['archiveDir'], message: 'archiveDir is only used with afterPickup: archive' });
  }
});

const Schedule = z.object({
  cron: z.string().superRefine((v, ctx) => {
    try {
      CronExpressionParser.parse(v, { tz: 'UTC' });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid cron expression "${v}": ${(e as Error).message}` });
    }
  }),
  timeZone: z.string().superRefine((v, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: v });
    } catch {
      ctx.addIssue({ code: 'custom', message: `unknown time zone "${v}" (expected an IANA name such as America/Chicago)` });
    }
  }),
  sla: z.object({
    /** The file must be delivered this long after the cycle's scheduled time. */
    deliveryMinutes: z.number().int().positive(),
    /** The vendor's response is expected this long after delivery. */
    responseHours: z.number().int().positive().optional(),
  }).strict(),
}).strict();

export const VendorSpec = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'expected a lower-case id of letters, digits and "-"'),
  name: z.string().min(1),
  /** ISA15 and the {environment} token: test files must never be taken for production. */
  environment: z.enum(['test', 'production']),
  outbound: Outbound,
  inbound: Inbound.optional(),
  sftp: Sftp,
  schedule: Schedule,
}).strict();
export type VendorSpec = z.infer<typeof VendorSpec>;
