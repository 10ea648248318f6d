import { resolveSecret } from '../../config/secrets.js';
import { VendorflowError } from '../../shared/errors.js';
import type { SftpEndpoint } from '../../engines/files/sftp-store.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';

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
  /** Write `<name>.sha256` (sha256sum format) beside each delivered file. */
  sha256Sidecar: boolean;
  /** Cipher preference for the SSH transport. */
  ciphers?: string[];
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

/**
 * Adapts a vendor spec's `sftp` section. The spec does not (yet) say how to archive or whether to
 * write a sidecar, so taken files move to `<inbox>/archive` and no sidecar is written.
 */
export function fromVendorSpec(spec: VendorSpec): VendorEndpoint {
  const s = spec.sftp;
  return {
    vendorId: spec.id, host: s.host, port: s.port, user: s.username, auth: 'key', keyRef: s.privateKey,
    ...(s.passphrase ? { passphraseRef: s.passphrase } : {}),
    hostKeySha256: s.hostKeyFingerprint, outbox: s.outbox, inbox: s.inbox,
    archive: { mode: 'move', dir: `${s.inbox.replace(/\/+$/, '')}/archive` }, sha256Sidecar: false,
  };
}
