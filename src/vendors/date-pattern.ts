/**
 * Date patterns as vendors write them in specs: `YYYYMMDD`, `MM/DD/YYYY`, `yyyyMMdd`, `HHmm`.
 * Tokens: YYYY/yyyy, YY/yy, MM (month), DD/dd, HH, mm (minute), ss. Any other letter is an error, so a
 * typo such as `YYYY-MM-DDD` is caught when the spec is validated rather than in a vendor's file.
 */
type Token = 'YYYY' | 'YY' | 'MM' | 'DD' | 'HH' | 'mm' | 'ss';
type Part = { token: Token } | { literal: string };

const TOKENS: Array<[string, Token]> = [
  ['YYYY', 'YYYY'], ['yyyy', 'YYYY'], ['YY', 'YY'], ['yy', 'YY'], ['MM', 'MM'], ['DD', 'DD'], ['dd', 'DD'],
  ['HH', 'HH'], ['mm', 'mm'], ['ss', 'ss'],
];

export interface DatePattern {
  readonly source: string;
  /** Formats an ISO date (`YYYY-MM-DD`) or a Date (UTC fields of `toZoned` output). */
  format(value: string | DateParts): string;
  /** Parses text in this pattern to `YYYY-MM-DD`, or null when it does not match or is no real date. */
  parse(text: string): string | null;
  /** True when the pattern carries a day, month and year (needed for a date column). */
  readonly isFullDate: boolean;
}

export interface DateParts { year: number; month: number; day: number; hour?: number; minute?: number; second?: number }

export class DatePatternError extends Error {}

export function compileDatePattern(source: string): DatePattern {
  const parts = tokenize(source);
  const tokens = new Set(parts.flatMap((p) => ('token' in p ? [p.token] : [])));
  const isFullDate = (tokens.has('YYYY') || tokens.has('YY')) && tokens.has('MM') && tokens.has('DD');
  const isoPieces = parts.map((p) => ('literal' in p ? p.literal : ISO_SLICES[p.token]));
  const regex = new RegExp(`^${parts.map((p) => ('token' in p ? `(\\d{${p.token.length}})` : escape(p.literal))).join('')}$`);
  return {
    source,
    isFullDate,
    format(value) {
      // An ISO date string (every value a writer formats) is cut into place, without parsing numbers.
      if (typeof value === 'string' && ISO_DATE.test(value)) {
        let out = '';
        for (const piece of isoPieces) out += typeof piece === 'string' ? piece : value.slice(piece[0], piece[1]);
        return out;
      }
      const d = typeof value === 'string' ? isoParts(value) : value;
      return parts.map((p) => ('literal' in p ? p.literal : field(d, p.token))).join('');
    },
    parse(text) {
      const m = regex.exec(text);
      if (!m || !isFullDate) return null;
      let year = 0; let month = 0; let day = 0; let i = 1;
      for (const p of parts) {
        if (!('token' in p)) continue;
        const n = Number(m[i++]);
        if (p.token === 'YYYY') year = n;
        else if (p.token === 'YY') year = n >= 70 ? 1900 + n : 2000 + n;
        else if (p.token === 'MM') month = n;
        else if (p.token === 'DD') day = n;
      }
      const date = new Date(Date.UTC(year, month - 1, day));
      if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
      return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    },
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Where each token sits in `YYYY-MM-DD` (a time of day is midnight for a date). */
const ISO_SLICES: Record<Token, [number, number] | string> = {
  YYYY: [0, 4], YY: [2, 4], MM: [5, 7], DD: [8, 10], HH: '00', mm: '00', ss: '00',
};

function tokenize(source: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  outer: while (i < source.length) {
    for (const [text, token] of TOKENS) {
      if (source.startsWith(text, i)) {
        parts.push({ token });
        i += text.length;
        continue outer;
      }
    }
    const ch = source[i]!;
    if (/[A-Za-z]/.test(ch)) throw new DatePatternError(`unknown date pattern "${source}"`);
    parts.push({ literal: ch });
    i++;
  }
  if (!parts.some((p) => 'token' in p)) throw new DatePatternError(`unknown date pattern "${source}"`);
  return parts;
}

function isoParts(iso: string): DateParts {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new DatePatternError(`not an ISO date: "${iso}"`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** The calendar fields of an instant in a time zone (the spec's schedule zone). */
export function zonedParts(at: Date, timeZone: string): DateParts {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const get = (type: string) => Number(f.formatToParts(at).find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

function field(d: DateParts, token: Token): string {
  switch (token) {
    case 'YYYY': return pad(d.year, 4);
    case 'YY': return pad(d.year % 100, 2);
    case 'MM': return pad(d.month, 2);
    case 'DD': return pad(d.day, 2);
    case 'HH': return pad(d.hour ?? 0, 2);
    case 'mm': return pad(d.minute ?? 0, 2);
    case 'ss': return pad(d.second ?? 0, 2);
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
