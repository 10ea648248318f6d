import { resolveSecret } from '../../config/secrets.js';
import { VendorflowError } from '../../shared/errors.js';
import type { SftpEndpoint } from '../../engines/files/sftp-store.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import type { PgpDecryption } from '../pickup/pgp-decrypt.js';

/**
 * What delivery and pickup need of a vendor spec's SFTP section — deliberately narrow, so the spec
 * format can evolve without touching transfer code (`fromVendorSpec` adapts the spec to it).
 * Secrets are references (`env:NAME`, `file:/path`) resolved only when connecting.
 */
export interface VendorEndpoint {
  vendorId: string;
  host: string;
  port: number;
  user: string;
  /** `password` only when the spec asks for it explicitly. */
  auth: 'key' | 'password';
  keyRef?: string;
  passphraseRef?: string;
  passwordRef?: string;
  /** Pinned host key, `SHA256:...` (ssh-keygen -lf). */
  hostKeySha256: string;
  /** Where we put files for the vendor. */
  outbox: string;
  /** Where the vendor puts response files for us. */
  inbox: string;
  /** What happens to an inbox file once it has been taken: moved into `dir`, or deleted. */
  archive: { mode: 'move'; dir: string } | { mode: 'delete' };
  /** When set, an inbox file is taken only once `<name><doneMarker>` exists (e.g. `.done`). */
  doneMarker?: string;
  /** Write `<name>.sha256` (sha256sum format) beside each delivered file; require and check the vendor's on pickup. */
  sha256Sidecar: boolean;
  /** Cipher preference for the SSH transport. */
  ciphers?: string[];
  /** Inbox files are PGP-encrypted to this key (and signed by one of these keys, when given); references. */
  inboundPgp?: { privateKeyRef: string; passphraseRef?: string; verificationKeyRefs?: string[] };
}

/** Key for connection reuse: same server, user and pinned key share one session. */
export function endpointKey(ep: VendorEndpoint): string {
  return `${ep.user}@${ep.host}:${ep.port}#${ep.hostKeySha256}`;
}

export function toSftpEndpoint(ep: VendorEndpoint, env: NodeJS.ProcessEnv = process.env): SftpEndpoint {
  const base = { host: ep.host, port: ep.port, username: ep.user, hostKeySha256: ep.hostKeySha256, ...(ep.ciphers ? { ciphers: ep.ciphers } : {}) };
  if (ep.auth === 'password') {
    if (!ep.passwordRef) throw new VendorflowError('SPEC_INVALID', `vendor ${ep.vendorId}: sftp auth is password but no password reference is given`);
    return { ...base, password: resolveSecret(ep.passwordRef, env) };
  }
  if (!ep.keyRef) throw new VendorflowError('SPEC_INVALID', `vendor ${ep.vendorId}: sftp key auth needs a key reference`);
  return {
    ...base,
    privateKey: resolveSecret(ep.keyRef, env),
    ...(ep.passphraseRef ? { passphrase: resolveSecret(ep.passphraseRef, env) } : {}),
  };
}

/** The decryption keys of `inboundPgp`, read from their references (pickup, at the time of a poll). */
export function toPgpDecryption(ep: VendorEndpoint, env: NodeJS.ProcessEnv = process.env): PgpDecryption | undefined {
  const p = ep.inboundPgp;
  if (!p) return undefined;
  return {
    privateKeyArmored: resolveSecret(p.privateKeyRef, env),
    ...(p.passphraseRef ? { passphrase: resolveSecret(p.passphraseRef, env) } : {}),
    ...(p.verificationKeyRefs ? { verificationKeysArmored: p.verificationKeyRefs.map((r) => resolveSecret(r, env)) } : {}),
  };
}

/** Adapts a vendor spec's `sftp` section (and the PGP key of its `inbound` section). */
export function fromVendorSpec(spec: VendorSpec): VendorEndpoint {
  const s = spec.sftp;
  const pgp = spec.inbound?.pgp;
  return {
    vendorId: spec.id, host: s.host, port: s.port, user: s.username, auth: 'key', keyRef: s.privateKey,
    ...(s.passphrase ? { passphraseRef: s.passphrase } : {}),
    hostKeySha256: s.hostKeyFingerprint, outbox: s.outbox, inbox: s.inbox,
    archive: s.afterPickup === 'delete' ? { mode: 'delete' } : { mode: 'move', dir: s.archiveDir ?? `${s.inbox.replace(/\/+$/, '')}/archive` },
    ...(s.doneMarker ? { doneMarker: s.doneMarker } : {}),
    sha256Sidecar: s.sha256Sidecar,
    ...(pgp ? {
      inboundPgp: {
        privateKeyRef: pgp.privateKey,
        ...(pgp.passphrase ? { passphraseRef: pgp.passphrase } : {}),
        ...(pgp.verificationKeys ? { verificationKeyRefs: pgp.verificationKeys } : {}),
      },
    } : {}),
  };
}
