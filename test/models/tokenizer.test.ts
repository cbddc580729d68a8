import { describe, expect, test } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { trainWordPiece, saveTokenizerJson } from '../../src/models/wordpiece-trainer.js';
import { WordPieceEncoder } from '../../src/models/wordpiece.js';
import { createTokenizer, TextTokenizer, wordTokenSpans } from '../../src/models/tokenizer.js';

const TRAIN = [
  'Everyone has the right to education. Education shall be free, at least in the elementary stages.',
  'Kila mtu ana haki ya kupata elimu. Elimu itakuwa bure, angalau katika hatua za mwanzo.',
  'The teacher reads the books; the students read the newspapers and the letters.',
  'Mwalimu anasoma vitabu; wanafunzi wanasoma magazeti na barua za walimu.',
  'Café, naïve and Zürich keep their accents: café CAFÉ café.',
  'Numbers 1999 and 2024, e-mail addresses, and (brackets) [too] are split by punctuation!',
  '教育 是 人权 — mixed scripts stay separate.',
];
const UNSEEN = [
  'Elimu ya msingi itakuwa ya lazima kwa watoto wote.',
  'Unseen WORDS like Xylophone, façade and Ångström!',
  '  leading and trailing   spaces\tand\ttabs\n',
  '人权教育 2025?!',
  'emoji 🙂 and control\u0007chars\u200b',
];

function repeatCorpus(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(...TRAIN);
  return out;
}

describe('trainWordPiece', () => {
  test('writes a tokenizer.json that @huggingface/tokenizers encodes identically to our encoder', async () => {
    const json = trainWordPiece(repeatCorpus(3), { vocabSize: 300, minFrequency: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'optical-tok-'));
    const path = join(dir, 'tokenizer.json');
    await saveTokenizerJson(path, json);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk.normalizer).toEqual({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: true });
    expect(onDisk.pre_tokenizer.type).toBe('BertPreTokenizer');
    expect(onDisk.model.continuing_subword_prefix).toBe('##');
    expect(onDisk.decoder.type).toBe('WordPiece');
    expect(Object.keys(onDisk.model.vocab)).toHaveLength(300);

    const hf = new HfTokenizer(onDisk, {});
    const ours = new WordPieceEncoder(onDisk);
    const wrapped = await createTokenizer(path);
    let compared = 0;
    for (const text of [...TRAIN, ...UNSEEN]) {
      const expected = hf.encode(text, { add_special_tokens: false });
      expect(ours.encode(text).ids).toEqual(expected.ids);
      expect(wrapped.tokenizeWords(text).ids).toEqual(expected.ids);
      const withSpecial = hf.encode(text);
      expect(wrapped.encode(text).ids).toEqual(withSpecial.ids);
      compared += expected.ids.length;
    }
    expect(compared).toBeGreaterThan(100);
    // Accents survive (strip_accents: false) and frequent words became single pieces.
    expect(ours.encode('café').tokens).toEqual(['café']);
    expect(ours.encode('Education').tokens).toEqual(['education']);
    expect(ours.encode('wanafunzi').tokens.length).toBeLessThanOrEqual(2);
  });

  test('lowercase: false keeps case; training is deterministic; bad options are rejected', () => {
    const cased = trainWordPiece(TRAIN, { vocabSize: 200, minFrequency: 1, lowercase: false }) as any;
    expect(cased.normalizer.lowercase).toBe(false);
    expect(cased.normalizer.strip_accents).toBe(false);
    expect(new WordPieceEncoder(cased).encode('CAFÉ').tokens.join('')).toContain('C');
    const again = trainWordPiece(TRAIN, { vocabSize: 200, minFrequency: 1, lowercase: false }) as any;
    expect(JSON.stringify(again.model.vocab)).toBe(JSON.stringify(cased.model.vocab));
    expect(() => trainWordPiece(TRAIN, { vocabSize: 3 })).toThrow(/vocabSize/);
    expect(() => trainWordPiece([], {})).toThrow(/no words/);
    expect(() => trainWordPiece(['ok', 5 as unknown as string])).toThrow(/texts\[1\]/);
    expect(() => trainWordPiece(TRAIN, { specialTokens: ['[PAD]', '[UNK]'] })).toThrow(/\[CLS\]/);
  });
});

describe('TextTokenizer', () => {
  const json = trainWordPiece(repeatCorpus(2), { vocabSize: 260, minFrequency: 1 });
  const tok = new TextTokenizer(json);

  test('pair encoding matches @huggingface/tokenizers: [CLS] q [SEP] d [SEP] with token types', () => {
    const hf = new HfTokenizer(json, {});
    const q = 'right to education';
    const d = 'Kila mtu ana haki ya kupata elimu.';
    const expected = hf.encode(q, { text_pair: d, return_token_type_ids: true });
    const enc = tok.encode(q, d);
    expect(enc.ids).toEqual(expected.ids);
    expect(enc.tokenTypeIds).toEqual(expected.token_type_ids);
    expect(enc.tokens[0]).toBe('[CLS]');
    expect(enc.tokens.filter((t) => t === '[SEP]')).toHaveLength(2);
    expect(enc.sequenceIds[0]).toBeNull();
    expect(enc.sequenceIds[1]).toBe(0);
    expect(enc.sequenceIds[enc.sequenceIds.length - 2]).toBe(1);
  });

  test('token→word alignment covers every non-special token and follows word order', () => {
    const enc = tok.encode('Wanafunzi wanasoma, vitabu!');
    expect(enc.words[0]).toEqual(['wanafunzi', 'wanasoma', ',', 'vitabu', '!']);
    const ids = enc.wordIds.filter((w) => w !== null) as number[];
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids)).toEqual(new Set([0, 1, 2, 3, 4]));
    // Every word's tokens concatenate back to the word (## removed).
    for (let w = 0; w < 5; w++) {
      const pieces = enc.tokens.filter((_, i) => enc.wordIds[i] === w && enc.sequenceIds[i] === 0);
      expect(pieces.map((p) => p.replace(/^##/, '')).join('')).toBe(enc.words[0][w]);
    }
  });

  test('encode with caller words maps tokens to those words (code-switching)', () => {
    const words = ['Kila', 'mtu', 'has', 'haki', 'to', 'education.'];
    const enc = tok.encode(words);
    expect(enc.words[0]).toEqual(words);
    const last = enc.tokens.filter((_, i) => enc.wordIds[i] === 5);
    expect(last.map((p) => p.replace(/^##/, '')).join('')).toBe('education.');
    expect(enc.ids).toEqual(tok.encode(words.join(' ')).ids);
    const spans = wordTokenSpans(enc);
    expect(spans[0]![0]).toBe(1); // after [CLS]
    spans.forEach((span, w) => {
      for (let i = span![0]; i < span![1]; i++) expect(enc.wordIds[i]).toBe(w);
    });
    expect(spans[5]![1]).toBe(enc.ids.length - 1); // last word ends before [SEP]
    // In a pair, spans of the second text index into it; truncated-away words get null.
    const pair = tok.encode('kila mtu', words, { maxLength: 7 });
    const second = wordTokenSpans(pair, 1);
    expect(second[0]).not.toBeNull();
    expect(second[5]).toBeNull();
  });

  test('longest-first truncation and padding', () => {
    const q = 'the teacher';
    const d = 'Everyone has the right to education. Education shall be free, at least in the elementary stages.';
    const full = tok.encode(q, d);
    const enc = tok.encode(q, d, { maxLength: 12 });
    expect(enc.ids).toHaveLength(12);
    expect(enc.truncated).toBe(true);
    // The query (shorter) is kept whole; the document is cut.
    const qTokens = tok.tokenizeWords(q).tokens;
    expect(enc.tokens.slice(1, 1 + qTokens.length)).toEqual(qTokens);
    expect(enc.tokens[enc.tokens.length - 1]).toBe('[SEP]');
    expect(full.truncated).toBe(false);
    // Both long: the longer loses tokens until they are equal.
    const both = tok.encode(d, d + ' ' + d, { maxLength: 23 });
    expect(both.sequenceIds.filter((s) => s === 0)).toHaveLength(10);
    expect(both.sequenceIds.filter((s) => s === 1)).toHaveLength(10);

    const batch = tok.encodeBatch(['short', d], null, { maxLength: 16 });
    expect(batch.inputIds[0]).toHaveLength(16);
    expect(batch.attentionMask[0].filter((m) => m === 1)).toHaveLength(tok.encode('short').ids.length);
    expect(batch.inputIds[0][15]).toBe(tok.padId);
    expect(tok.idToToken(tok.padId)).toBe('[PAD]');
    const pairs = tok.encodeBatch(['q one', 'q two'], ['doc', 'document two'], { padding: 'max_length', maxLength: 20 });
    expect(pairs.inputIds.every((r) => r.length === 20)).toBe(true);
    expect(() => tok.encode(q, d, { maxLength: 3 })).toThrow(/maxLength/);
    expect(() => tok.encodeBatch(['a'], ['b', 'c'])).toThrow(/pairs/);
    expect(() => tok.encodeBatch(['a', 7 as unknown as string])).toThrow(/item 1/);
  });

  test('BPE (byte-level) and Unigram (metaspace) tokenizer.json: same tokens as the package, with words', () => {
    const bpe = {
      version: '1.0', added_tokens: [{ id: 0, content: '<s>', special: true }, { id: 1, content: '</s>', special: true }, { id: 2, content: '<pad>', special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 1], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
      decoder: { type: 'ByteLevel' },
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false,
        vocab: { '<s>': 0, '</s>': 1, '<pad>': 2, l: 3, o: 4, w: 5, e: 6, r: 7, 'Ġ': 8, n: 9, lo: 10, low: 11, er: 12, 'Ġlow': 13, 'Ġn': 14, 'Ġne': 15, 'Ġnew': 16, Ġl: 17 },
        merges: ['l o', 'lo w', 'e r', 'Ġ l', 'Ġl o', 'Ġ n', 'Ġn e', 'Ġne w'],
      },
    };
    // Ġlo is not in the vocabulary, so 'Ġl o' is only a merge step; keep the vocabulary consistent.
    (bpe.model.vocab as Record<string, number>)['Ġlo'] = 18;
    const b = new TextTokenizer(bpe);
    const hfB = new HfTokenizer({ ...bpe }, {});
    for (const text of ['lower newer low', 'new low lower']) {
      expect(b.tokenizeWords(text).tokens).toEqual(hfB.tokenize(text));
      expect(b.encode(text).ids).toEqual(hfB.encode(text).ids);
    }
    const wb = b.tokenizeWords('lower newer');
    expect(wb.words).toEqual(['lower', 'Ġnewer']);
    expect(b.encode('low', 'new').tokens).toEqual(['<s>', 'low', '</s>', '</s>', 'n', 'e', 'w', '</s>']);
    expect(b.encode('low', 'new').ids).toEqual(hfB.encode('low', { text_pair: 'new' }).ids);
    expect(b.padId).toBe(2);

    const unigram = {
      version: '1.0', added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '<pad>', special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: null,
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: 0, byte_fallback: false, vocab: [['<unk>', 0], ['<pad>', 0], ['▁', -2], ['▁ha', -3], ['ki', -3], ['▁haki', -2.5], ['▁ya', -2], ['▁', -9], ['h', -5], ['a', -5], ['k', -5], ['i', -5], ['y', -5], ['m', -5], ['t', -5], ['u', -5], ['▁mtu', -3]] },
    };
    const u = new TextTokenizer(unigram);
    const hfU = new HfTokenizer(unigram, {});
    for (const text of ['haki ya mtu', 'hakiya mtu kia']) {
      expect(u.tokenizeWords(text).tokens).toEqual(hfU.tokenize(text));
    }
    expect(u.tokenizeWords('haki ya').words).toEqual(['▁haki', '▁ya']);
  });

  test('added tokens inside text stay whole', () => {
    const enc = tok.tokenizeWords('education [MASK] elimu');
    expect(enc.tokens).toContain('[MASK]');
    const hf = new HfTokenizer(json, {});
    expect(enc.ids).toEqual(hf.encode('education [MASK] elimu', { add_special_tokens: false }).ids);
  });

  test('rejects malformed tokenizer.json and inputs', async () => {
    expect(() => new TextTokenizer({} as Record<string, unknown>)).toThrow(/model/);
    await expect(createTokenizer('/nonexistent/tokenizer.json')).rejects.toThrow(/cannot read tokenizer/);
    expect(() => tok.encode(5 as unknown as string)).toThrow(TypeError);
    expect(() => tok.encode(['ok', 3 as unknown as string])).toThrow(/words\[1\]/);
  });
});
