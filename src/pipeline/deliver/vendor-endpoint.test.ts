import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVendorSpec } from '../../vendors/load-spec.js';
import { fromVendorSpec, toPgpDecryption } from './vendor-endpoint.js';

const example = readFileSync(new URL('../../../examples/vendors/acme-medical.yaml', import.meta.url), 'utf8');

/** The example spec with `extra` lines appended to its `sftp:` section (and `inbound` lines to `inbound:`). */
function specWith(sftpLines: string[], inboundLines: string[] = []) {
  let text = example.replace(/^sftp:\n/m, `sftp:\n${sftpLines.map((l) => `  ${l}\n`).join('')}`);
  text = text.replace(/^inbound:\n/m, `inbound:\n${inboundLines.map((l) => `  ${l}\n`).join('')}`);
  return parseVendorSpec(text);
}

describe('fromVendorSpec', () => {
  it('keeps an existing spec valid: taken files archived under <inbox>/archive, no marker, no sidecar, no PGP', () => {
    const r = parseVendorSpec(example);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const ep = fromVendorSpec(r.spec);
    expect(ep).toMatchObject({ archive: { mode: 'move', dir: '/outbound/responses/archive' }, sha256Sidecar: false });
    expect(ep.doneMarker).toBeUndefined();
    expect(ep.inboundPgp).toBeUndefined();
  });

  it('carries archive-or-delete, done-marker, sidecar and the inbound PGP key references', () => {
    const r = specWith(['afterPickup: archive', 'archiveDir: /outbound/taken', 'doneMarker: .ok', 'sha256Sidecar: true'],
      ['pgp:', '  privateKey: env:ACME_PGP_KEY', '  passphrase: env:ACME_PGP_PASS', '  verificationKeys: ["file:/keys/acme.asc"]']);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const ep = fromVendorSpec(r.spec);
    expect(ep).toMatchObject({
      archive: { mode: 'move', dir: '/outbound/taken' }, doneMarker: '.ok', sha256Sidecar: true,
      inboundPgp: { privateKeyRef: 'env:ACME_PGP_KEY', passphraseRef: 'env:ACME_PGP_PASS', verificationKeyRefs: ['file:/keys/acme.asc'] },
    });
    const del = specWith(['afterPickup: delete']);
    if (!del.ok) throw new Error(JSON.stringify(del.problems));
    expect(fromVendorSpec(del.spec).archive).toEqual({ mode: 'delete' });
  });

  it('resolves the PGP references only when asked', () => {
    const r = specWith([], ['pgp:', '  privateKey: env:VF_TEST_PGP_KEY']);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const ep = fromVendorSpec(r.spec);
    expect(toPgpDecryption(ep, { VF_TEST_PGP_KEY: 'armored' })).toEqual({ privateKeyArmored: 'armored' });
    expect(() => toPgpDecryption(ep, {})).toThrow(/VF_TEST_PGP_KEY/);
  });

  it('rejects a mistyped option, a marker that is not a suffix, and an archive directory when deleting', () => {
    const problems = (lines: string[], inbound: string[] = []) => {
      const r = specWith(lines, inbound);
      return r.ok ? [] : r.problems.map((p) => p.path);
    };
    expect(problems(['afterPickup: shred'])).toEqual(['sftp.afterPickup']);
    expect(problems(['doneMarker: done'])).toEqual(['sftp.doneMarker']);
    expect(problems(['afterPickup: delete', 'archiveDir: /x'])).toEqual(['sftp.archiveDir']);
    expect(problems([], ['pgp:', '  privateKey: /plain/path'])).toEqual(['inbound.pgp.privateKey']);
  });
});
