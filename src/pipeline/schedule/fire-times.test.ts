import { describe, expect, it } from 'vitest';
import { firesBetween, latestFire } from './fire-times.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('fire times in a vendor time zone', () => {
  it('keeps local wall time across the spring-forward change; a missing local time fires an hour later', () => {
    const s = { cron: '30 2 * * *', timeZone: 'America/Chicago' };
    const fires = [...firesBetween(s, new Date('2024-03-08T12:00:00Z'), new Date('2024-03-12T12:00:00Z'))].map(iso);
    // 02:30 CST = 08:30Z; on 10 March 02:30 does not exist (03:30 CDT = 08:30Z); then 02:30 CDT = 07:30Z.
    expect(fires).toEqual(['2024-03-09T08:30:00.000Z', '2024-03-10T08:30:00.000Z', '2024-03-11T07:30:00.000Z', '2024-03-12T07:30:00.000Z']);
  });

  it('fires a local time that occurs twice (fall back) once', () => {
    const s = { cron: '30 1 * * *', timeZone: 'Europe/London' };
    const fires = [...firesBetween(s, new Date('2024-10-26T12:00:00Z'), new Date('2024-10-28T12:00:00Z'))].map(iso);
    expect(fires).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z']);
  });

  it('latestFire agrees with the forward walk across DST and over long windows', () => {
    const s = { cron: '30 2 * * *', timeZone: 'America/Chicago' };
    // prev() from here would skip 10 March's fire; latestFire must not.
    expect(iso(latestFire(s, new Date('2024-03-01T00:00:00Z'), new Date('2024-03-10T20:00:00Z')))).toBe('2024-03-10T08:30:00.000Z');
    const minutely = { cron: '* * * * *', timeZone: 'Asia/Kolkata' };
    expect(iso(latestFire(minutely, new Date('2023-01-01T00:00:00Z'), new Date('2024-02-01T10:00:30Z')))).toBe('2024-02-01T10:00:00.000Z');
    const yearly = { cron: '0 9 1 1 *', timeZone: 'Europe/London' };
    expect(iso(latestFire(yearly, new Date('2020-06-01T00:00:00Z'), new Date('2024-02-01T00:00:00Z')))).toBe('2024-01-01T09:00:00.000Z');
    expect(latestFire(yearly, new Date('2024-01-02T00:00:00Z'), new Date('2024-06-01T00:00:00Z'))).toBeNull();
    // The window is half-open: (after, upTo].
    expect(latestFire(s, new Date('2024-03-09T08:30:00Z'), new Date('2024-03-09T20:00:00Z'))).toBeNull();
    expect(iso(latestFire(s, new Date('2024-03-09T08:29:59Z'), new Date('2024-03-09T08:30:00Z')))).toBe('2024-03-09T08:30:00.000Z');
  });
});

describe('fire times do not depend on where the window starts', () => {
  it('every hourly window around a DST change finds the same fires as one long walk', () => {
    for (const s of [{ cron: '30 2 * * *', timeZone: 'America/Chicago' }, { cron: '30 1 * * *', timeZone: 'America/Chicago' }, { cron: '15 * * * *', timeZone: 'Europe/London' }]) {
      for (const [from, to] of [['2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z'], ['2024-11-02T00:00:00Z', '2024-11-05T00:00:00Z'], ['2024-03-30T00:00:00Z', '2024-04-01T00:00:00Z']] as const) {
        const whole = [...firesBetween(s, new Date(from), new Date(to))].map(iso);
        const stepped: Array<string | null> = [];
        for (let t = Date.parse(from); t < Date.parse(to); t += 40 * 60_000) stepped.push(...[...firesBetween(s, new Date(t), new Date(t + 40 * 60_000))].map(iso));
        expect(stepped).toEqual(whole);
      }
    }
  });
});
