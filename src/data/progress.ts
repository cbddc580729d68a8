/**
 * Progress reporting for long data work, on stderr so stdout stays clean for piping. On a TTY the
 * line is rewritten in place; otherwise (CI logs, files) plain lines are printed at most every
 * `intervalMs` so logs stay short.
 */
export interface Progress {
  /** Reports `done` of `total` (total may be unknown). */
  update(done: number, total?: number, detail?: string): void;
  /** Prints a one-off message line. */
  log(message: string): void;
  done(message?: string): void;
}

export const silentProgress: Progress = { update() {}, log() {}, done() {} };

export function stderrProgress(label: string, intervalMs = 2000, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let last = 0;
  let pending = false;
  const line = (done: number, total?: number, detail?: string) =>
    `${label}: ${done}${total !== undefined ? `/${total}` : ''}${detail ? ` ${detail}` : ''}`;
  return {
    update(done, total, detail) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100 && done !== total) return;
        last = now;
        stream.write(`\r\x1b[K${line(done, total, detail)}`);
        pending = true;
      } else if (now - last >= intervalMs || done === total) {
        last = now;
        stream.write(line(done, total, detail) + '\n');
      }
    },
    log(message) {
      stream.write(`${pending ? '\n' : ''}${label}: ${message}\n`);
      pending = false;
    },
    done(message) {
      if (pending) stream.write('\n');
      pending = false;
      if (message) stream.write(`${label}: ${message}\n`);
    },
  };
}
