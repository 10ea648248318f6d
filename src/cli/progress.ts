import cliProgress from 'cli-progress';

export interface Progress {
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
    const bar = new cliProgress.SingleBar({
      stream: stream as NodeJS.WriteStream,
      format: '  {label} [{bar}] {percentage}% {value}/{total} {duration_formatted}',
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    return {
      start: (label, total) => bar.start(total, 0, { label: label.padEnd(12) }),
      update: (done) => bar.update(done),
      stop: () => bar.stop(),
    };
  }
  let label = '';
  let total = 0;
  let lastDecile = -1;
  return {
    start(l, t) { label = l; total = t; lastDecile = -1; },
    update(done) {
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`  ${label} ${done}/${total} (${decile * 10}%)\n`);
      }
    },
    stop() {},
  };
}
