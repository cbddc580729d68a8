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
  /** Per term: 1 + index of the last document that contained it (0 = none yet). */
  private lastDoc = new Uint32Array(1024);
  /** Per term: position of its (termId, tf) pair in the current document. */
  private pairSlot = new Uint32Array(1024);
  private built = false;

  private ensureTermCapacity(n: number): void {
    if (n <= this.lastDoc.length) return;
    const size = Math.max(n, this.lastDoc.length * 2);
    const lastDoc = new Uint32Array(size);
    lastDoc.set(this.lastDoc);
    this.lastDoc = lastDoc;
    const pairSlot = new Uint32Array(size);
    pairSlot.set(this.pairSlot);
    this.pairSlot = pairSlot;
  }

  /** Adds one document's analysed terms. Duplicate docnos are refused (they would split relevance). */
  add(docno: string, terms: readonly string[]): void {
    if (this.built) throw new Error('InvertedIndexBuilder: add() after build()');
    if (typeof docno !== 'string' || docno === '') throw new TypeError(`docno must be a non-empty string, got ${JSON.stringify(docno)}`);
    if (this.seenDocnos.has(docno)) throw new RangeError(`duplicate docno '${docno}' (document ${this.docnos.length})`);
    this.seenDocnos.add(docno);
    const docIndex = this.docnos.length;
    const start = this.pairTerms.length;
    this.docStarts.push(start);
    // Term frequencies without a per-document Map: lastDoc[t] says whether term t already has a
    // pair in this document and pairSlot[t] where it is.
    for (const term of terms) {
      let id = this.vocabulary.get(term);
      if (id === undefined) {
        id = this.vocabulary.size;
        this.vocabulary.set(term, id);
        this.ensureTermCapacity(id + 1);
      }
      if (this.lastDoc[id] === docIndex + 1) {
        const slot = this.pairSlot[id];
        this.pairTfs.set(slot, this.pairTfs.get(slot) + 1);
      } else {
        this.lastDoc[id] = docIndex + 1;
        this.pairSlot[id] = this.pairTerms.length;
        this.pairTerms.push(id);
        this.pairTfs.push(1);
      }
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
    this.lastDoc = new Uint32Array(0);
    this.pairSlot = new Uint32Array(0);
    return new InvertedIndex(this.docnos, this.docLengths.toArray(), this.vocabulary, offsets, docs, tfs);
  }
}
