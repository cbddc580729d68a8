/**
 * Word-by-word translation with a bilingual lexicon (the "lexicon translate-test" baseline and the
 * lexicon side of hybrid batches): every word with an entry is replaced by its best sense, other
 * words (names, numbers, unknown words) are kept. It is code-switching with p = 1 and the top sense,
 * so it shares the tokenisation, case handling and alignment records of src/codeswitch.
 */
import { codeSwitch, type CodeSwitchResult } from '../../codeswitch/codeswitch.js';
import { Lexicon } from '../../data/lexicon.js';

/** Translates one text word by word (deterministic: top sense, every covered word). */
export function translateWords(text: string, lexicon: Lexicon): CodeSwitchResult {
  return codeSwitch(text, { mode: 'bl', lexicons: [lexicon], p: 1, sense: 'top', seed: 0 });
}

/** The X → EN lexicon obtained by reading an EN → X lexicon backwards (weights kept, then renormalised). */
export function reverseLexicon(lexicon: Lexicon): Lexicon {
  const out = new Lexicon(lexicon.tgtLang, lexicon.srcLang, `${lexicon.name}-reversed`);
  for (const p of lexicon.toPairs()) out.add(p.tgt, p.src, p.weight, out.name);
  return out.normalize();
}

/** Memoising translator (evaluation translates the same documents once per method). */
export function cachedTranslator(lexicon: Lexicon): (text: string) => string {
  const cache = new Map<string, string>();
  return (text) => {
    let t = cache.get(text);
    if (t === undefined) {
      t = translateWords(text, lexicon).tgt;
      cache.set(text, t);
    }
    return t;
  };
}
