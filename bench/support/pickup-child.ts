/**
 * Child process for bench/ingest: the download + decrypt + pass 1 comparison in a process of its own
 * (so the benchmark's earlier work — databases, a 1 GB file's readers — does not weigh on its heap):
 *   node --import tsx bench/support/pickup-child.ts PLAIN_FILE WORK_DIR ROUNDS
 * Prints the PickupComparison and this process's peak RSS as JSON.
 */
import { pickupVsOpenssh } from './pickup-vs-openssh.js';

const [plain, dir, rounds] = process.argv.slice(2) as [string, string, string];
const result = await pickupVsOpenssh(plain, dir, Number(rounds));
process.stdout.write(`${JSON.stringify({ ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
