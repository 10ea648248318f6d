import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
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
  /** Identifies the key without revealing it (first 16 hex digits of SHA-256 over the key). */
  readonly fingerprint: string;
  seal(tenantId: string, value: unknown): Uint8Array;
  open<T = unknown>(tenantId: string, sealed: Uint8Array): T;
  /** For text already serialised (a cache's JSON): sealed as its UTF-8 bytes, not serialised again. */
  sealText(associated: string, text: string): Uint8Array;
  openText(associated: string, sealed: Uint8Array): string;
}

export function createPiiCipher(key: Buffer): PiiCipher {
  if (key.length !== 32) throw new VendorflowError('CONFIG_INVALID', 'config: security.piiKey must be 32 bytes (base64)');
  // IVs are drawn from the CSPRNG a few hundred at a time: one randomBytes call per value cost about
  // as much as the encryption itself when a gather seals thousands of snapshots a second.
  let ivs = Buffer.alloc(0);
  let ivAt = 0;
  const nextIv = (): Buffer => {
    if (ivAt + 12 > ivs.length) {
      ivs = randomBytes(12 * 256);
      ivAt = 0;
    }
    return ivs.subarray(ivAt, (ivAt += 12));
  };
  return {
    fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 16),
    seal(tenantId, value) {
      return sealText(tenantId, JSON.stringify(value));
    },
    open(tenantId, sealed) {
      return JSON.parse(openText(tenantId, sealed));
    },
    sealText,
    openText,
  };

  function sealText(associated: string, text: string): Uint8Array {
    const iv = nextIv();
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(associated));
    const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  function openText(associated: string, sealed: Uint8Array): string {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
    d.setAAD(Buffer.from(associated));
    d.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
  }
}

/**
 * The key comes from its configured reference; without one, the embedded engine keeps a generated
 * key under `home` (mode 0600) — generated only when no data has been sealed yet (`sealedWith` is
 * the fingerprint recorded in the database, if any) — and a distributed deployment must configure one.
 */
export function loadPiiCipher(opts: { home: string; keyRef?: string; persistent: boolean; sealedWith?: string }): PiiCipher {
  let cipher: PiiCipher;
  if (opts.keyRef) {
    cipher = createPiiCipher(Buffer.from(resolveSecret(opts.keyRef).trim(), 'base64'));
  } else if (!opts.persistent) {
    throw new VendorflowError('CONFIG_INVALID',
      'config: security.piiKey (VENDORFLOW_PII_KEY) is required with DATABASE_URL, e.g. VENDORFLOW_PII_KEY=env:PII_KEY');
  } else {
    const path = join(opts.home, 'pii.key');
    if (!existsSync(path)) {
      if (opts.sealedWith) {
        throw new VendorflowError('CONFIG_INVALID',
          `config: ${path} is missing but the data was sealed with key ${opts.sealedWith}; restore that key file or set VENDORFLOW_PII_KEY`);
      }
      mkdirSync(opts.home, { recursive: true, mode: 0o700 });
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    cipher = createPiiCipher(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }
  if (opts.sealedWith) assertSealedWith(cipher, opts.sealedWith);
  return cipher;
}

/** Refuses a key other than the one the stored data was sealed with: mixing keys loses data. */
export function assertSealedWith(cipher: PiiCipher, sealedWith: string): void {
  if (sealedWith !== cipher.fingerprint) {
    throw new VendorflowError('CONFIG_INVALID',
      `config: security.piiKey has fingerprint ${cipher.fingerprint} but the data was sealed with key ${sealedWith}; refusing to mix keys`);
  }
}
