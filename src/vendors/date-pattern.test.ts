import { describe, expect, it } from 'vitest';
import { compileDatePattern, DatePatternError } from './date-pattern.js';

describe('date patterns', () => {
  const patterns = ['YYYYMMDD', 'MM/DD/YYYY', 'yyyy-MM-dd', 'DD.MM.YY', 'YYYYMMDDHHmmss', 'yyMMdd'];
  const dates = ['2024-03-15', '1999-12-31', '0999-01-02', '2000-02-29'];

  it('formats an ISO date string exactly as it formats its calendar fields', () => {
    for (const source of patterns) {
      const p = compileDatePattern(source);
      for (const iso of dates) {
        const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
        expect(p.format(iso), `${source} ${iso}`).toBe(p.format({ year, month, day }));
      }
    }
    expect(compileDatePattern('MM/DD/YYYY').format('2024-03-15')).toBe('03/15/2024');
    expect(compileDatePattern('DD.MM.YY').format('2009-07-04')).toBe('04.07.09');
  });

  it('refuses a value that is not an ISO date', () => {
    expect(() => compileDatePattern('YYYYMMDD').format('15/03/2024')).toThrow(DatePatternError);
  });

  it('parses back what it formats', () => {
    for (const source of ['YYYYMMDD', 'MM/DD/YYYY', 'yyyy-MM-dd']) {
      const p = compileDatePattern(source);
      for (const iso of dates) expect(p.parse(p.format(iso))).toBe(iso);
    }
  });
});
