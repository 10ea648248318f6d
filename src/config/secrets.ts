import { readFileSync } from 'node:fs';
import { VendorflowError } from '../shared/errors.js';

/** Resolves a secret reference (`env:NAME` or `file:/path`) at the moment it is needed. */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const [kind, ...rest] = ref.split(':');
  const name = rest.join(':');
  if (kind === 'env') {
    const value = env[name];
    if (!value) throw new VendorflowError('CONFIG_INVALID', `secret ${ref}: environment variable ${name} is not set`);
    return value;
  }
  if (kind === 'file') {
    try {
      return readFileSync(name, 'utf8');
    } catch (e) {
      throw new VendorflowError('CONFIG_INVALID', `secret ${ref}: cannot read ${name} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
  }
  throw new VendorflowError('CONFIG_INVALID', `secret ${ref}: expected "env:NAME" or "file:/path"`);
}
