/** Append-only Uint32 buffer that doubles its capacity: builds postings without JS arrays of numbers. */
export class GrowableUint32Array {
  private data: Uint32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Uint32Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i];
  }

  /** Overwrites an existing element (i < length). */
  set(i: number, value: number): void {
    this.data[i] = value;
  }

  /** Copies the used part into an exactly sized array. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}
