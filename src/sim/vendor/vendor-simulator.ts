import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import * as openpgp from 'openpgp';
import { generateSshKeyPair } from '../../engines/files/ssh-key-pair.js';
import { createLocalStore } from '../../engines/files/local-store.js';
import { joinPath, type FileStore } from '../../engines/files/port.js';
import { startSftpServer, type RunningSftpServer } from '../../engines/files/sftp-server.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { generateResponse } from './response-generator.js';

export interface AnswerOptions {
  seed: number;
  messy?: boolean;
  /** Our public key (armored): responses are PGP-encrypted to it and get a `.pgp` suffix. */
  encryptTo?: string;
}

/**
 * One pass of the demo vendor: every complete file in each vendor's incoming directory (the spec's
 * `outbox`) that has no response yet gets one in its outgoing directory (the spec's `inbox`), written
 * under a temporary name and renamed, then its done-marker if the spec names one. Works through any
 * files engine.
 */
export async function answerDeliveredFiles(store: FileStore, specs: readonly VendorSpec[], opts: AnswerOptions): Promise<string[]> {
  const written: string[] = [];
  for (const spec of specs) {
    if (!spec.inbound) continue;
    await store.mkdirp(spec.sftp.outbox);
    await store.mkdirp(spec.sftp.inbox);
    const answeredDir = joinPath(spec.sftp.inbox, '.answered');
    const answered = new Set((await store.list(answeredDir).catch(() => [])).map((e) => e.name));
    for (const entry of await store.list(spec.sftp.outbox)) {
      if (!entry.isFile || entry.name.startsWith('.') || entry.name.endsWith('.sha256')) continue;
      // A marker records which delivery was answered: a file delivered again under the same name
      // (a new run against a fresh database numbers its files from 1 again) is a new delivery.
      const delivery = `${entry.size} ${entry.mtimeMs}`;
      if (answered.has(entry.name) && (await text(store.read(joinPath(answeredDir, entry.name)))) === delivery) continue;
      const response = await generateResponse(spec, entry.name, await buffer(store.read(entry.path)), { seed: opts.seed, ...(opts.messy !== undefined ? { messy: opts.messy } : {}) });
      let content = response.content;
      let name = response.name;
      if (opts.encryptTo) {
        const message = await openpgp.createMessage({ binary: content });
        content = Buffer.from(await openpgp.encrypt({ message, encryptionKeys: await openpgp.readKey({ armoredKey: opts.encryptTo }), format: 'binary' }));
        name = `${name}.pgp`;
      }
      const temp = joinPath(spec.sftp.inbox, `.${name}.part`);
      const w = await store.openWriter(temp, { offset: 0 });
      await w.write(content);
      await w.close();
      await store.rename(temp, joinPath(spec.sftp.inbox, name));
      // A vendor whose spec names a done-marker writes it once the file is complete under its name.
      if (spec.sftp.doneMarker) await (await store.openWriter(joinPath(spec.sftp.inbox, `${name}${spec.sftp.doneMarker}`), { offset: 0 })).close();
      // Remember the answer outside the listing the platform polls.
      await store.mkdirp(answeredDir);
      const marker = await store.openWriter(joinPath(answeredDir, entry.name), { offset: 0 });
      await marker.write(Buffer.from(delivery));
      await marker.close();
      written.push(joinPath(spec.sftp.inbox, name));
    }
  }
  return written;
}

export interface VendorResponderOptions extends AnswerOptions {
  /** The vendor's files as this machine sees them (what its SFTP server serves as `/`); keys under `.sim/`. */
  root: string;
  specs: readonly VendorSpec[];
  /** Vendors that take deliveries but never answer (to see a response window run out). */
  silent?: readonly string[];
  pollMs?: number;
}

export interface VendorResponder {
  /** The simulator's own PGP public key (what the platform encrypts outbound files to). */
  pgpPublicKey: string;
  /** Runs one answering pass now (the background loop also runs every `pollMs`). */
  answerNow(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The demo vendor's back office without a server: a loop answering what lands in its directories,
 * whichever SFTP server puts it there (the embedded one, or OpenSSH's sshd chrooted to `root`).
 */
export async function startVendorResponder(opts: VendorResponderOptions): Promise<VendorResponder> {
  const keysDir = join(opts.root, '.sim');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const pgpPath = join(keysDir, 'pgp.json');
  if (!existsSync(pgpPath)) {
    const k = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'Demo vendor', email: 'files@vendor.example' }], format: 'armored' });
    writeFileSync(pgpPath, JSON.stringify({ privateKey: k.privateKey, publicKey: k.publicKey }), { mode: 0o600 });
  }
  const pgp = JSON.parse(readFileSync(pgpPath, 'utf8')) as { publicKey: string };
  const store = createLocalStore(opts.root);
  // A real vendor has its directories in place before anyone connects, a silent one's too.
  for (const spec of opts.specs) for (const dir of [spec.sftp.outbox, spec.sftp.inbox]) await store.mkdirp(dir);
  const answering = opts.specs.filter((s) => !opts.silent?.includes(s.id));
  let running: Promise<string[]> | undefined;
  const answerNow = () => (running ??= answerDeliveredFiles(store, answering, opts).finally(() => { running = undefined; }));
  const timer = setInterval(() => { void answerNow().catch(() => undefined); }, opts.pollMs ?? 1_000);
  timer.unref();
  return {
    pgpPublicKey: pgp.publicKey, answerNow,
    async close() { clearInterval(timer); await running?.catch(() => undefined); },
  };
}

export interface VendorSimulatorOptions extends VendorResponderOptions {
  username: string;
  authorizedKeys: string[];
  port?: number;
}

export interface VendorSimulator extends VendorResponder {
  server: RunningSftpServer;
}

/** The demo vendor: the embedded SFTP server serving `root`, plus the responder answering what the platform delivers. */
export async function startVendorSimulator(opts: VendorSimulatorOptions): Promise<VendorSimulator> {
  const keysDir = join(opts.root, '.sim');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const hostKeyPath = join(keysDir, 'host_key');
  if (!existsSync(hostKeyPath)) writeFileSync(hostKeyPath, generateSshKeyPair().private, { mode: 0o600 });
  const responder = await startVendorResponder(opts);
  let server: RunningSftpServer;
  try {
    server = await startSftpServer({
      root: opts.root, hostKey: readFileSync(hostKeyPath), username: opts.username, authorizedKeys: opts.authorizedKeys,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    });
  } catch (e) {
    await responder.close();
    throw e;
  }
  return {
    ...responder, server,
    async close() { await responder.close(); await server.close(); },
  };
}
