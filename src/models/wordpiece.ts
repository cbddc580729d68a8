/**
 * WordPiece: greedy longest-match-first segmentation of one word (Schuster & Nakajima 2012 as used
 * by BERT), plus a complete encoder for BERT-style tokenizer.json files (BertNormalizer +
 * BertPreTokenizer + WordPiece). The general loader (tokenizer.ts) uses @huggingface/tokenizers; this
 * independent implementation is what trained vocabularies are checked against.
 */
import { bertNormalize, bertPreTokenize, type BertNormalizerOptions } from './bert-text.js';

export interface WordPieceOptions {
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

/** Pieces of one pre-tokenized word; a word that cannot be covered becomes [unk]. */
export function wordPieceWord(word: string, vocab: ReadonlyMap<string, number>, options: WordPieceOptions): string[] {
  const chars = [...word];
  if (chars.length > options.maxInputCharsPerWord) return [options.unkToken];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = chars.length;
    let found: string | null = null;
    while (start < end) {
      const sub = (start > 0 ? options.continuingSubwordPrefix : '') + chars.slice(start, end).join('');
      if (vocab.has(sub)) {
        found = sub;
        break;
      }
      end--;
    }
    if (found === null) return [options.unkToken];
    pieces.push(found);
    start = end;
  }
  return pieces;
}

export interface WordPieceEncoding {
  tokens: string[];
  ids: number[];
  /** Index into `words` of each token. */
  wordIds: number[];
  words: string[];
}

/** Encoder for a BERT-style tokenizer.json object, without special tokens. */
export class WordPieceEncoder {
  readonly vocab: Map<string, number>;
  private readonly normalizer: BertNormalizerOptions;
  private readonly options: WordPieceOptions;

  constructor(tokenizerJson: Record<string, any>) {
    const model = tokenizerJson.model;
    if (model?.type !== 'WordPiece') throw new TypeError(`WordPieceEncoder needs model.type 'WordPiece', got '${model?.type}'`);
    const norm = tokenizerJson.normalizer;
    if (norm?.type !== 'BertNormalizer') throw new TypeError(`WordPieceEncoder needs a BertNormalizer, got '${norm?.type}'`);
    if (tokenizerJson.pre_tokenizer?.type !== 'BertPreTokenizer') throw new TypeError(`WordPieceEncoder needs a BertPreTokenizer, got '${tokenizerJson.pre_tokenizer?.type}'`);
    this.vocab = new Map(Object.entries(model.vocab as Record<string, number>));
    this.normalizer = {
      cleanText: norm.clean_text ?? true,
      handleChineseChars: norm.handle_chinese_chars ?? true,
      lowercase: norm.lowercase ?? true,
      stripAccents: norm.strip_accents ?? null,
    };
    this.options = {
      unkToken: model.unk_token ?? '[UNK]',
      continuingSubwordPrefix: model.continuing_subword_prefix ?? '##',
      maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
    };
  }

  encode(text: string): WordPieceEncoding {
    const words = bertPreTokenize(bertNormalize(text, this.normalizer));
    const out: WordPieceEncoding = { tokens: [], ids: [], wordIds: [], words };
    words.forEach((word, w) => {
      for (const piece of wordPieceWord(word, this.vocab, this.options)) {
        out.tokens.push(piece);
        out.ids.push(this.vocab.get(piece)!);
        out.wordIds.push(w);
      }
    });
    return out;
  }
}
