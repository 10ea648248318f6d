import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSecret } from '../config/secrets.js';
import { VendorflowError } from '../shared/errors.js';

/**
 * AES-256-GCM for sensitive fields at rest (SSN, date of birth, salary, address). Layout of a sealed
 * value: 12-byte IV, 16-byte tag, ciphertext. The tenant id is bound as associated data, so a value
 * copied into another tenant's row does not decrypt.
 */
export interface PiiCipher {
  seal(tenantId: string, value: unknown): Uint8Array;
  open<T = unknown>(tenantId: string, sealed: Uint8Array): T;
}

export function createPiiCipher(key: Buffer): PiiCipher {
  if (key.length !== 32) throw new VendorflowError('CONFIG_INVALID', 'config: security.piiKey must be 32 bytes (base64)');
  return {
    seal(tenantId, value) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(tenantId));
      const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    open(tenantId, sealed) {
      const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      d.setAAD(Buffer.from(tenantId));
      d.setAuthTag(buf.subarray(12, 28));
      return JSON.parse(Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8'));
    },
  };
}

/**
 * The key comes from its configured reference; without one, the embedded engine keeps a generated
 * key under `home` (mode 0600) and a distributed deployment must configure one explicitly.
 */
export function loadPiiCipher(opts: { home: string; keyRef?: string; persistent: boolean }): PiiCipher {
  if (opts.keyRef) return createPiiCipher(Buffer.from(resolveSecret(opts.keyRef).trim(), 'base64'));
  if (!opts.persistent) {
    throw new VendorflowError('CONFIG_INVALID',
      'config: security.piiKey (VENDORFLOW_PII_KEY) is required with DATABASE_URL, e.g. VENDORFLOW_PII_KEY=env:PII_KEY');
  }
  const path = join(opts.home, 'pii.key');
  if (!existsSync(path)) {
    mkdirSync(opts.home, { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return createPiiCipher(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
}
