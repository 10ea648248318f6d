/**
 * Child process for bench/transfer: decrypts argv[2] into argv[3] with the armored key in argv[4]
 * (or, with argv[2] = "--idle", only loads the same modules) and prints its own peak RSS in MB.
 */
import { readFileSync } from 'node:fs';
import { decryptToFile } from '../../src/pipeline/pickup/pgp-decrypt.js';

const [src, dest, keyFile] = process.argv.slice(2);
if (src !== '--idle') await decryptToFile(src!, dest!, { privateKeyArmored: readFileSync(keyFile!, 'utf8') });
console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
