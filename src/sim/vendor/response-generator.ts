import { createHash } from 'node:crypto';
import { readCsv } from '../../pipeline/format/csv-reader.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';

/** One enrolled member found in a delivered file. */
interface Enrolled { employeeId: string; planCode: string; coverageStart: string | null }

export interface ResponseOptions {
  /** Seed: same seed + same delivered members → byte-identical response. */
  seed: number;
  /** Real-world mess (default on): BOM, CRLF, mixed dates, invisible spaces, bad rows, unknown employees, a private URL. */
  messy?: boolean;
}

export interface GeneratedResponse { name: string; content: Buffer; rows: number }

/**
 * The demo vendor's answer to a delivered file: one row per enrolled member with a personalised
 * benefit calculation (monthly premium, employer contribution, deduction per pay period, coverage
 * effective date, plan document URL), laid out in the spec's inbound columns and correlated by the
 * spec's rule. Pure and deterministic.
 */
export async function generateResponse(spec: VendorSpec, deliveredName: string, delivered: Buffer, opts: ResponseOptions): Promise<GeneratedResponse> {
  const inbound = spec.inbound;
  if (!inbound) throw new Error(`vendor ${spec.id} has no inbound section`);
  const messy = opts.messy ?? true;
  const members = await readEnrolled(spec, delivered);
  // Seeded by who was enrolled, not by every delivered byte: the same members get the same answer
  // (and the same mess on the same rows) whatever run-specific identifiers the file carries (an
  // 834's file id), so runs of the same input on different engines agree on what was applied.
  const rand = prng(opts.seed, Buffer.from(JSON.stringify(members)));
  const rows: Record<string, string>[] = members.map((m) => calculate(spec, m, deliveredName, rand));
  if (messy && rows.length > 0) {
    mess(rows, rand, spec);
  }
  const name = responseName(spec, deliveredName);
  const columns = inbound.columns.map((c) => c.name);
  if (inbound.format === 'fixed-width') {
    const widths = inbound.columns.map((c) => c.width ?? 10);
    const lines = rows.map((r) => columns.map((c, i) => (r[c] ?? '').slice(0, widths[i]).padEnd(widths[i]!)).join(''));
    return { name, content: Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'), rows: rows.length };
  }
  const delimiter = inbound.csv?.delimiter ?? ',';
  const header = inbound.csv?.header ?? true;
  const eol = messy ? '\r\n' : '\n';
  const out = [...(header ? [columns.join(delimiter)] : []), ...rows.map((r) => columns.map((c) => csvField(r[c] ?? '', delimiter)).join(delimiter))];
  const text = `${messy ? '\uFEFF' : ''}${out.join(eol)}${eol}`;
  return { name, content: Buffer.from(text, 'utf8'), rows: rows.length };
}

function csvField(v: string, delimiter: string): string {
  return /["\r\n]/.test(v) || v.includes(delimiter) ? `"${v.replace(/"/g, '""')}"` : v;
}

async function readEnrolled(spec: VendorSpec, delivered: Buffer): Promise<Enrolled[]> {
  const out = spec.outbound;
  const seen = new Map<string, Enrolled>();
  const add = (e: Enrolled) => { if (e.employeeId && !seen.has(`${e.employeeId}|${e.planCode}`)) seen.set(`${e.employeeId}|${e.planCode}`, e); };
  if (out.format === 'csv') {
    const text = delivered.toString(out.encoding === 'latin1' ? 'latin1' : 'utf8').replace(/^\uFEFF/, '');
    let header: string[] | undefined;
    for await (const rec of readCsv([text], { delimiter: out.csv?.delimiter ?? ',' })) {
      if (!header) { header = rec.fields; continue; }
      const get = (n: string) => rec.fields[header!.indexOf(n)] ?? '';
      add({ employeeId: get('employee_id'), planCode: get('plan_code'), coverageStart: get('coverage_start') || null });
    }
  } else if (out.format === 'fixed-width') {
    const offsets = new Map<string, [number, number]>();
    let at = 0;
    for (const c of out.columns ?? []) { offsets.set(c.name, [at, at + (c.width ?? 0)]); at += c.width ?? 0; }
    const cut = (line: string, n: string) => { const o = offsets.get(n); return o ? line.slice(o[0], o[1]).trim() : ''; };
    for (const line of delivered.toString('latin1').split(/\r?\n/)) {
      if (line[0] !== 'D') continue;
      add({ employeeId: cut(line, 'employee_id'), planCode: cut(line, 'plan_code'), coverageStart: cut(line, 'coverage_start') || null });
    }
  } else {
    // X12 834: a member loop starts at INS; REF*0F carries the subscriber id, HD the plan, DTP*348 the start.
    const text = delivered.toString('latin1');
    const seg = text.includes('~') ? '~' : '\n';
    const el = text.startsWith("ISA") ? text.charAt(3) : "*";
    let current: Enrolled | undefined;
    for (const raw of text.split(seg)) {
      const s = raw.trim().split(el);
      if (s[0] === 'INS') { if (current) add(current); current = { employeeId: '', planCode: '', coverageStart: null }; }
      else if (current && s[0] === 'REF' && s[1] === '0F') current.employeeId = s[2] ?? '';
      else if (current && s[0] === 'HD') current.planCode = (s[4] ?? s[3] ?? '').trim();
      else if (current && s[0] === 'DTP' && s[1] === '348') current.coverageStart = s[3] ?? null;
    }
    if (current) add(current);
  }
  return [...seen.values()];
}

function calculate(spec: VendorSpec, m: Enrolled, deliveredName: string, rand: () => number): Record<string, string> {
  const premiumCents = 8_000 + Math.floor(rand() * 90_000);
  const employerCents = Math.floor(premiumCents * (0.5 + rand() * 0.3));
  const perPeriodCents = Math.round(((premiumCents - employerCents) * 12) / 26);
  const effective = isoDate(m.coverageStart) ?? '2025-01-01';
  const money = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  const url = `https://${documentHost(spec)}/plans/${encodeURIComponent(m.planCode || 'plan')}/${encodeURIComponent(m.employeeId)}.pdf`;
  const dateFmt = spec.inbound!.dateFormats[0] ?? 'YYYY-MM-DD';
  return {
    record_type: 'D', employee_id: m.employeeId, plan_code: m.planCode, member_id: `M${m.employeeId}`,
    status: 'AC', effective_date: formatDate(effective, dateFmt), coverage_effective_date: formatDate(effective, dateFmt),
    monthly_premium: money(premiumCents), employer_contribution: money(employerCents), deduction_per_period: money(perPeriodCents),
    id_card_url: url, certificate_url: url, plan_document_url: url, file_id: deliveredName,
    message: `Enrolled; premium ${money(premiumCents)}/month`,
  };
}

/** Where the vendor's links point: the first named host its spec allows for URLs, else a made-up one. */
export function documentHost(spec: VendorSpec): string {
  return spec.inbound?.urls?.hosts.find((h) => !h.startsWith('*')) ?? `docs.${spec.id}.example`;
}

/** Real-world damage, a few rows of each kind, chosen by the seeded generator. */
function mess(rows: Record<string, string>[], rand: () => number, spec: VendorSpec): void {
  const pick = () => rows[Math.floor(rand() * rows.length)]!;
  const fixed = spec.inbound!.format === 'fixed-width';
  pick().message = 'Enrolled, "per plan rules", see notes';
  pick().message = 'Coverage tier changed, employee + spouse';
  // Mixed date formats in one file — among those the spec accepts: a vendor whose spec names one
  // format keeps to it (otherwise a tenth of its rows would always be rejected and the file quarantined).
  const formats = spec.inbound!.dateFormats;
  for (let i = 0; formats.length > 1 && i < Math.max(1, rows.length / 10); i++) {
    const r = pick();
    const iso = isoDate(r.effective_date ?? '') ?? '2025-01-01';
    r.effective_date = formatDate(iso, formats[Math.floor(rand() * formats.length)]!);
  }
  // Invisible characters around identifiers.
  const r1 = pick(); r1.employee_id = fixed ? `${r1.employee_id}\u00A0` : `\u200B${r1.employee_id}`;
  const r2 = pick(); r2.plan_code = `${r2.plan_code}\u00A0`;
  // A URL pointing at a private address.
  const r3 = pick(); r3.id_card_url = 'http://10.20.30.40/admin/card.pdf'; r3.certificate_url = r3.id_card_url;
  // Invalid rows: a missing required id and an impossible date.
  rows.push({ ...pick(), employee_id: '' });
  rows.push({ ...pick(), effective_date: '2025-13-45' });
  // Employees the platform never sent.
  for (let i = 0; i < 2; i++) rows.push({ ...pick(), employee_id: `ZZ${String(Math.floor(rand() * 1e6)).padStart(6, '0')}`, member_id: 'MUNKNOWN' });
}

function responseName(spec: VendorSpec, deliveredName: string): string {
  const corr = spec.inbound!.correlation;
  if (corr.by === 'column') return `${spec.id.toUpperCase().replace(/-/g, '_')}_RESP_${deliveredName.replace(/\.[^.]*$/, '')}.${spec.inbound!.format === 'fixed-width' ? 'txt' : 'csv'}`;
  // Fill the response pattern with the tokens the delivered name carries under the outbound pattern.
  const tokens = matchTokens(spec.outbound.fileName, deliveredName);
  return corr.pattern.replace(/\{(\w+)(?::([^}]*))?\}/g, (_, key: string, arg?: string) => {
    const v = tokens[key] ?? '';
    return arg && /^\d+$/.test(arg) ? v.padStart(Number(arg), '0') : v;
  });
}

function matchTokens(pattern: string, name: string): Record<string, string> {
  const keys: string[] = [];
  const source = pattern.split(/(\{[^}]+\})/).map((part) => {
    const m = /^\{(\w+)(?::[^}]*)?\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    keys.push(m[1]!);
    return m[1] === 'seq' ? '(\\d+)' : '(.+?)';
  }).join('');
  const found = new RegExp(`^${source}$`).exec(name);
  return Object.fromEntries(keys.map((k, i) => [k, found?.[i + 1] ?? '']));
}

function isoDate(v: string | null): string | null {
  if (!v) return null;
  let m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v);
  return m ? `${m[3]}-${m[1]}-${m[2]}` : null;
}

function formatDate(iso: string, fmt: string): string {
  const [y, m, d] = iso.split('-') as [string, string, string];
  return fmt.replace('YYYY', y).replace('MM', m).replace('DD', d);
}

/** mulberry32 seeded from the seed and the given bytes. */
function prng(seed: number, bytes: Buffer): () => number {
  let a = createHash('sha256').update(String(seed)).update(bytes).digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
