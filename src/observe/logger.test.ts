import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('censors sensitive employee fields at any depth and honours the level', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ employee: { ssn: '123456789', dateOfBirth: '1980-01-02', name: 'Ann' }, ssn: '987654321' }, 'loaded');
    log.debug({ x: 1 }, 'hidden at info');
    expect(lines).toHaveLength(1);
    const text = lines[0]!;
    expect(text).not.toContain('123456789');
    expect(text).not.toContain('987654321');
    expect(text).not.toContain('1980-01-02');
    expect(JSON.parse(text).employee).toEqual({ ssn: '[redacted]', dateOfBirth: '[redacted]', name: 'Ann' });
  });
});
