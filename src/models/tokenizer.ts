/**
 * Loads any Hugging Face `tokenizer.json` (WordPiece, BPE, Unigram) through @huggingface/tokenizers
 * and adds what that package lacks for retrieval models: special-token templates, pair encoding
 * (`[CLS] q [SEP] d [SEP]` with token type ids), truncation (longest-first for pairs), padding,
 * attention masks and token↔word alignment.
 *
 * Word alignment: we run the package's own normalizer, pre-tokenizer and model one pre-tokenized word
 * at a time (the same steps its encode() takes, in the same order), so every token knows which word
 * produced it. `encodeWords` goes one level up and maps tokens to caller-supplied words, which is what
 * code-switching needs (replace word i, find its tokens).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';

/** One piece of a special-token template: a special token or the A/B sequence. */
type TemplatePiece = { special: string; typeId: number } | { sequence: 0 | 1; typeId: number };

export interface WordTokens {
  tokens: string[];
  ids: number[];
  /** Index into `words` for each token. */
  wordIds: number[];
  words: string[];
}

export interface Encoding {
  ids: number[];
  tokens: string[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /** Word index within its own sequence, null for special and padding tokens. */
  wordIds: (number | null)[];
  /** 0 for the first text, 1 for the pair, null for special and padding tokens. */
  sequenceIds: (0 | 1 | null)[];
  /** Words of the first text and of the pair (after pre-tokenization, or as given to encodeWords). */
  words: [string[], string[]];
  /** True when tokens were cut by truncation. */
  truncated: boolean;
}

export interface EncodeOptions {
  /** Total length including special tokens; longer inputs are truncated (longest-first for pairs). */
  maxLength?: number;
  /** Default true. */
  addSpecialTokens?: boolean;
}

export interface BatchOptions extends EncodeOptions {
  /** 'longest' (default) pads to the longest in the batch; 'max_length' pads to maxLength. */
  padding?: 'longest' | 'max_length' | 'none';
}

export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  wordIds: (number | null)[][];
  sequenceIds: (0 | 1 | null)[][];
  encodings: Encoding[];
}

/** Text, or pre-split words (each word is tokenized on its own and keeps its index). */
export type TextInput = string | string[];

function trieSplit(text: string, contents: string[]): string[] {
  if (contents.length === 0) return [text];
  const sorted = [...contents].sort((a, b) => b.length - a.length);
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const match = sorted.find((c) => c.length > 0 && text.startsWith(c, i));
    if (match) {
      if (i > start) out.push(text.slice(start, i));
      out.push(match);
      i += match.length;
      start = i;
    } else i++;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export class TextTokenizer {
  readonly json: Record<string, any>;
  private readonly hf: HfTokenizer;
  private readonly added: { content: string; id: number; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[];
  private readonly addedByText = new Map<string, number>();
  private readonly unnormalizedAdded: string[] = [];
  private readonly normalizedAdded: string[] = [];
  private readonly single: TemplatePiece[];
  private readonly pair: TemplatePiece[];
  readonly padId: number;
  readonly padToken: string;
  /** Word-start marker of a Metaspace pre-tokenizer (SentencePiece models), else null. */
  private readonly metaspace: string | null;

  constructor(tokenizerJson: Record<string, any>, tokenizerConfig: Record<string, any> = {}) {
    if (tokenizerJson === null || typeof tokenizerJson !== 'object' || typeof tokenizerJson.model !== 'object') {
      throw new TypeError('tokenizer.json must be an object with a "model" field');
    }
    this.json = tokenizerJson;
    // The package validates that these keys exist; older files omit some of them.
    const complete: Record<string, any> = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...tokenizerJson };
    this.hf = new HfTokenizer(complete, tokenizerConfig);
    this.added = (complete.added_tokens as any[]).map((t) => ({
      content: String(t.content), id: Number(t.id), lstrip: !!t.lstrip, rstrip: !!t.rstrip,
      special: !!t.special, normalized: t.normalized ?? !t.special,
    }));
    for (const t of this.added) {
      this.addedByText.set(t.content, t.id);
      if (t.normalized && this.hf.normalizer) {
        const n = this.hf.normalizer(t.content);
        this.normalizedAdded.push(n);
        this.addedByText.set(n, t.id);
      } else this.unnormalizedAdded.push(t.content);
    }
    [this.single, this.pair] = this.templates(complete.post_processor);
    const pre = complete.pre_tokenizer as any;
    const metaspace = pre?.type === 'Metaspace' ? pre : pre?.type === 'Sequence' ? (pre.pretokenizers as any[]).find((p) => p.type === 'Metaspace') : undefined;
    this.metaspace = metaspace ? String(metaspace.replacement ?? '▁') : null;
    const padCandidates = [tokenizerConfig.pad_token, tokenizerJson.padding?.pad_token, '[PAD]', '<pad>', '<PAD>'].filter((t) => typeof t === 'string');
    const pad = padCandidates.find((t) => this.tokenToId(t) !== undefined);
    this.padToken = pad ?? '';
    this.padId = pad !== undefined ? this.tokenToId(pad)! : 0;
  }

  /** Reads tokenizer.json (and tokenizer_config.json when present) from a file or model folder. */
  static async fromFile(path: string): Promise<TextTokenizer> {
    let file = path;
    let json: Record<string, any>;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
        file = join(path, 'tokenizer.json');
        json = JSON.parse(await readFile(file, 'utf8').catch(() => { throw new Error(`${file} not found`); }));
      } else throw new Error(`cannot read tokenizer ${path}: ${(err as Error).message}`);
    }
    let config: Record<string, any> = {};
    try {
      config = JSON.parse(await readFile(join(file, '..', 'tokenizer_config.json'), 'utf8'));
    } catch {
      // tokenizer_config.json is optional
    }
    return new TextTokenizer(json, config);
  }

  private templates(pp: any): [TemplatePiece[], TemplatePiece[]] {
    if (pp && pp.type === 'Sequence') {
      const inner = (pp.processors as any[]).find((p) => ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing'].includes(p.type));
      return this.templates(inner ?? null);
    }
    if (!pp) return [[{ sequence: 0, typeId: 0 }], [{ sequence: 0, typeId: 0 }, { sequence: 1, typeId: 1 }]];
    if (pp.type === 'TemplateProcessing') {
      const parse = (items: any[]): TemplatePiece[] => items.map((it) => it.SpecialToken
        ? { special: String(it.SpecialToken.id), typeId: Number(it.SpecialToken.type_id ?? 0) }
        : { sequence: it.Sequence.id === 'B' ? 1 : 0, typeId: Number(it.Sequence.type_id ?? 0) });
      return [parse(pp.single), parse(pp.pair)];
    }
    if (pp.type === 'BertProcessing') {
      const cls = String(pp.cls[0]);
      const sep = String(pp.sep[0]);
      return [
        [{ special: cls, typeId: 0 }, { sequence: 0, typeId: 0 }, { special: sep, typeId: 0 }],
        [{ special: cls, typeId: 0 }, { sequence: 0, typeId: 0 }, { special: sep, typeId: 0 }, { sequence: 1, typeId: 1 }, { special: sep, typeId: 1 }],
      ];
    }
    if (pp.type === 'RobertaProcessing') {
      const cls = String(pp.cls[0]);
      const sep = String(pp.sep[0]);
      return [
        [{ special: cls, typeId: 0 }, { sequence: 0, typeId: 0 }, { special: sep, typeId: 0 }],
        [{ special: cls, typeId: 0 }, { sequence: 0, typeId: 0 }, { special: sep, typeId: 0 }, { special: sep, typeId: 0 }, { sequence: 1, typeId: 0 }, { special: sep, typeId: 0 }],
      ];
    }
    throw new TypeError(`post_processor type '${pp.type}' is not supported (TemplateProcessing, BertProcessing, RobertaProcessing, Sequence)`);
  }

  private cachedVocabSize = -1;

  /** Number of ids (vocabulary plus added tokens): the embedding table needs this many rows. */
  get vocabSize(): number {
    if (this.cachedVocabSize < 0) {
      let max = -1;
      for (const id of this.hf.get_vocab(true).values()) max = Math.max(max, id);
      this.cachedVocabSize = max + 1;
    }
    return this.cachedVocabSize;
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** The underlying @huggingface/tokenizers object (for decode and direct comparisons). */
  get huggingface(): HfTokenizer {
    return this.hf;
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    if (ids.length === 0) return '';
    return this.hf.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  private idOf(token: string): number {
    const id = this.addedByText.get(token) ?? this.hf.token_to_id(token) ?? this.hf.model?.unk_token_id;
    if (id === undefined) throw new RangeError(`token '${token}' is not in the vocabulary and the model has no unknown token`);
    return id;
  }

  /** Tokens of a text without special tokens, each tagged with the pre-tokenized word it came from. */
  tokenizeWords(text: string): WordTokens {
    if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${typeof text}`);
    const out: WordTokens = { tokens: [], ids: [], wordIds: [], words: [] };
    const push = (word: string, pieces: string[]) => {
      const w = out.words.length;
      out.words.push(word);
      for (const p of pieces) { out.tokens.push(p); out.ids.push(this.idOf(p)); out.wordIds.push(w); }
    };
    const strip = (parts: string[]) => parts.forEach((part, i) => {
      const t = this.added.find((a) => a.content === part || (a.normalized && this.hf.normalizer && this.hf.normalizer(a.content) === part));
      if (!t) return;
      if (t.lstrip && i > 0) parts[i - 1] = parts[i - 1].trimEnd();
      if (t.rstrip && i < parts.length - 1) parts[i + 1] = parts[i + 1].trimStart();
    });
    const sections = trieSplit(text, this.unnormalizedAdded);
    strip(sections);
    sections.forEach((section, sectionIndex) => {
      if (section.length === 0) return;
      if (this.addedByText.has(section)) { push(section, [section]); return; }
      const normalized = this.hf.normalizer ? this.hf.normalizer(section) : section;
      if (normalized.length === 0) return;
      const subs = trieSplit(normalized, this.normalizedAdded);
      strip(subs);
      for (const sub of subs) {
        if (sub.length === 0) continue;
        if (this.addedByText.has(sub)) { push(sub, [sub]); continue; }
        const words = this.hf.pre_tokenizer ? this.hf.pre_tokenizer(sub, { section_index: sectionIndex }) : [sub];
        for (const word of words) {
          const pieces = this.hf.model!([word]);
          if (this.metaspace === null) { push(word, pieces); continue; }
          // The JS Metaspace pre-tokenizer does not split at '▁', so one pre-token can hold several
          // words: a SentencePiece word starts at every piece that begins with the replacement.
          let start = 0;
          for (let i = 1; i <= pieces.length; i++) {
            if (i === pieces.length || pieces[i].startsWith(this.metaspace)) {
              push(pieces.slice(start, i).join(''), pieces.slice(start, i));
              start = i;
            }
          }
        }
      }
    });
    return out;
  }

  /** Tokens of caller-split words: token i belongs to words[wordIds[i]] (words with no tokens get none). */
  tokenizeGivenWords(words: string[]): WordTokens {
    if (!Array.isArray(words)) throw new TypeError('words must be an array of strings');
    const out: WordTokens = { tokens: [], ids: [], wordIds: [], words: [...words] };
    words.forEach((word, w) => {
      if (typeof word !== 'string') throw new TypeError(`words[${w}] must be a string, got ${typeof word}`);
      const t = this.tokenizeWords(word);
      out.tokens.push(...t.tokens);
      out.ids.push(...t.ids);
      for (let i = 0; i < t.tokens.length; i++) out.wordIds.push(w);
    });
    return out;
  }

  private piecesOf(input: TextInput, name: string): WordTokens {
    if (typeof input === 'string') return this.tokenizeWords(input);
    if (Array.isArray(input)) return this.tokenizeGivenWords(input);
    throw new TypeError(`${name} must be a string or an array of words, got ${input === null ? 'null' : typeof input}`);
  }

  /** Encodes one text or a (query, document) pair with special tokens, truncation and mask. */
  encode(text: TextInput, pair?: TextInput | null, options: EncodeOptions = {}): Encoding {
    const a = this.piecesOf(text, 'text');
    const b = pair === undefined || pair === null ? null : this.piecesOf(pair, 'pair');
    const addSpecial = options.addSpecialTokens ?? true;
    const template = addSpecial ? (b ? this.pair : this.single) : (b ? [{ sequence: 0, typeId: 0 }, { sequence: 1, typeId: 1 }] as TemplatePiece[] : [{ sequence: 0, typeId: 0 }] as TemplatePiece[]);
    const nSpecial = template.filter((p) => 'special' in p).length;
    let lenA = a.tokens.length;
    let lenB = b ? b.tokens.length : 0;
    let truncated = false;
    if (options.maxLength !== undefined) {
      if (!Number.isInteger(options.maxLength) || options.maxLength < nSpecial + (b ? 2 : 1)) {
        throw new RangeError(`maxLength must be an integer ≥ ${nSpecial + (b ? 2 : 1)} (special tokens plus one token per text), got ${options.maxLength}`);
      }
      const budget = options.maxLength - nSpecial;
      // Longest-first: drop one token at a time from the longer text (the pair on ties).
      while (lenA + lenB > budget) {
        truncated = true;
        if (lenA > lenB) lenA--; else lenB--;
      }
    }
    const enc: Encoding = { ids: [], tokens: [], tokenTypeIds: [], attentionMask: [], wordIds: [], sequenceIds: [], words: [a.words, b ? b.words : []], truncated };
    for (const piece of template) {
      if ('special' in piece) {
        enc.ids.push(this.idOf(piece.special)); enc.tokens.push(piece.special); enc.tokenTypeIds.push(piece.typeId);
        enc.wordIds.push(null); enc.sequenceIds.push(null);
        continue;
      }
      const src = piece.sequence === 0 ? a : b!;
      const n = piece.sequence === 0 ? lenA : lenB;
      for (let i = 0; i < n; i++) {
        enc.ids.push(src.ids[i]); enc.tokens.push(src.tokens[i]); enc.tokenTypeIds.push(piece.typeId);
        enc.wordIds.push(src.wordIds[i]); enc.sequenceIds.push(piece.sequence);
      }
    }
    enc.attentionMask = enc.ids.map(() => 1);
    return enc;
  }

  /**
   * Encodes texts (and, when `pairs` is given, texts[i] with pairs[i], e.g. query with document) and
   * pads them to a rectangle.
   */
  encodeBatch(texts: TextInput[], pairs: TextInput[] | null = null, options: BatchOptions = {}): BatchEncoding {
    if (!Array.isArray(texts)) throw new TypeError('texts must be an array');
    if (pairs !== null && (!Array.isArray(pairs) || pairs.length !== texts.length)) {
      throw new RangeError(`pairs must be null or an array as long as texts (${texts.length}), got ${Array.isArray(pairs) ? pairs.length : typeof pairs}`);
    }
    const padding = options.padding ?? 'longest';
    if (padding === 'max_length' && options.maxLength === undefined) throw new RangeError("padding 'max_length' needs maxLength");
    const encodings = texts.map((text, i) => {
      try {
        return this.encode(text, pairs ? pairs[i] : null, options);
      } catch (err) {
        if (err instanceof TypeError) throw new TypeError(`item ${i}: ${err.message}`);
        throw err;
      }
    });
    const target = padding === 'max_length' ? options.maxLength! : Math.max(0, ...encodings.map((e) => e.ids.length));
    const pad = <T>(row: T[], value: T) => (padding === 'none' ? row : [...row, ...new Array<T>(Math.max(0, target - row.length)).fill(value)]);
    return {
      inputIds: encodings.map((e) => pad(e.ids, this.padId)),
      attentionMask: encodings.map((e) => pad(e.attentionMask, 0)),
      tokenTypeIds: encodings.map((e) => pad(e.tokenTypeIds, 0)),
      wordIds: encodings.map((e) => pad<number | null>(e.wordIds, null)),
      sequenceIds: encodings.map((e) => pad<0 | 1 | null>(e.sequenceIds, null)),
      encodings,
    };
  }
}

/**
 * Word → token spans of one sequence of an encoding: spans[w] = [start, end) positions in
 * encoding.ids of word w of `sequence` (0 = first text, 1 = pair), or null when the word produced no
 * token or was truncated away entirely. The inverse of `wordIds`.
 */
export function wordTokenSpans(encoding: Encoding, sequence: 0 | 1 = 0): ([number, number] | null)[] {
  const spans: ([number, number] | null)[] = encoding.words[sequence].map(() => null);
  encoding.wordIds.forEach((w, i) => {
    if (w === null || encoding.sequenceIds[i] !== sequence) return;
    const span = spans[w];
    if (span === null) spans[w] = [i, i + 1];
    else span[1] = i + 1;
  });
  return spans;
}

/** Loads a tokenizer from a tokenizer.json path, a model folder, or an already parsed object. */
export async function createTokenizer(source: string | Record<string, any>): Promise<TextTokenizer> {
  return typeof source === 'string' ? TextTokenizer.fromFile(source) : new TextTokenizer(source);
}
