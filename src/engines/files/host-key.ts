import { createHash } from 'node:crypto';

/** OpenSSH's form of a host key fingerprint (`ssh-keygen -lf`): `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts `SHA256:abc`, bare `abc`, with or without base64 padding. */
export function normaliseFingerprint(pinned: string): string {
  const bare = pinned.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${bare}`;
}
