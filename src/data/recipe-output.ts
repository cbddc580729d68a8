/** Writes the standard file set of a recipe (bitext, CLIR set, folds) and collects manifest entries. */
import { join } from 'node:path';
import { bitextToTsv, qrelsToTrec, toJsonl, topicsToTsv, writeOutput, type WrittenFile } from './formats.js';
import type { BitextPair, ClirSet, Fold } from './types.js';

/** `outputs` accumulates every file written so the manifest can hash them all. */
export class OutputWriter {
  readonly outputs: WrittenFile[] = [];
  constructor(readonly outDir: string) {}

  text(rel: string, text: string, count: number): void {
    this.outputs.push(writeOutput(join(this.outDir, rel), text, count, rel));
  }

  jsonl(rel: string, records: readonly unknown[]): void {
    this.text(rel, toJsonl(records), records.length);
  }

  /** Bitext as JSONL (full records) plus a two-column TSV for tools that want plain text. */
  bitext(relBase: string, pairs: readonly BitextPair[]): void {
    this.jsonl(`${relBase}.jsonl`, pairs);
    this.text(`${relBase}.tsv`, bitextToTsv(pairs), pairs.length);
  }

  clir(relDir: string, set: ClirSet): void {
    const p = (f: string) => (relDir ? `${relDir}/${f}` : f);
    this.text(p('topics.tsv'), topicsToTsv(set.topics), set.topics.length);
    this.jsonl(p('topics.jsonl'), set.topics);
    this.jsonl(p('collection.jsonl'), set.collection);
    this.text(p('qrels.txt'), qrelsToTrec(set.qrels), set.qrels.length);
  }

  folds(folds: readonly Fold[]): void {
    for (const f of folds) {
      this.bitext(`folds/${f.fold}/train`, f.train);
      this.clir(`folds/${f.fold}`, f.test);
    }
  }
}
