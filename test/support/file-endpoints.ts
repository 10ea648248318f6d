import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore } from '../../src/engines/files/local-store.js';
import type { FileStore } from '../../src/engines/files/port.js';
import { startSftpServer } from '../../src/engines/files/sftp-server.js';
import { openSftpStore, type SftpEndpoint } from '../../src/engines/files/sftp-store.js';
import { generateKeys, RUN_SSHD, startSshd } from './sshd.js';

export type EndpointKind = 'local' | 'embedded' | 'sshd';
/** Every files engine a contract runs on; sshd only where installed (always in CI, where absence fails). */
export const ENDPOINT_KINDS: EndpointKind[] = RUN_SSHD ? ['local', 'embedded', 'sshd'] : ['local', 'embedded'];

export interface TestEndpoint {
  kind: EndpointKind;
  /** A directory on the endpoint the test owns. */
  base: string;
  /** The same directory on this machine's disk, to check what really landed. */
  onDisk: string;
  /** SFTP connection settings (undefined for local). */
  sftp?: SftpEndpoint;
  open(): Promise<FileStore>;
  close(): Promise<void>;
}

export async function startEndpoint(kind: EndpointKind): Promise<TestEndpoint> {
  if (kind === 'local') {
    const root = mkdtempSync(join(tmpdir(), 'vf-files-'));
    mkdirSync(join(root, 'data'));
    return {
      kind, base: '/data', onDisk: join(root, 'data'),
      open: async () => createLocalStore(root),
      close: async () => rmSync(root, { recursive: true, force: true }),
    };
  }
  if (kind === 'embedded') {
    const root = mkdtempSync(join(tmpdir(), 'vf-sftp-'));
    mkdirSync(join(root, 'data'));
    const hostKey = generateKeys();
    const client = generateKeys();
    const server = await startSftpServer({ root, hostKey: hostKey.privateKey, username: 'vendor', authorizedKeys: [client.publicKey] });
    const sftp: SftpEndpoint = { host: server.host, port: server.port, username: 'vendor', privateKey: client.privateKey, hostKeySha256: server.hostKeySha256 };
    return {
      kind, base: '/data', onDisk: join(root, 'data'), sftp,
      open: () => openSftpStore(sftp),
      async close() { await server.close(); rmSync(root, { recursive: true, force: true }); },
    };
  }
  const sshd = await startSshd();
  const sftp: SftpEndpoint = { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.client.privateKey, hostKeySha256: sshd.hostKeySha256 };
  return {
    kind, base: sshd.dir, onDisk: sshd.dir, sftp,
    open: () => openSftpStore(sftp),
    close: () => sshd.stop(),
  };
}
