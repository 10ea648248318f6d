import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateSshKeyPair } from '../../src/engines/files/ssh-key-pair.js';
import { hostKeyFingerprint } from '../../src/engines/files/host-key.js';
import type { VendorHost } from '../../src/main/demo-environment.js';
import { IN_CI } from './services.js';

export const SSHD_BIN = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

/** Whether sshd tests run: always in CI (where a missing sshd must fail), otherwise only when installed. */
export const RUN_SSHD = IN_CI || SSHD_BIN !== undefined;

export interface TestKeys { privateKey: string; publicKey: string }

export function generateKeys(): TestKeys {
  const { private: privateKey, public: publicKey } = generateSshKeyPair();
  return { privateKey, publicKey };
}

export interface TestSshd {
  host: string;
  port: number;
  username: string;
  hostKeySha256: string;
  client: TestKeys;
  /** A scratch directory the test may use as the remote root (absolute on the server). */
  dir: string;
  /** The same directory on this machine's disk (differs from `dir` when chrooted). */
  onDisk: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForBanner(port: number, proc: ChildProcess, logPath: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`sshd exited (${proc.exitCode}): ${readFileSync(logPath, 'utf8')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('data', (d) => { s.destroy(); resolve(d.toString().startsWith('SSH-')); });
      s.once('error', () => resolve(false));
      setTimeout(() => { s.destroy(); resolve(false); }, 1000);
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd on port ${port} never answered: ${readFileSync(logPath, 'utf8')}`);
}

/**
 * Starts a private OpenSSH sshd on a free loopback port with its own config, host key and authorized
 * key (the current user logs in with `client.privateKey`). Throws when sshd is not installed.
 */
export async function startSshd(opts: { chroot?: boolean } = {}): Promise<TestSshd> {
  if (!SSHD_BIN) throw new Error('OpenSSH sshd is not installed (apt-get install openssh-server)');
  // sshd refuses a chroot below a directory others may write to (such as /tmp), so a chrooted
  // server lives under /run, which root owns.
  const parent = opts.chroot ? '/run/vendorflow-test' : tmpdir();
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(parent, 'vf-sshd-'));
  const host = generateSshKeyPair();
  const client = generateKeys();
  writeFileSync(join(dir, 'host_key'), host.private, { mode: 0o600 });
  writeFileSync(join(dir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o600 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin yes',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'Subsystem sftp internal-sftp', 'LogLevel ERROR',
    'MaxStartups 100', 'MaxSessions 100',
    // The vendor's paths (`/inbound/...`) then land in our directory, as on a vendor's own server.
    ...(opts.chroot ? [`ChrootDirectory ${join(dir, 'data')}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
  const logPath = join(dir, 'sshd.log');
  const proc = spawn(SSHD_BIN, ['-D', '-f', join(dir, 'sshd_config'), '-E', logPath], { stdio: 'ignore' });
  try {
    await waitForBanner(port, proc, logPath);
  } catch (e) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const parsed = ssh2.utils.parseKey(host.public);
  if (parsed instanceof Error) throw parsed;
  const hostKeySha256 = hostKeyFingerprint((Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH());
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o755 });
  return {
    host: '127.0.0.1', port, username: userInfo().username, hostKeySha256, client, dir: opts.chroot ? '/' : data, onDisk: data,
    async stop() {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGTERM'); });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private sshd chrooted to a fresh directory, as the demo vendor's server (`vendorHost` of
 * startDemoEnvironment): the vendor's absolute paths land in that directory.
 */
export async function sshdVendorHost(): Promise<VendorHost> {
  const sshd = await startSshd({ chroot: true });
  return {
    root: sshd.onDisk, host: sshd.host, port: sshd.port, username: sshd.username,
    privateKey: sshd.client.privateKey, hostKeySha256: sshd.hostKeySha256, close: () => sshd.stop(),
  };
}
