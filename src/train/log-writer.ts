/**
 * The training log: one JSON record per line, written through one write stream, in order. Each
 * write is awaited (the record is in the file before the caller goes on, so a process killed right
 * after a step leaves that step's record), and a write error — a full disk, a removed folder —
 * stops training with the file named instead of losing lines. The writer counts the bytes it
 * wrote, so a checkpoint can record the log's length and a resumed run can cut the records of the
 * steps it is about to redo.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';

export class LogWriter {
  private stream: WriteStream | null = null;
  private error: Error | null = null;
  private size = 0;

  constructor(readonly path: string) {}

  /** Opens the file for appending; `keepBytes` cuts it to that length first (records after a checkpoint). */
  async open(keepBytes?: number): Promise<void> {
    const current = (await stat(this.path).catch(() => null))?.size ?? 0;
    if (keepBytes !== undefined && current > keepBytes) await truncate(this.path, keepBytes);
    this.size = keepBytes !== undefined ? Math.min(current, keepBytes) : current;
    this.stream = createWriteStream(this.path, { flags: 'a' });
    this.stream.on('error', (err) => { this.error ??= err; });
  }

  /** Bytes in the file once every write so far has completed. */
  get bytes(): number {
    return this.size;
  }

  private failure(err: Error): Error {
    return new Error(`cannot write ${this.path}: ${err.message}`);
  }

  async write(record: object): Promise<void> {
    if (!this.stream) throw new Error(`LogWriter: ${this.path} is not open`);
    if (this.error) throw this.failure(this.error);
    const line = JSON.stringify(record) + '\n';
    const stream = this.stream;
    await new Promise<void>((done, fail) => stream.write(line, (err) => (err ? fail(this.failure(err)) : done())));
    this.size += Buffer.byteLength(line);
  }

  /** Flushes and closes; throws the first write error, if any. */
  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (stream) await new Promise<void>((done) => stream.end(() => done()));
    if (this.error) throw this.failure(this.error);
  }
}
