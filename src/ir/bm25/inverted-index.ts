/**
 * In-memory inverted index with typed-array postings (compressed sparse rows): for term t its
 * postings are docs[offsets[t] .. offsets[t+1]) with term frequencies in tfs at the same positions,
 * doc ids ascending. Per document the builder keeps only (termId, tf) pairs in growable Uint32
 * buffers, so ~1M short documents fit in a few hundred MB (see bench/ir/index-1m.ts).
 */
import { GrowableUint32Array } from './growable-array.js';

export class InvertedIndex {
  constructor(
    /** docno of each internal doc id. */
    readonly docnos: string[],
    /** Length (number of index terms) of each document. */
    readonly docLengths: Uint32Array,
    private readonly vocabulary: Map<string, number>,
    private readonly offsets: Uint32Array,
    private readonly docs: Uint32Array,
    private readonly tfs: Uint32Array,
  ) {}

  get numDocs(): number {
    return this.docnos.length;
  }

  get numTerms(): number {
    return this.vocabulary.size;
  }

  get numPostings(): number {
    return this.docs.length;
  }

  /** Mean document length (0 for an empty index). */
  get averageDocLength(): number {
    if (this.docLengths.length === 0) return 0;
    let total = 0;
    for (let i = 0; i < this.docLengths.length; i++) total += this.docLengths[i];
    return total / this.docLengths.length;
  }

  termId(term: string): number | undefined {
    return this.vocabulary.get(term);
  }

  /** Document frequency of a term id. */
  documentFrequency(termId: number): number {
    return this.offsets[termId + 1] - this.offsets[termId];
  }

  /** Views (no copies) of a term's postings. */
  postings(termId: number): { docs: Uint32Array; tfs: Uint32Array } {
    const start = this.offsets[termId];
    const end = this.offsets[termId + 1];
    return { docs: this.docs.subarray(start, end), tfs: this.tfs.subarray(start, end) };
  }

  /** Approximate bytes held by the typed arrays (strings and the vocabulary map not counted). */
  get typedArrayBytes(): number {
    return this.docLengths.byteLength + this.offsets.byteLength + this.docs.byteLength + this.tfs.byteLength;
  }
}

export class InvertedIndexBuilder {
  private readonly vocabulary = new Map<string, number>();
  private readonly docnos: string[] = [];
  private readonly seenDocnos = new Set<string>();
  private readonly docLengths = new GrowableUint32Array();
  /** Per document, a run of (termId, tf) pairs; docStarts marks where each document's run begins. */
  private readonly pairTerms = new GrowableUint32Array(1 << 16);
  private readonly pairTfs = new GrowableUint32Array(1 << 16);
  private readonly docStarts = new GrowableUint32Array();
  private built = false;

  /** Adds one document's analysed terms. Duplicate docnos are refused (they would split relevance). */
  add(docno: string, terms: readonly string[]): void {
    if (this.built) throw new Error('InvertedIndexBuilder: add() after build()');
    if (typeof docno !== 'string' || docno === '') throw new TypeError(`docno must be a non-empty string, got ${JSON.stringify(docno)}`);
    if (this.seenDocnos.has(docno)) throw new RangeError(`duplicate docno '${docno}' (document ${this.docnos.length})`);
    this.seenDocnos.add(docno);
    const counts = new Map<number, number>();
    for (const term of terms) {
      let id = this.vocabulary.get(term);
      if (id === undefined) {
        id = this.vocabulary.size;
        this.vocabulary.set(term, id);
      }
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    this.docStarts.push(this.pairTerms.length);
    for (const [id, tf] of counts) {
      this.pairTerms.push(id);
      this.pairTfs.push(tf);
    }
    this.docnos.push(docno);
    this.docLengths.push(terms.length);
  }

  get size(): number {
    return this.docnos.length;
  }

  build(): InvertedIndex {
    if (this.built) throw new Error('InvertedIndexBuilder: build() called twice');
    this.built = true;
    const numTerms = this.vocabulary.size;
    const numPairs = this.pairTerms.length;
    const numDocs = this.docnos.length;
    // Counting sort by term: df per term → offsets → scatter; doc ids come out ascending.
    const offsets = new Uint32Array(numTerms + 1);
    for (let i = 0; i < numPairs; i++) offsets[this.pairTerms.get(i) + 1]++;
    for (let t = 0; t < numTerms; t++) offsets[t + 1] += offsets[t];
    const cursor = offsets.slice(0, numTerms);
    const docs = new Uint32Array(numPairs);
    const tfs = new Uint32Array(numPairs);
    for (let d = 0; d < numDocs; d++) {
      const start = this.docStarts.get(d);
      const end = d + 1 < numDocs ? this.docStarts.get(d + 1) : numPairs;
      for (let i = start; i < end; i++) {
        const pos = cursor[this.pairTerms.get(i)]++;
        docs[pos] = d;
        tfs[pos] = this.pairTfs.get(i);
      }
    }
    this.seenDocnos.clear();
    return new InvertedIndex(this.docnos, this.docLengths.toArray(), this.vocabulary, offsets, docs, tfs);
  }
}
