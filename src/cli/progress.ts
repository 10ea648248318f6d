import cliProgress from 'cli-progress';

export interface Progress {
  /** A total of 0 means not known in advance (a file streamed through): a running count, no percentage. */
  start(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
}

/**
 * A bar on a terminal; on anything else (CI logs, pipes, --json) a line every 10% so logs stay short.
 */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, quiet = false): Progress {
  if (quiet) return { start() {}, update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = (format: string) => new cliProgress.SingleBar({ stream: stream as NodeJS.WriteStream, format, hideCursor: true }, cliProgress.Presets.shades_classic);
    let active: cliProgress.SingleBar | undefined;
    return {
      start(label, total) {
        active = total > 0 ? bar('  {label} [{bar}] {percentage}% {value}/{total} {duration_formatted}') : bar('  {label} {value} rows {duration_formatted}');
        active.start(total > 0 ? total : Infinity, 0, { label: label.padEnd(12) });
      },
      update: (done) => active?.update(done),
      stop() { active?.stop(); active = undefined; },
    };
  }
  let label = '';
  let total = 0;
  let lastDecile = -1;
  let last: number | null = null;
  return {
    start(l, t) { label = l; total = t; lastDecile = -1; last = null; },
    update(done) {
      if (!total) { last = done; return; } // said once, at stop
      const decile = Math.floor((done / total) * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`  ${label} ${done}/${total} (${decile * 10}%)\n`);
      }
    },
    stop() {
      if (!total && last !== null) stream.write(`  ${label} ${last} rows\n`);
      last = null;
    },
  };
}
