/**
 * Child process for bench/transfer: decrypts argv[2] into argv[3] with the armored key in argv[4]
 * (or, with argv[2] = "--idle", only loads the same modules) and prints its own peak RSS in MB.
 *
 * The peak is VmHWM from /proc/self/status, not `process.resourceUsage().maxRSS`: on Linux a child's
 * maxRSS starts at its parent's resident size (fork copies it and exec keeps the high-water mark), so
 * spawned from a 500 MB bench process an idle child "used" 300+ MB it never touched.
 */
import { readFileSync } from 'node:fs';
import { decryptToFile } from '../../src/pipeline/pickup/pgp-decrypt.js';

function peakRssMb(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

const [src, dest, keyFile] = process.argv.slice(2);
if (src !== '--idle') await decryptToFile(src!, dest!, { privateKeyArmored: readFileSync(keyFile!, 'utf8') });
console.log(JSON.stringify({ maxRssMb: peakRssMb() }));
