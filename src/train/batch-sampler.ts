/**
 * Epoch-wise shuffled mini-batches from a seeded generator. A batch never spans two epochs; when
 * the last batch of an epoch would hold a single example, that example joins the batch before it
 * (batchSize + 1): a batch of one gives contrastive losses no in-batch negative to learn from, and
 * every data size must train. The state is (epoch, cursor, the
 * generator state at the start of the epoch): restoring it regenerates the same permutation, so a
 * resumed run continues at exactly the next example without storing the permutation itself.
 */
import { Rng, type RngState } from '../random/rng.js';

export interface SamplerState {
  epoch: number;
  cursor: number;
  epochStart: RngState;
}

export class BatchSampler {
  private readonly rng: Rng;
  private order: number[] = [];
  private epochStart: RngState;
  epoch = -1;
  cursor = 0;

  constructor(readonly size: number, readonly batchSize: number, seed: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`cannot sample batches from ${size} examples`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    this.rng = new Rng(seed);
    this.epochStart = this.rng.getState();
  }

  private newEpoch(): void {
    this.epoch++;
    this.epochStart = this.rng.getState();
    this.order = this.rng.shuffle(Array.from({ length: this.size }, (_, i) => i));
    this.cursor = 0;
  }

  /**
   * Next batch of example indices; a batch never spans two epochs (the last one may be shorter, or
   * one longer when a single example would be left over).
   */
  next(): number[] {
    if (this.epoch < 0 || this.cursor >= this.size) this.newEpoch();
    let end = Math.min(this.cursor + this.batchSize, this.size);
    if (this.batchSize > 1 && this.size - end === 1) end = this.size;
    const batch = this.order.slice(this.cursor, end);
    this.cursor += batch.length;
    return batch;
  }

  getState(): SamplerState {
    return { epoch: this.epoch, cursor: this.cursor, epochStart: this.epochStart };
  }

  setState(state: SamplerState): void {
    if (state.epoch < 0) return;
    this.rng.setState(state.epochStart);
    this.epoch = state.epoch - 1;
    this.newEpoch();
    if (!(state.cursor >= 0 && state.cursor <= this.size)) throw new RangeError(`sampler cursor ${state.cursor} outside 0..${this.size}`);
    this.cursor = state.cursor;
  }
}
