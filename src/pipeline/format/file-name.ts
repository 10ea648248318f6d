import { compileDatePattern } from '../../vendors/date-pattern.js';
import type { FileFacts } from './record-writer.js';

/**
 * A vendor file name from the spec's pattern: `ACME_ENROLL_{tenant}_{date:yyyyMMdd}_{seq:4}.csv`.
 * Substituted values are reduced to safe characters, so a tenant id can never smuggle a path.
 */
export function renderFileName(pattern: string, facts: FileFacts): string {
  return pattern.replace(/\{([^}:]+)(?::([^}]*))?\}/g, (_m, name: string, arg: string | undefined) => {
    switch (name) {
      case 'date': {
        const [y, mo, d] = facts.date.split('-').map(Number) as [number, number, number];
        return compileDatePattern(arg ?? 'yyyyMMdd').format({
          year: y, month: mo, day: d, hour: Number(facts.time.slice(0, 2)), minute: Number(facts.time.slice(2, 4)),
        });
      }
      case 'seq': return String(facts.seq).padStart(arg ? Number(arg) : 1, '0');
      case 'tenant': return safe(facts.tenant);
      case 'vendor': return safe(facts.vendor);
      case 'kind': return facts.kind;
      case 'environment': return facts.environment;
      case 'fileId': return safe(facts.id);
      default: throw new Error(`unknown file name token {${name}}`);
    }
  });
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
