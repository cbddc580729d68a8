/**
 * Everything a compare trains and tests on, built once from the recipes in src/data:
 *  - per target language: an EN→X lexicon (CLDR single words, FreeDict when its Debian package is
 *    present, LibreOffice UI strings), merged;
 *  - per evaluated fold: real training bitext (training units of the test recipe and/or CLDR
 *    phrases), with every pair that shares text with the fold's held-out units dropped, and the
 *    CLIR / MLIR / MoIR evaluation sets of the held-out units;
 *  - English retrieval pairs (the teacher's domain) for methods that fine-tune.
 * The data seed is fixed (not the method seed) so every method and seed sees the same data budget.
 */
import { buildUdhr, readUdhrDeclaration, resolveUdhrLanguage } from '../data/udhr.js';
import { buildCldr } from '../data/cldr.js';
import { buildFreedict } from '../data/freedict.js';
import { MissingDebianPackageError } from '../data/debian.js';
import { Lexicon } from '../data/lexicon.js';
import { dropLeakage } from '../data/split.js';
import { Rng } from '../data/rng.js';
import type { SourceRecord } from '../data/manifest.js';
import type { BitextPair, Doc } from '../data/types.js';
import { silentProgress, type Progress } from '../data/progress.js';
import type { CompareConfig } from './config.js';
import { buildEvalSets, type EvalSet, type HeldOutUnit, type Scenario } from './eval-sets.js';

/** Seed of every data-side shuffle (splits, caps): fixed so methods and seeds share the data. */
export const DATA_SEED = 13;

export interface FoldData {
  fold: number;
  /** Held-out units (articles, pages). */
  testUnits: string[];
  /** Real bitext EN → target (all target languages; `tgtLang` tells which). */
  bitext: BitextPair[];
  /** Pairs dropped because they shared text with the held-out units. */
  leakageDropped: number;
  sets: Map<Scenario, EvalSet>;
}

export interface EnglishPair {
  query: string;
  doc: string;
}

export interface ExperimentData {
  /** Target languages as configured. */
  languages: string[];
  /** EN → X lexicon per configured language. */
  lexicons: Map<string, Lexicon>;
  folds: FoldData[];
  /** English (query, positive) pairs for fine-tuning methods (the teacher's training domain). */
  englishPairs: EnglishPair[];
  /** Texts a trained tokenizer may learn its vocabulary from (never test text). */
  vocabularyTexts: string[];
  /** Provenance of every source read. */
  sources: SourceRecord[];
  counts: Record<string, number>;
  /** Human-readable notes for the report (e.g. a missing optional source). */
  notes: string[];
}

export interface DataHooks {
  /**
   * English retrieval pairs (sotu inverse-cloze) — supplied by the caller so tests can stay small.
   * `exclude`: every held-out text; a source must drop passages that contain one.
   */
  englishPairs(count: number, seed: number, exclude: ReadonlySet<string>): Promise<{ pairs: EnglishPair[]; source?: SourceRecord }>;
  progress?: Progress;
}

async function buildLexicon(lang: string, config: CompareConfig, notes: string[], sources: SourceRecord[], progress: Progress): Promise<Lexicon> {
  const parts: { lexicon: Lexicon; weight?: number }[] = [];
  for (const src of config.data.lexicon) {
    if (src === 'cldr') {
      const c = await buildCldr({ lang });
      sources.push(...c.manifest.sources);
      parts.push({ lexicon: Lexicon.fromPairs(c.lexicon, 'en', lang, 'cldr') });
    } else if (src === 'freedict') {
      try {
        const f = await buildFreedict({ lang, download: false });
        sources.push(...f.manifest.sources);
        parts.push({ lexicon: f.lexicon, weight: 2 });
      } catch (err) {
        if (!(err instanceof MissingDebianPackageError) && !/no FreeDict|not available|freedict/i.test((err as Error).message)) throw err;
        notes.push(`FreeDict EN↔${lang} is not installed here, so the lexicon is CLDR only (${(err as Error).message.split('. ')[0]}).`);
        progress.log(`freedict ${lang}: not available, continuing without it`);
      }
    } else {
      throw new RangeError(`data.lexicon: source '${src}' is not available in this build (use 'cldr' and 'freedict')`);
    }
  }
  if (parts.length === 0) throw new RangeError(`no lexicon source gave a lexicon for '${lang}' (data.lexicon = ${config.data.lexicon.join(', ')})`);
  const merged = Lexicon.merge(parts, `en-${lang}`);
  if (merged.size === 0) throw new RangeError(`the EN→${lang} lexicon is empty`);
  return merged;
}

/** Builds the data of a compare. */
export async function prepareExperimentData(config: CompareConfig, hooks: DataHooks): Promise<ExperimentData> {
  const progress = hooks.progress ?? silentProgress;
  if (config.data.test !== 'udhr') {
    throw new RangeError(`data.test '${config.data.test}' is not supported by this build of optical compare yet (use 'udhr')`);
  }
  const notes: string[] = [];
  const sources: SourceRecord[] = [];
  const counts: Record<string, number> = {};

  const lexicons = new Map<string, Lexicon>();
  for (const lang of config.languages) {
    progress.log(`lexicon en→${lang}`);
    const lex = await buildLexicon(lang, config, notes, sources, progress);
    lexicons.set(lang, lex);
    counts[`lexicon.${lang}.pairs`] = lex.size;
    counts[`lexicon.${lang}.headwords`] = lex.headwords;
  }

  // UDHR per language with the same article folds (the assignment depends only on English article numbers and the seed).
  const udhr = new Map<string, Awaited<ReturnType<typeof buildUdhr>>>();
  for (const lang of config.languages) {
    progress.log(`udhr ${lang}: ${config.data.folds} folds by article`);
    const u = await buildUdhr({ lang, folds: config.data.folds >= 2 ? config.data.folds : undefined, seed: DATA_SEED });
    udhr.set(lang, u);
    sources.push(...u.manifest.sources);
  }
  const cldrPairs = new Map<string, BitextPair[]>();
  if (config.data.bitext.includes('cldr')) {
    for (const lang of config.languages) {
      const c = await buildCldr({ lang });
      cldrPairs.set(lang, c.pairs.map((p) => ({ ...p, tgtLang: lang })));
      counts[`cldr.${lang}.pairs`] = c.pairs.length;
    }
  }
  if (config.data.bitext.includes('libreoffice')) {
    throw new RangeError("data.bitext 'libreoffice' is not supported by this build of optical compare yet");
  }

  const en = readUdhrDeclaration('eng');
  const decls = new Map<string, ReturnType<typeof readUdhrDeclaration>>();
  for (const lang of config.languages) decls.set(lang, readUdhrDeclaration(udhr.get(lang)!.lang.code));

  const evalFolds = config.data.evalFolds === 'all' ? [...Array(config.data.folds).keys()] : config.data.evalFolds;
  const folds: FoldData[] = [];
  for (const k of evalFolds) {
    const testArticles = config.data.folds === 1 ? [...en.articles.keys()].sort((a, b) => a - b) : udhr.get(config.languages[0])!.folds[k].testUnits.map(Number);
    const units: HeldOutUnit[] = [];
    for (const n of testArticles) {
      const ep = en.articles.get(n);
      if (!ep || ep.length === 0) continue;
      const docs = new Map<string, Doc[]>();
      const queryDoc = new Map<string, Doc>();
      const enDocs = ep.map((text, i) => ({ docno: `udhr-eng-a${n}-p${i + 1}`, text, lang: 'en' }));
      docs.set('en', enDocs);
      queryDoc.set('en', enDocs[0]);
      for (const lang of config.languages) {
        const code = udhr.get(lang)!.lang.code;
        const xp = decls.get(lang)!.articles.get(n) ?? [];
        const xd = xp.map((text, i) => ({ docno: `udhr-${code}-a${n}-p${i + 1}`, text, lang }));
        docs.set(lang, xd);
        if (xd.length > 0) queryDoc.set(lang, xd[0]);
      }
      units.push({ qid: `udhr-a${n}`, query: ep[0], docs, queryDoc });
    }
    const sets = buildEvalSets(units, config.languages, config.scenarios);

    let candidates: BitextPair[] = [];
    for (const lang of config.languages) {
      if (config.data.bitext.includes('test-train') && config.data.folds >= 2) candidates.push(...udhr.get(lang)!.folds[k].train.map((p) => ({ ...p, tgtLang: lang })));
      candidates.push(...(cldrPairs.get(lang) ?? []));
    }
    // Every held-out text in every language and scenario is banned from training.
    const banned = [...sets.values()].flatMap((s) => [...s.topics.map((t) => t.text), ...s.collection.map((d) => d.text)]);
    const { kept, dropped } = dropLeakage(candidates, { topics: [], collection: [], qrels: [] }, banned);
    candidates = new Rng(`${DATA_SEED}:bitext:${k}`).shuffle(kept).slice(0, config.data.maxBitext);
    if (candidates.length === 0) throw new RangeError(`fold ${k}: no training bitext left (data.bitext = ${config.data.bitext.join(', ')})`);
    folds.push({ fold: k, testUnits: testArticles.map(String), bitext: candidates, leakageDropped: dropped, sets });
    counts[`fold${k}.bitext`] = candidates.length;
    counts[`fold${k}.leakageDropped`] = dropped;
    for (const [name, s] of sets) {
      counts[`fold${k}.${name}.topics`] = s.topics.length;
      counts[`fold${k}.${name}.documents`] = s.collection.length;
    }
  }

  progress.log(`english pairs: ${config.data.englishPairs}`);
  const heldOut = new Set(folds.flatMap((f) => [...f.sets.values()].flatMap((s) => [...s.topics.map((t) => t.text), ...s.collection.map((d) => d.text)])));
  const eng = await hooks.englishPairs(Math.max(config.data.englishPairs, config.teacher.pairs), DATA_SEED, heldOut);
  for (const [i, p] of eng.pairs.entries()) {
    if (heldOut.has(p.query) || heldOut.has(p.doc)) throw new Error(`english pair ${i} contains held-out test text: the English pair source ignored 'exclude'`);
  }
  if (eng.source) sources.push(eng.source);
  if (eng.pairs.length < 2) throw new RangeError('fewer than two English training pairs: cannot train with in-batch negatives');
  const englishPairs = eng.pairs;
  counts.englishPairs = englishPairs.length;

  // Vocabulary: English training text plus the target side of fold-independent sources only
  // (CLDR phrases, lexicon entries). UDHR training folds are excluded on purpose: with
  // cross-validation, one fold's training articles are another fold's test articles.
  const vocabularyTexts: string[] = englishPairs.flatMap((p) => [p.query, p.doc]);
  for (const [, pairs] of cldrPairs) for (const p of pairs) vocabularyTexts.push(p.src, p.tgt);
  for (const [, lex] of lexicons) for (const p of lex.toPairs()) vocabularyTexts.push(p.tgt);

  return { languages: [...config.languages], lexicons, folds, englishPairs, vocabularyTexts, sources, counts, notes };
}

/** Resolves configured language codes to UDHR declarations early, so a typo fails before any work. */
export async function checkLanguages(languages: readonly string[]): Promise<void> {
  for (const [i, l] of languages.entries()) {
    try {
      await resolveUdhrLanguage(l);
    } catch (err) {
      throw new RangeError(`languages[${i}]: ${(err as Error).message}`);
    }
  }
}
