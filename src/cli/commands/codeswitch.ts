/**
 * `optical codeswitch`: code-switches English text with bilingual lexicons (BL-CS, ML-CS, Wiki-CS)
 * and writes bitext JSONL with the exact replacements (offsets on both sides), optionally mixed
 * with untouched examples at a given ratio.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { readTextFile, textLines } from '../../ir/formats/lines.js';
import { basename, dirname } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { listOption, numberOption, parseCommandArgs, rangeOption, seedOption } from '../args.js';
import { codeSwitch, tokenAlignment, type CodeSwitchMode, type CodeSwitchResult } from '../../codeswitch/codeswitch.js';
import { switchStats } from '../../codeswitch/measures.js';
import { englishBaseForms } from '../../data/inflect.js';
import { readLexicon, type Lexicon } from '../../data/lexicon.js';
import { stderrProgress } from '../../data/progress.js';
import { Rng } from '../../random/rng.js';

const usage = `usage: optical codeswitch --in F --lexicon L[,L2...] --out G [--mode bl|ml|wiki] [--p 0.5] [--seed S] [--ratio R] [--max-ngram N] [--base-forms] [--ml-language known|any]

  --in F        input: plain text (one example per line) or JSONL with a 'text' (or 'src') field
  --lexicon L   lexicon TSV/MUSE file(s); name the target language with LANG=PATH (e.g. sw=lex.tsv),
                else the file name is used. bl takes one lexicon, ml/wiki one or more
  --mode        bl (bilingual, default), ml (multilingual: language drawn uniformly per token),
                wiki (longest-first 1–3-gram matching, stopwords skipped, p = 1 by default)
  --p P         replacement probability per eligible token (bl/ml default 0.5, wiki 1)
  --seed S      seed, an integer in [0, 2^32) (default 0); the output is a pure function of input,
                lexicons and seed
  --ratio R     share of examples to code-switch (default 1: all); the rest pass through unchanged
                (selected_examples); switched_examples counts those with at least one replacement
  --ml-language known (default: draw among lexicons that have the token) | any (draw among all;
                no switch when the drawn lexicon lacks the token)
  --base-forms  let inflected English words use a lemma entry ("rights" → "right"; for FreeDict)
  --out G       output JSONL: {id, src, tgt, srcLang, tgtLang, switched (at least one word replaced),
                replacements:[...], tokenLinks:[[s,t],...]}
                (replacements carry word indices and character offsets on both sides)`;

function loadLexicons(spec: string): Lexicon[] {
  return listOption(spec, []).map((item) => {
    const eq = item.indexOf('=');
    const lang = eq > 0 ? item.slice(0, eq) : basename(item).replace(/\.[^.]+$/, '');
    const path = eq > 0 ? item.slice(eq + 1) : item;
    try {
      return readLexicon(path, { tgtLang: lang, name: lang });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw new UsageError(`--lexicon: cannot read '${path}' (${(err as NodeJS.ErrnoException).code})`);
      throw err;
    }
  });
}

function readExamples(path: string): Array<{ id: string; text: string }> {
  let raw: string;
  try {
    raw = readTextFile(path);
  } catch (err) {
    if (!(err as NodeJS.ErrnoException).code) throw err;
    throw new UsageError(`--in: cannot read '${path}' (${(err as NodeJS.ErrnoException).code})`);
  }
  // Blank lines are skipped; ids count examples, errors name the file's own line number.
  const lines = textLines(raw).map((text, i) => ({ text, lineNumber: i + 1 })).filter((l) => l.text.trim() !== '');
  const jsonl = /\.jsonl?$/i.test(path);
  return lines.map(({ text: line, lineNumber }, i) => {
    if (!jsonl) return { id: String(i + 1), text: line };
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new TypeError(`${path}:${lineNumber}: invalid JSON (${(err as Error).message})`);
    }
    const text = typeof r.text === 'string' ? r.text : typeof r.src === 'string' ? r.src : null;
    if (text === null) throw new TypeError(`${path}:${lineNumber}: record needs a string 'text' or 'src' field`);
    return { id: typeof r.id === 'string' ? r.id : String(i + 1), text };
  });
}

export const command: Command = {
  name: 'codeswitch',
  summary: 'code-switch English text with lexicons (BL/ML/Wiki-CS), keeping exact alignments',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      in: { type: 'string' },
      lexicon: { type: 'string' },
      out: { type: 'string' },
      mode: { type: 'string', default: 'bl' },
      p: { type: 'string' },
      seed: { type: 'string' },
      ratio: { type: 'string' },
      'max-ngram': { type: 'string' },
      'base-forms': { type: 'boolean', default: false },
      'ml-language': { type: 'string' },
    });
    if (!values.in) throw new UsageError('--in F is required');
    if (!values.lexicon) throw new UsageError('--lexicon L is required');
    if (!values.out) throw new UsageError('--out G is required');
    const mode = values.mode as CodeSwitchMode;
    if (mode !== 'bl' && mode !== 'ml' && mode !== 'wiki') throw new UsageError(`--mode must be bl, ml or wiki, got '${values.mode}'`);
    const p = values.p === undefined ? undefined : numberOption('p', values.p, 0.5);
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new UsageError(`--p must be in [0, 1], got '${values.p}'`);
    const ratio = numberOption('ratio', values.ratio, 1);
    if (!(ratio >= 0 && ratio <= 1)) throw new UsageError(`--ratio must be in [0, 1], got '${values.ratio}'`);
    const mlLanguage = values['ml-language'];
    if (mlLanguage !== undefined && mlLanguage !== 'known' && mlLanguage !== 'any') throw new UsageError(`--ml-language must be known or any, got '${mlLanguage}'`);
    const maxNgram = values['max-ngram'] === undefined ? undefined : rangeOption('max-ngram', values['max-ngram'], 1, { min: 1, max: 16, int: true });
    const seed = seedOption(values.seed, 0);
    const lexicons = loadLexicons(values.lexicon);
    if (mode === 'bl' && lexicons.length !== 1) throw new UsageError(`--mode bl takes one lexicon, got ${lexicons.length} (use --mode ml)`);
    const examples = readExamples(values.in);
    const progress = stderrProgress('codeswitch');
    const rng = new Rng(seed);
    mkdirSync(dirname(values.out), { recursive: true });
    const out = createWriteStream(values.out);
    const results: CodeSwitchResult[] = [];
    let selectedExamples = 0;
    let switchedExamples = 0;
    const tgtLang = lexicons.length === 1 ? lexicons[0].tgtLang : 'mixed';
    for (let i = 0; i < examples.length; i++) {
      const ex = examples[i];
      const doSwitch = ratio >= 1 || rng.next() < ratio;
      const r = doSwitch ? codeSwitch(ex.text, { mode, lexicons, p, seed: rng, maxNgram, baseForms: values['base-forms'] ? englishBaseForms : undefined, mlLanguage }) : null;
      // Switched = at least one word replaced (with --p 0, or no lexicon word in the text, none is).
      const switched = r !== null && r.replacements.length > 0;
      if (r) {
        results.push(r);
        selectedExamples++;
      }
      if (switched) switchedExamples++;
      const record = {
        id: ex.id,
        src: ex.text,
        tgt: r ? r.tgt : ex.text,
        srcLang: 'en',
        tgtLang: switched ? tgtLang : 'en',
        switched,
        mode,
        replacements: r ? r.replacements : [],
        // [srcToken, tgtToken] over the word tokens of src and tgt: identity outside replacements.
        tokenLinks: r ? tokenAlignment(r) : [],
      };
      if (!out.write(JSON.stringify(record) + '\n')) await new Promise<void>((res) => out.once('drain', () => res()));
      progress.update(i + 1, examples.length, 'examples');
    }
    await new Promise<void>((res, rej) => {
      out.once('error', rej);
      out.end(() => res());
    });
    const st = switchStats(results);
    progress.done();
    console.log(`examples\t${examples.length}\nselected_examples\t${selectedExamples}\nswitched_examples\t${switchedExamples}`);
    console.log(`tokens\t${st.tokens}\neligible_tokens\t${st.eligibleTokens}\nswitched_tokens\t${st.switchedTokens}`);
    console.log(`switch_rate\t${st.switchRate.toFixed(4)}\nreplacement_rate\t${st.replacementRate.toFixed(4)}`);
    for (const [l, n] of Object.entries(st.byLanguage)) console.log(`switched_tokens_${l}\t${n}`);
    console.log(`wrote ${values.out}`);
    return 0;
  },
};
