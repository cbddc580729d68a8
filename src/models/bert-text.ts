/**
 * Our own BERT text pipeline (BertNormalizer + BertPreTokenizer of Hugging Face tokenizers), used to
 * count words when training a WordPiece vocabulary and by the WordPiece encoder, so the trained
 * vocabulary sees exactly the words that @huggingface/tokenizers will later feed to it.
 * Semantics follow the Rust/JS implementations: clean_text drops NUL, U+FFFD and control/format
 * characters and maps whitespace to ' '; CJK ideographs are surrounded by spaces; lowercase and
 * strip_accents are independent when strip_accents is given explicitly.
 */

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  lowercase: boolean;
  /** null = follow `lowercase` (the HF default); we always write it explicitly. */
  stripAccents: boolean | null;
}

export const DEFAULT_BERT_NORMALIZER: BertNormalizerOptions = { cleanText: true, handleChineseChars: true, lowercase: true, stripAccents: false };

const CONTROL = /^(?:\p{Cc}|\p{Cf}|\p{Co}|\p{Cs})$/u;
const WHITESPACE = /^\s$/u;
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const WORD = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');

/** CJK Unified Ideographs blocks, as in BERT's _is_chinese_char (checked per UTF-16 unit like the JS port). */
export function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df)
    || (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

export function bertNormalize(text: string, options: BertNormalizerOptions = DEFAULT_BERT_NORMALIZER): string {
  let out = text;
  if (options.cleanText) {
    let s = '';
    for (const ch of out) {
      const cp = ch.charCodeAt(0);
      if (cp === 0 || cp === 0xfffd) continue;
      if (ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch)) continue;
      s += WHITESPACE.test(ch) ? ' ' : ch;
    }
    out = s;
  }
  if (options.handleChineseChars) {
    let s = '';
    for (let i = 0; i < out.length; i++) {
      const ch = out[i];
      s += isChineseChar(ch.charCodeAt(0)) ? ` ${ch} ` : ch;
    }
    out = s;
  }
  const strip = options.stripAccents ?? options.lowercase;
  if (options.lowercase) out = out.toLowerCase();
  if (strip) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
  return out;
}

/** Splits normalised text into words: runs of non-space non-punctuation, and single punctuation marks. */
export function bertPreTokenize(text: string): string[] {
  return text.trim().match(WORD) ?? [];
}
