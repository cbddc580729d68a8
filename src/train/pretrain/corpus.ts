/**
 * The pre-training corpus of `optical pretrain`, built only from offline sources and never from test
 * text:
 *   sotu        English State of the Union passages (5 sentences; optionally code-switched)
 *   cldr        CLDR phrases of the target languages, both sides
 *   lexicon     target-language entries of the EN→X lexicons (CLDR words, FreeDict), lines of N entries
 *   libreoffice help paragraph pairs (both sides) of pages that no evaluated fold tests
 *   udhr        target-language UDHR paragraph pairs of articles that no evaluated fold tests
 *   udhr-other  UDHR declarations of languages that are neither target languages nor English
 *
 * Test text is kept out in two independent ways. By unit: the test recipe is split exactly as a
 * compare splits it (testSource, same folds and DATA_SEED), and its text enters only from the
 * training pairs of EVERY evaluated fold (so a unit tested by any fold never enters; with
 * evalFolds 'all' none does); the shift-test recipe never enters. By text: every held-out query,
 * document and document paragraph of every evaluated fold and of the shift test is banned, and a
 * corpus line equal to one (case/space-insensitive, src/data/split.ts textKey) is dropped and
 * counted. The units that did enter are listed, so a compare that uses the encoder can prove its own
 * test units are not among them (src/compare/pretrained.ts).
 *
 * Code-switching (codeSwitch.p > 0) rewrites the English SOTU passages in place with the lexicons
 * (src/codeswitch, bl or ml), so encoders built with different p differ only in that; the measured
 * frequencies (switched English tokens / English tokens, and / all corpus tokens) are reported.
 */
import { buildCldr } from '../../data/cldr.js';
import { buildSotu } from '../../data/sotu.js';
import { libreOfficeHelpAvailable } from '../../data/libreoffice-help.js';
import { readUdhrDeclaration, resolveUdhrLanguage, udhrLanguages } from '../../data/udhr.js';
import { textKey } from '../../data/split.js';
import { sha256 } from '../../data/formats.js';
import { tokenize } from '../../data/tokenize.js';
import { silentProgress, type Progress } from '../../data/progress.js';
import type { SourceRecord } from '../../data/manifest.js';
import type { BitextPair } from '../../data/types.js';
import type { Lexicon } from '../../data/lexicon.js';
import { codeSwitch, type CodeSwitchResult } from '../../codeswitch/codeswitch.js';
import { switchStats } from '../../codeswitch/measures.js';
import { Rng } from '../../random/rng.js';
import { validateCompareConfig, type CompareConfig } from '../../compare/config.js';
import { buildMergedLexicon, DATA_SEED, testSource, type TestSource } from '../../compare/experiment-data.js';
import { evalFoldNumbers } from '../../compare/units.js';
import type { PretrainConfig } from './config.js';

export interface SourceCount {
  lines: number;
  tokens: number;
  sha256: string;
}

export interface CorpusCodeSwitch {
  p: number;
  scheme: 'bl' | 'ml';
  lexicons: string[];
  englishTokens: number;
  switchedTokens: number;
  /** Switched English tokens / English (SOTU) tokens: the token-level CS frequency of the English text. */
  csFrequency: number;
  /** Switched tokens / all corpus tokens. */
  corpusCsFrequency: number;
  /** Switched tokens / tokens the lexicons could switch (≈ p). */
  replacementRate: number;
}

export interface PretrainCorpus {
  lines: string[];
  sha256: string;
  tokens: number;
  bySource: Record<string, SourceCount>;
  codeSwitch: CorpusCodeSwitch;
  /** Units of the target languages' test recipes whose text entered (UDHR article numbers, help page titles). */
  includedUnits: { udhr: string[]; libreoffice: string[] };
  /** UDHR file codes of the other languages' declarations that entered. */
  udhrOther: string[];
  /** Lines dropped because they equal a held-out text (after the unit rule; normally 0). */
  heldOutDropped: number;
  /** Held-out texts the corpus was checked against. */
  heldOutTexts: number;
  sources: SourceRecord[];
  notes: string[];
}

export interface CorpusHooks {
  progress?: Progress;
}

/** The compare config whose test (and shift) sets the corpus must stay out of. */
export function heldOutConfig(c: PretrainConfig): CompareConfig {
  const h = c.heldOut;
  return validateCompareConfig({
    name: 'pretrain-held-out', languages: c.languages,
    data: { test: h.test, folds: h.folds, evalFolds: h.evalFolds, ...(h.shiftTest ? { shiftTest: h.shiftTest } : {}), bitext: ['cldr'], lexicon: c.corpus.lexicon },
    methods: [{ name: 'bm25', kind: 'bm25' }], seeds: [0],
    // The multilingual scenarios add every language's held-out paragraphs (English included) to the banned texts.
    scenarios: h.test === 'libreoffice' ? ['clir'] : ['clir', 'mlir', 'moir'],
  }, `${c.name}: heldOut`);
}

/** Every held-out text of a set: topics, documents and each paragraph of a document. */
function heldOutKeys(sets: Iterable<{ topics: { text: string }[]; collection: { text: string }[] }>, into: Set<string>): void {
  for (const s of sets) {
    for (const t of s.topics) into.add(textKey(t.text));
    for (const d of s.collection) {
      into.add(textKey(d.text));
      for (const para of d.text.split('\n')) if (para.trim()) into.add(textKey(para));
    }
  }
}

/** Pairs present in the training bitext of every evaluated fold (by text), and the units of those folds' tests. */
function trainingOfEveryEvaluatedFold(source: TestSource, folds: number[], allFolds: number): { pairs: BitextPair[]; testUnits: Set<string>; allUnits: Set<string> } {
  const allUnits = new Set<string>();
  const testUnits = new Set<string>();
  let common = null as Map<string, BitextPair> | null;
  for (let k = 0; k < allFolds; k++) {
    const ft = source.foldTests(k);
    for (const u of ft.testUnits) allUnits.add(u);
    if (!folds.includes(k)) continue;
    for (const u of ft.testUnits) testUnits.add(u);
    const here = new Map(ft.train.map((p) => [`${p.tgtLang}\u0000${textKey(p.src)}\u0000${textKey(p.tgt)}`, p]));
    common = common === null ? here : new Map([...common.entries()].filter((e) => here.has(e[0])));
  }
  return { pairs: [...(common ?? new Map()).values()], testUnits, allUnits };
}

export async function buildPretrainCorpus(config: PretrainConfig, hooks: CorpusHooks = {}): Promise<PretrainCorpus> {
  const progress = hooks.progress ?? silentProgress;
  const sources: SourceRecord[] = [];
  const notes: string[] = [];
  const want = new Set(config.corpus.sources);
  const held = heldOutConfig(config);
  const evalFolds = evalFoldNumbers(held);

  // Held-out texts of the test recipe's evaluated folds and of the shift test.
  const banned = new Set<string>();
  const heldOutQueries: string[] = [];
  const test = await testSource(held.data.test, held, sources, progress);
  for (const k of evalFolds) {
    const sets = [...test.foldTests(k).sets.values()];
    heldOutKeys(sets, banned);
    for (const s of sets) heldOutQueries.push(...s.topics.map((t) => t.text));
  }
  let shift: TestSource | undefined;
  if (held.data.shiftTest) {
    shift = await testSource(held.data.shiftTest, held, sources, progress);
    const set = shift.allClir();
    heldOutKeys([set], banned);
    heldOutQueries.push(...set.topics.map((t) => t.text));
  }
  progress.log(`held out: ${banned.size} distinct test texts (test ${held.data.test}, folds ${evalFolds.join(',')}${held.data.shiftTest ? `, shift ${held.data.shiftTest}` : ''})`);

  const parts: { name: string; lines: string[] }[] = [];
  const includedUnits = { udhr: [] as string[], libreoffice: [] as string[] };
  let codeSwitched: CodeSwitchResult[] = [];
  const lexicons = new Map<string, Lexicon>();
  const needLexicons = want.has('lexicon') || config.codeSwitch.p > 0;
  if (needLexicons) {
    for (const lang of config.languages) lexicons.set(lang, await buildMergedLexicon(lang, { data: { lexicon: config.corpus.lexicon } }, notes, sources, progress));
  }

  if (want.has('sotu') && config.corpus.sotuPassages > 0) {
    progress.log(`sotu: ${config.corpus.sotuPassages} passages`);
    const sotu = await buildSotu({ seed: DATA_SEED, exclude: heldOutQueries, keepProbability: 1 });
    sources.push(...sotu.manifest.sources);
    const seen = new Set<string>();
    const passages: string[] = [];
    for (const p of sotu.pairs) {
      const k = textKey(p.tgt);
      if (seen.has(k)) continue;
      seen.add(k);
      passages.push(p.tgt);
    }
    const chosen = new Rng(`pretrain-sotu:${DATA_SEED}`).shuffle(passages).slice(0, config.corpus.sotuPassages);
    const cs = config.codeSwitch;
    const csLangs = cs.lexicons ?? (cs.scheme === 'bl' ? config.languages.slice(0, 1) : config.languages);
    const rng = new Rng(`pretrain-cs:${config.train.seed}`);
    // p = 0 leaves the text as it is (no lexicon needed); the English tokens are still counted.
    codeSwitched = chosen.map((text) => (cs.p > 0
      ? codeSwitch(text, { mode: cs.scheme, lexicons: csLangs.map((l) => lexicons.get(l)!), p: cs.p, seed: rng })
      : { src: text, tgt: text, srcTokens: tokenize(text).length, tgtTokens: 0, eligibleTokens: 0, replacements: [] } as unknown as CodeSwitchResult));
    parts.push({ name: 'sotu', lines: codeSwitched.map((r) => r.tgt) });
  }
  for (const lang of config.languages) {
    if (want.has('cldr')) {
      const c = await buildCldr({ lang });
      sources.push(...c.manifest.sources);
      parts.push({ name: `cldr.${lang}`, lines: c.pairs.flatMap((p) => [p.src, p.tgt]) });
    }
    if (want.has('lexicon')) {
      const entries = [...new Set(lexicons.get(lang)!.toPairs().map((p) => p.tgt))];
      const shuffled = new Rng(`pretrain-lexicon:${lang}`).shuffle(entries);
      const lines: string[] = [];
      for (let i = 0; i < shuffled.length; i += config.corpus.lexiconLine) lines.push(shuffled.slice(i, i + config.corpus.lexiconLine).join(' '));
      parts.push({ name: `lexicon.${lang}`, lines });
    }
  }
  // The target languages' test recipes: training units of every evaluated fold only, never the shift test.
  for (const recipe of ['libreoffice', 'udhr'] as const) {
    if (!want.has(recipe)) continue;
    let pairs: BitextPair[] = [];
    if (recipe === held.data.shiftTest) {
      notes.push(`${recipe}: the shift test recipe; none of its text enters the corpus.`);
    } else if (recipe === held.data.test) {
      if (held.data.folds === 1) notes.push(`${recipe}: folds = 1 makes every unit a test unit; none enters the corpus.`);
      else {
        const t = trainingOfEveryEvaluatedFold(test, evalFolds, held.data.folds);
        pairs = t.pairs;
        includedUnits[recipe] = [...t.allUnits].filter((u) => !t.testUnits.has(u)).sort();
        if (pairs.length === 0) notes.push(`${recipe}: every unit is tested by an evaluated fold (evalFolds ${JSON.stringify(held.data.evalFolds)}); none enters the corpus.`);
      }
    } else if (recipe === 'libreoffice' && !libreOfficeHelpAvailable(config.languages[0])) {
      notes.push(`libreoffice: the help packages for '${config.languages[0]}' are not installed here (optical data libreoffice-help --lang ${config.languages[0]} fetches them); skipped.`);
    } else {
      // Neither test nor shift here: all of it may enter (a compare testing on it will refuse the encoder).
      const other = await testSource(recipe, { ...held, data: { ...held.data, test: recipe, folds: 1, shiftTest: undefined } }, sources, progress);
      pairs = other.allPairs();
      const all = other.foldTests(0).testUnits;
      includedUnits[recipe] = [...all].sort();
    }
    parts.push({ name: recipe, lines: pairs.flatMap((p) => [p.src, p.tgt]) });
  }
  const udhrOther: string[] = [];
  if (want.has('udhr-other') && config.corpus.udhrLanguages > 0) {
    const targets = await Promise.all(config.languages.map((l) => resolveUdhrLanguage(l).catch(() => null)));
    const targetIso = new Set(targets.filter((t) => t !== null).flatMap((t) => [t.iso6393, t.code, t.bcp47.split('-')[0]]));
    const candidates = (await udhrLanguages())
      .filter((l) => l.iso6393 !== 'eng' && !l.code.startsWith('eng') && !targetIso.has(l.iso6393) && !targetIso.has(l.code) && !targetIso.has(l.bcp47.split('-')[0]))
      .sort((a, b) => a.code.localeCompare(b.code));
    const lines: string[] = [];
    for (const lang of new Rng(`pretrain-udhr-other:${DATA_SEED}`).shuffle(candidates)) {
      if (udhrOther.length >= config.corpus.udhrLanguages) break;
      let decl;
      try {
        decl = readUdhrDeclaration(lang.code);
      } catch {
        continue;
      }
      // Complete declarations only (30 articles): partial files often fill gaps with English.
      if (decl.articles.size < 30) continue;
      udhrOther.push(lang.code);
      lines.push(...decl.preamble, ...[...decl.articles.values()].flat());
    }
    parts.push({ name: 'udhr-other', lines });
  }

  // One corpus: distinct lines, held-out texts dropped.
  const seen = new Set<string>();
  const lines: string[] = [];
  const bySource: Record<string, SourceCount> = {};
  let heldOutDropped = 0;
  let tokens = 0;
  for (const part of parts) {
    const kept: string[] = [];
    let partTokens = 0;
    for (const raw of part.lines) {
      const line = raw.replace(/\s+/g, ' ').trim();
      if (!line) continue;
      const key = textKey(line);
      if (banned.has(key)) { heldOutDropped++; continue; }
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(line);
      partTokens += tokenize(line).length;
    }
    lines.push(...kept);
    tokens += partTokens;
    bySource[part.name] = { lines: kept.length, tokens: partTokens, sha256: sha256(kept.join('\n')) };
  }
  if (lines.length === 0) throw new RangeError(`${config.name}: the pre-training corpus is empty (corpus.sources = ${config.corpus.sources.join(', ')})`);
  const stats = switchStats(codeSwitched);
  const cs = config.codeSwitch;
  progress.log(`corpus: ${lines.length} lines, ${tokens} tokens; CS frequency ${(stats.switchRate * 100).toFixed(2)} % of English tokens`);
  return {
    lines, sha256: sha256(lines.join('\n')), tokens, bySource,
    codeSwitch: {
      p: cs.p, scheme: cs.scheme, lexicons: cs.lexicons ?? (cs.scheme === 'bl' ? config.languages.slice(0, 1) : config.languages),
      englishTokens: stats.tokens, switchedTokens: stats.switchedTokens, csFrequency: stats.switchRate,
      corpusCsFrequency: tokens ? stats.switchedTokens / tokens : 0, replacementRate: stats.replacementRate,
    },
    includedUnits, udhrOther, heldOutDropped, heldOutTexts: banned.size, sources, notes,
  };
}
