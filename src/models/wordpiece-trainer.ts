/**
 * Trains a shared WordPiece vocabulary for from-scratch models and writes it as a standard Hugging
 * Face `tokenizer.json` (BertNormalizer, BertPreTokenizer, WordPiece with `##`, TemplateProcessing,
 * WordPiece decoder). The procedure is that of the HF WordPiece trainer: start from the characters
 * (word-initial `c` and continuation `##c`), then repeatedly merge the most frequent adjacent pair of
 * symbols, weighted by word frequency, until the vocabulary is full.
 *
 * Pass only training text (every language involved, never test text): the vocabulary is part of the
 * model and would otherwise leak the test collection.
 */
import { writeFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bertNormalize, bertPreTokenize, type BertNormalizerOptions } from './bert-text.js';

export interface TrainWordPieceOptions {
  /** Final vocabulary size including special tokens (default 8000). */
  vocabSize?: number;
  /** Pairs seen fewer times are never merged (default 2). */
  minFrequency?: number;
  /** Keep at most this many distinct characters (most frequent first); others become [UNK]. Default: all. */
  limitAlphabet?: number;
  /** Default true. Set false for scripts where case carries meaning. Accents are never stripped. */
  lowercase?: boolean;
  /** Special tokens, in id order. Default [PAD] [UNK] [CLS] [SEP] [MASK]. */
  specialTokens?: string[];
  /** Called every 1000 merges. */
  onProgress?: (vocabSize: number, target: number) => void;
}

const CONT = '##';

/** Binary max-heap of [count, pairKey] with a tie-break, used with lazy deletion. */
class PairHeap {
  private items: [number, number][] = [];
  constructor(private readonly before: (a: [number, number], b: [number, number]) => boolean) {}
  get size(): number { return this.items.length; }
  push(item: [number, number]): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
}

/** Counts normalised, pre-tokenized words over the texts. */
export function countWords(texts: Iterable<string>, normalizer: BertNormalizerOptions): Map<string, number> {
  const counts = new Map<string, number>();
  let index = 0;
  for (const text of texts) {
    if (typeof text !== 'string') throw new TypeError(`texts[${index}] must be a string, got ${typeof text}`);
    for (const w of bertPreTokenize(bertNormalize(text, normalizer))) counts.set(w, (counts.get(w) ?? 0) + 1);
    index++;
  }
  return counts;
}

/** Trains a WordPiece vocabulary and returns the tokenizer.json object. */
export function trainWordPiece(texts: Iterable<string>, options: TrainWordPieceOptions = {}): Record<string, unknown> {
  const vocabSize = options.vocabSize ?? 8000;
  const minFrequency = options.minFrequency ?? 2;
  const specials = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  checkInt('vocabSize', vocabSize, specials.length + 1);
  checkInt('minFrequency', minFrequency, 1);
  if (options.limitAlphabet !== undefined) checkInt('limitAlphabet', options.limitAlphabet, 1);
  for (const role of ['[UNK]', '[CLS]', '[SEP]', '[PAD]']) {
    if (!specials.includes(role)) throw new RangeError(`specialTokens must include ${role}, got [${specials.join(', ')}]`);
  }
  if (new Set(specials).size !== specials.length) throw new RangeError(`specialTokens has duplicates: [${specials.join(', ')}]`);
  const normalizer: BertNormalizerOptions = { cleanText: true, handleChineseChars: true, lowercase: options.lowercase ?? true, stripAccents: false };
  const wordCounts = countWords(texts, normalizer);
  if (wordCounts.size === 0) throw new RangeError('texts contain no words: cannot train a vocabulary');

  // Alphabet: characters by total frequency, optionally limited.
  const charCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  let alphabet = [...charCounts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([ch]) => ch);
  if (options.limitAlphabet !== undefined) alphabet = alphabet.slice(0, options.limitAlphabet);
  alphabet.sort();
  const allowed = new Set(alphabet);

  const vocab = new Map<string, number>();
  const add = (tok: string) => { if (!vocab.has(tok)) vocab.set(tok, vocab.size); };
  specials.forEach(add);
  // Both forms of every character, so any word over the alphabet can be segmented.
  for (const ch of alphabet) { if (vocab.size < vocabSize) add(ch); }
  for (const ch of alphabet) { if (vocab.size < vocabSize) add(CONT + ch); }

  // Symbols of the merge procedure (distinct from vocabulary ids: they include nothing special).
  const symbols: string[] = [];
  const symbolId = new Map<string, number>();
  const sym = (s: string) => {
    let id = symbolId.get(s);
    if (id === undefined) { id = symbols.length; symbols.push(s); symbolId.set(s, id); }
    return id;
  };
  const words: { parts: number[]; count: number }[] = [];
  for (const [w, count] of wordCounts) {
    const chars = [...w];
    if (!chars.every((ch) => allowed.has(ch))) continue; // would be [UNK] whatever we merge
    words.push({ parts: chars.map((ch, i) => sym(i === 0 ? ch : CONT + ch)), count });
  }

  const SHIFT = 2 ** 24;
  const key = (a: number, b: number) => a * SHIFT + b;
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const touch = (k: number, delta: number, wordIndex: number) => {
    pairCounts.set(k, (pairCounts.get(k) ?? 0) + delta);
    if (delta > 0) {
      let s = pairWords.get(k);
      if (!s) { s = new Set(); pairWords.set(k, s); }
      s.add(wordIndex);
    }
  };
  words.forEach((w, i) => { for (let j = 0; j + 1 < w.parts.length; j++) touch(key(w.parts[j], w.parts[j + 1]), w.count, i); });

  const merged = (k: number) => symbols[Math.floor(k / SHIFT)] + symbols[k % SHIFT].slice(CONT.length);
  // Most frequent first; ties broken by the merged string so the result does not depend on Map order.
  const heap = new PairHeap((x, y) => x[0] !== y[0] ? x[0] > y[0] : merged(x[1]) < merged(y[1]));
  for (const [k, c] of pairCounts) heap.push([c, k]);

  let merges = 0;
  while (vocab.size < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [count, k] = top;
    if (pairCounts.get(k) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(k / SHIFT);
    const b = k % SHIFT;
    const newTok = merged(k);
    const m = sym(newTok);
    add(newTok);
    const changed = new Set<number>();
    for (const wi of pairWords.get(k) ?? []) {
      const w = words[wi];
      let hit = false;
      for (let j = 0; j + 1 < w.parts.length; j++) if (w.parts[j] === a && w.parts[j + 1] === b) { hit = true; break; }
      if (!hit) continue;
      for (let j = 0; j + 1 < w.parts.length; j++) { const pk = key(w.parts[j], w.parts[j + 1]); touch(pk, -w.count, wi); changed.add(pk); }
      const next: number[] = [];
      for (let j = 0; j < w.parts.length; j++) {
        if (j + 1 < w.parts.length && w.parts[j] === a && w.parts[j + 1] === b) { next.push(m); j++; } else next.push(w.parts[j]);
      }
      w.parts = next;
      for (let j = 0; j + 1 < w.parts.length; j++) { const pk = key(w.parts[j], w.parts[j + 1]); touch(pk, w.count, wi); changed.add(pk); }
    }
    for (const ck of changed) {
      const c = pairCounts.get(ck)!;
      if (c > 0) heap.push([c, ck]);
    }
    merges++;
    if (options.onProgress && merges % 1000 === 0) options.onProgress(vocab.size, vocabSize);
  }
  return wordPieceTokenizerJson(vocab, specials, normalizer.lowercase);
}

/** The tokenizer.json object for a WordPiece vocabulary (BERT layout). */
export function wordPieceTokenizerJson(vocab: Map<string, number>, specials: string[], lowercase: boolean): Record<string, unknown> {
  const id = (t: string) => vocab.get(t)!;
  const special = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const seq = (s: 'A' | 'B', typeId: number) => ({ Sequence: { id: s, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0), seq('B', 1), special('[SEP]', 1)],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: CONT, cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: CONT, max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}

/** Writes tokenizer.json atomically (tmp + rename). */
export async function saveTokenizerJson(path: string, tokenizerJson: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(tokenizerJson, null, 2) + '\n');
  await rename(tmp, path);
}
