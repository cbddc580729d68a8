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
import { Rng } from '../random/rng.js';
import type { SourceRecord } from '../data/manifest.js';
import type { BitextPair, Doc, Qrel, Topic } from '../data/types.js';
import { buildLibreOfficeHelp } from '../data/libreoffice-help.js';
import { silentProgress, type Progress } from '../data/progress.js';
import type { CompareConfig } from './config.js';
import { buildEvalSets, type EvalSet, type HeldOutUnit, type Scenario } from './eval-sets.js';
import { evalFoldNumbers } from './units.js';

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

/** EN → lang lexicon from the configured sources, merged; an absent optional source becomes a note. */
export async function buildMergedLexicon(lang: string, config: { data: Pick<CompareConfig['data'], 'lexicon'> }, notes: string[], sources: SourceRecord[], progress: Progress): Promise<Lexicon> {
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
    }
  }
  if (parts.length === 0) throw new RangeError(`no lexicon source gave a lexicon for '${lang}' (data.lexicon = ${config.data.lexicon.join(', ')})`);
  const merged = Lexicon.merge(parts, `en-${lang}`);
  if (merged.size === 0) throw new RangeError(`the EN→${lang} lexicon is empty`);
  return merged;
}

/** One test recipe, split into folds: per fold its evaluation sets and its training bitext. */
export interface TestSource {
  foldTests(k: number): { testUnits: string[]; sets: Map<Scenario, EvalSet>; train: BitextPair[] };
  /** Every unit as one CLIR set (used as the out-of-domain test). */
  allClir(): EvalSet;
  /** All parallel pairs of the recipe (bitext source when another recipe is the test). */
  allPairs(): BitextPair[];
}

function clirEvalSet(topics: Topic[], collection: Doc[], qrels: Qrel[], scenario: Scenario): EvalSet {
  return { scenario, topics, collection, qrels, exclude: new Map() };
}

async function udhrSource(config: CompareConfig, sources: SourceRecord[], progress: Progress): Promise<TestSource> {
  // UDHR per language with the same article folds (the assignment depends only on English article numbers and the seed).
  const udhr = new Map<string, Awaited<ReturnType<typeof buildUdhr>>>();
  const folds = config.data.test === 'udhr' ? config.data.folds : 1;
  for (const lang of config.languages) {
    progress.log(`udhr ${lang}: ${folds >= 2 ? `${folds} folds by article` : 'all articles held out'}`);
    const u = await buildUdhr({ lang, folds: folds >= 2 ? folds : undefined, seed: DATA_SEED });
    udhr.set(lang, u);
    sources.push(...u.manifest.sources);
  }
  const en = readUdhrDeclaration('eng');
  const decls = new Map<string, ReturnType<typeof readUdhrDeclaration>>();
  for (const lang of config.languages) decls.set(lang, readUdhrDeclaration(udhr.get(lang)!.lang.code));
  const allArticles = [...en.articles.keys()].sort((a, b) => a - b);
  const unitsOf = (articles: number[]): HeldOutUnit[] => {
    const units: HeldOutUnit[] = [];
    for (const n of articles) {
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
    return units;
  };
  return {
    foldTests(k) {
      const articles = folds === 1 ? allArticles : udhr.get(config.languages[0])!.folds[k].testUnits.map(Number);
      const train = folds === 1 ? [] : config.languages.flatMap((lang) => udhr.get(lang)!.folds[k].train.map((p) => ({ ...p, tgtLang: lang })));
      return { testUnits: articles.map(String), sets: buildEvalSets(unitsOf(articles), config.languages, config.scenarios), train };
    },
    allClir() {
      return buildEvalSets(unitsOf(allArticles), config.languages.slice(0, 1), ['clir']).get('clir')!;
    },
    allPairs() {
      return config.languages.flatMap((lang) => udhr.get(lang)!.pairs.map((p) => ({ ...p, tgtLang: lang })));
    },
  };
}

/** Help sets already built in this process (parsing 2,561 pages per language takes seconds; sweeps build the same set once per compare). */
const libreOfficeBuilds = new Map<string, Promise<Awaited<ReturnType<typeof buildLibreOfficeHelp>>>>();

function cachedLibreOfficeHelp(lang: string, folds: number, progress: Progress): ReturnType<typeof buildLibreOfficeHelp> {
  const key = `${lang}\u0000${folds}`;
  let build = libreOfficeBuilds.get(key);
  if (!build) {
    build = buildLibreOfficeHelp({ lang, folds, seed: DATA_SEED, progress });
    // A failed build (e.g. a missing package) is not kept: the next call tries again.
    build.catch(() => libreOfficeBuilds.delete(key));
    libreOfficeBuilds.set(key, build);
  }
  return build;
}

async function libreOfficeSource(config: CompareConfig, sources: SourceRecord[], progress: Progress): Promise<TestSource> {
  const lang = config.languages[0];
  const folds = config.data.test === 'libreoffice' ? config.data.folds : 1;
  progress.log(`libreoffice-help ${lang}: ${folds >= 2 ? `${folds} folds by page title` : 'all pages held out'}`);
  const lo = await cachedLibreOfficeHelp(lang, folds >= 2 ? folds : 1, progress);
  sources.push(...lo.manifest.sources);
  const tag = (pairs: BitextPair[]) => pairs.map((p) => ({ ...p, tgtLang: lang }));
  const relang = (docs: Doc[]) => docs.map((d) => ({ ...d, lang }));
  return {
    foldTests(k) {
      if (folds === 1) {
        return { testUnits: [...new Set(lo.clir.topics.map((t) => t.text))], sets: new Map([['clir', clirEvalSet(lo.clir.topics, relang(lo.clir.collection), lo.clir.qrels, 'clir')]]), train: [] };
      }
      const f = lo.folds[k];
      return { testUnits: f.testUnits, sets: new Map([['clir', clirEvalSet(f.test.topics, relang(f.test.collection), f.test.qrels, 'clir')]]), train: tag(f.train) };
    },
    allClir() {
      return clirEvalSet(lo.clir.topics, relang(lo.clir.collection), lo.clir.qrels, 'shift');
    },
    allPairs() {
      return tag(lo.pairs);
    },
  };
}

/**
 * A test recipe of a config split as the compare splits it (same folds, same DATA_SEED): also used
 * by the pre-training corpus (src/train/pretrain/corpus.ts) to keep the same held-out units out.
 */
export function testSource(name: 'udhr' | 'libreoffice', config: CompareConfig, sources: SourceRecord[], progress: Progress): Promise<TestSource> {
  return name === 'udhr' ? udhrSource(config, sources, progress) : libreOfficeSource(config, sources, progress);
}

/** Builds the data of a compare. */
export async function prepareExperimentData(config: CompareConfig, hooks: DataHooks): Promise<ExperimentData> {
  const progress = hooks.progress ?? silentProgress;
  const notes: string[] = [];
  const sources: SourceRecord[] = [];
  const counts: Record<string, number> = {};

  const lexicons = new Map<string, Lexicon>();
  for (const lang of config.languages) {
    progress.log(`lexicon en→${lang}`);
    const lex = await buildMergedLexicon(lang, config, notes, sources, progress);
    lexicons.set(lang, lex);
    counts[`lexicon.${lang}.pairs`] = lex.size;
    counts[`lexicon.${lang}.headwords`] = lex.headwords;
  }

  const makeSource = (name: 'udhr' | 'libreoffice') => testSource(name, config, sources, progress);
  const test = await makeSource(config.data.test);
  let shift: EvalSet | undefined;
  let shiftSource: TestSource | undefined;
  if (config.data.shiftTest) {
    shiftSource = await makeSource(config.data.shiftTest);
    shift = { ...shiftSource.allClir(), scenario: 'shift' };
    counts['shift.topics'] = shift.topics.length;
    counts['shift.documents'] = shift.collection.length;
  }
  const cldrPairs = new Map<string, BitextPair[]>();
  if (config.data.bitext.includes('cldr')) {
    for (const lang of config.languages) {
      const c = await buildCldr({ lang });
      cldrPairs.set(lang, c.pairs.map((p) => ({ ...p, tgtLang: lang })));
      counts[`cldr.${lang}.pairs`] = c.pairs.length;
    }
  }
  let otherPairs: BitextPair[] = [];
  if (config.data.bitext.includes('libreoffice') && config.data.test !== 'libreoffice') {
    otherPairs = (shiftSource && config.data.shiftTest === 'libreoffice' ? shiftSource : await libreOfficeSource(config, sources, progress)).allPairs();
  }

  const evalFolds = evalFoldNumbers(config);
  const folds: FoldData[] = [];
  for (const k of evalFolds) {
    const ft = test.foldTests(k);
    const sets = ft.sets;
    if (shift) sets.set('shift', shift);
    let candidates: BitextPair[] = [];
    if (config.data.bitext.includes('test-train')) candidates.push(...ft.train);
    for (const lang of config.languages) candidates.push(...(cldrPairs.get(lang) ?? []));
    candidates.push(...otherPairs);
    // Every held-out text in every scenario (the domain-shift test included) is banned from training.
    const banned = [...sets.values()].flatMap((s) => [...s.topics.map((t) => t.text), ...s.collection.map((d) => d.text)]);
    const { kept, dropped } = dropLeakage(candidates, { topics: [], collection: [], qrels: [] }, banned);
    candidates = new Rng(`${DATA_SEED}:bitext:${k}`).shuffle(kept).slice(0, config.data.maxBitext);
    if (candidates.length === 0) throw new RangeError(`fold ${k}: no training bitext left (data.bitext = ${config.data.bitext.join(', ')})`);
    folds.push({ fold: k, testUnits: ft.testUnits, bitext: candidates, leakageDropped: dropped, sets });
    counts[`fold${k}.bitext`] = candidates.length;
    counts[`fold${k}.leakageDropped`] = dropped;
    for (const [name, s] of sets) {
      if (name === 'shift') continue;
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

  // Vocabulary: English training text plus fold-independent target text (CLDR phrases, lexicon
  // entries). Training folds of the test recipe count only when a single fold is evaluated: with
  // cross-validation, one fold's training units are another fold's test units.
  const vocabularyTexts: string[] = englishPairs.flatMap((p) => [p.query, p.doc]);
  for (const [, pairs] of cldrPairs) for (const p of pairs) vocabularyTexts.push(p.src, p.tgt);
  // With one evaluated fold, that fold's training bitext is training text for every model too.
  if (folds.length === 1) for (const p of folds[0].bitext) vocabularyTexts.push(p.src, p.tgt);
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
