/**
 * LibreOffice help recipe (Debian `libreoffice-help-en-us` + `libreoffice-help-<x>`): EN↔X paragraph
 * bitext and a CLIR set at real scale (Oromo: ~17k pairs, ~950 queries).
 *
 * Both languages are generated from the same sources, so elements carry the same stable ids
 * (`par_id…`, `hd_id…`); pairing by (page, id, occurrence) is exact. Untranslated paragraphs stay
 * English in the X pages: pairs whose EN/X token Jaccard is ≥ 0.3 are dropped, and such paragraphs
 * are also left out of X documents (otherwise English queries would match them verbatim).
 *
 * CLIR: query = English `<h1>` page title; documents = X pages (their translated paragraphs) whose
 * title and at least half of whose elements are translated; relevant = the pages carrying that title. Folds split by title (all pages of a title together),
 * and training pairs whose English or X text occurs anywhere on a test page are dropped, because
 * help pages share boilerplate paragraphs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { locateDebianPackage, type DebianPackage } from './debian.js';
import { findAll, parseHtml, textContent, type HtmlElement } from './html.js';
import { localeCandidates } from './locale.js';
import { SourceHasher, writeManifest, type Manifest } from './manifest.js';
import { silentProgress, type Progress } from './progress.js';
import { OutputWriter } from './recipe-output.js';
import { assignFolds, dropLeakage } from './split.js';
import { jaccard } from './tokenize.js';
import type { BitextPair, ClirSet, Doc, Fold, Qrel, Topic } from './types.js';

/** One id'd text element of a help page. */
export interface HelpElement {
  /** `par_id…#n` / `hd_id…#n`: the id plus its occurrence number on the page (ids can repeat). */
  key: string;
  tag: string;
  text: string;
}

export interface HelpPage {
  title: string;
  elements: HelpElement[];
}

const ID_RE = /^(par|hd)_id/;

/**
 * Platform variants are all `hidden` in the HTML and chosen by script at view time; keep the
 * `default…` variant (what Linux/Windows users see) and drop the others (MAC, …).
 */
function hiddenVariant(el: HtmlElement): boolean {
  return el.attrs.hidden !== undefined && !(el.attrs.id ?? '').startsWith('default');
}

/** Parses one help page: its `<h1>` title and every id'd paragraph/heading in order. */
export function parseHelpPage(html: string): HelpPage {
  const root = parseHtml(html);
  const elements: HelpElement[] = [];
  const seen = new Map<string, number>();
  let title = '';
  for (const el of findAll(root, (e) => ID_RE.test(e.attrs.id ?? '') && /^(p|h[1-6])$/.test(e.tag))) {
    const text = textContent(el, { skip: hiddenVariant });
    const id = el.attrs.id;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (!text) continue;
    if (el.tag === 'h1' && !title) title = text;
    elements.push({ key: `${id}#${n}`, tag: el.tag, text });
  }
  return { title, elements };
}

export interface LibreOfficeHelpOptions {
  lang: string;
  outDir?: string;
  /** Number of folds split by page title (default 5; 1 = no split; the full CLIR set is always built too). */
  folds?: number;
  seed?: number;
  /** Pairs with EN/X token Jaccard ≥ this are treated as untranslated (default 0.3). */
  maxJaccard?: number;
  /** A page enters the CLIR set when its title and at least this share of its elements are translated (default 0.5). */
  minTranslatedShare?: number;
  download?: boolean;
  progress?: Progress;
}

export interface LibreOfficeHelpResult {
  lang: string;
  packages: DebianPackage[];
  /** Unique translated paragraph pairs (first occurrence's page/id kept). */
  pairs: BitextPair[];
  /** Full CLIR set over all pages (overlaps `pairs`: train on folds). */
  clir: ClirSet;
  folds: Fold[];
  manifest: Manifest;
}

function listHtml(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Finds `libreoffice-help-<code>` and its help directory for a user language code. */
function locateHelp(lang: string, download: boolean): { pkg: DebianPackage; dir: string; code: string } {
  const tried: string[] = [];
  let lastError: Error | null = null;
  for (const c of localeCandidates(lang)) {
    const pkgName = `libreoffice-help-${c.toLowerCase()}`;
    if (tried.includes(pkgName)) continue;
    tried.push(pkgName);
    try {
      const pkg = locateDebianPackage(pkgName, { probe: `usr/share/libreoffice/help/${c}/text`, download });
      return { pkg, dir: join(pkg.root, 'usr/share/libreoffice/help', c, 'text'), code: c };
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error(`libreoffice-help: no package for language '${lang}'`);
}

export async function buildLibreOfficeHelp(opts: LibreOfficeHelpOptions): Promise<LibreOfficeHelpResult> {
  const progress = opts.progress ?? silentProgress;
  const download = opts.download ?? true;
  const maxJaccard = opts.maxJaccard ?? 0.3;
  const nFolds = opts.folds ?? 5;
  if (!Number.isInteger(nFolds) || nFolds < 1) throw new RangeError(`libreoffice-help: folds must be an integer >= 1 (1 = no split), got ${nFolds}`);
  const minShare = opts.minTranslatedShare ?? 0.5;
  if (!(minShare >= 0 && minShare <= 1)) throw new RangeError(`libreoffice-help: minTranslatedShare must be in [0, 1], got ${minShare}`);
  if (!(maxJaccard > 0 && maxJaccard <= 1)) throw new RangeError(`libreoffice-help: maxJaccard must be in (0, 1], got ${maxJaccard}`);
  const seed = opts.seed ?? 13;
  const enLoc = locateDebianPackage('libreoffice-help-en-us', { probe: 'usr/share/libreoffice/help/en-US/text', download });
  const enDir = join(enLoc.root, 'usr/share/libreoffice/help/en-US/text');
  const x = locateHelp(opts.lang, download);
  const enHash = new SourceHasher(enLoc.name, 'debian', enLoc.version, 'MPL-2.0');
  const xHash = new SourceHasher(x.pkg.name, 'debian', x.pkg.version, 'MPL-2.0');
  const files = listHtml(enDir).map((f) => relative(enDir, f));

  interface PageData { path: string; title: string; titleTranslated: boolean; en: HelpPage; x: HelpPage; translated: Array<[HelpElement, HelpElement]> }
  const pages: PageData[] = [];
  let missing = 0;
  let untranslated = 0;
  files.forEach((rel, i) => {
    const xPath = join(x.dir, rel);
    if (!existsSync(xPath)) {
      missing++;
      return;
    }
    const en = parseHelpPage(enHash.read(join(enDir, rel), rel));
    const xp = parseHelpPage(xHash.read(xPath, rel));
    const xByKey = new Map(xp.elements.map((e) => [e.key, e]));
    const translated: Array<[HelpElement, HelpElement]> = [];
    for (const e of en.elements) {
      const t = xByKey.get(e.key);
      if (!t) continue;
      if (jaccard(e.text, t.text) >= maxJaccard) {
        untranslated++;
        continue;
      }
      translated.push([e, t]);
    }
    const titleTranslated = en.title !== '' && xp.title !== '' && jaccard(en.title, xp.title) < maxJaccard;
    pages.push({ path: rel.replace(/\.html$/, ''), title: en.title, titleTranslated, en, x: xp, translated });
    progress.update(i + 1, files.length, 'pages');
  });
  progress.done(`${pages.length} page pairs read (${missing} pages missing in ${x.code})`);

  // Unique pairs, keeping the first page/id they occur at.
  const seen = new Map<string, BitextPair>();
  for (const p of pages) {
    for (const [e, t] of p.translated) {
      const k = `${e.text}\t${t.text}`;
      if (!seen.has(k)) seen.set(k, { id: `lo-${x.code}:${p.path}#${e.key}`, src: e.text, tgt: t.text, srcLang: 'en', tgtLang: x.code, source: 'libreoffice-help', page: p.path, title: p.title });
    }
  }
  const pairs = [...seen.values()];

  // Queries: unique English titles of translated pages — the title itself is translated and at least
  // `minTranslatedShare` of the page's elements are, so a document is X text, not leftover English.
  const docPages = pages.filter((p) => p.titleTranslated && p.translated.length >= minShare * p.en.elements.length);
  const titles = [...new Set(docPages.map((p) => p.title))].sort();
  const qidOf = new Map(titles.map((t, i) => [t, `lo-q${String(i + 1).padStart(4, '0')}`]));
  const build = (subset: PageData[]): ClirSet => {
    const topics: Topic[] = [];
    const collection: Doc[] = [];
    const qrels: Qrel[] = [];
    const tSeen = new Set<string>();
    for (const p of subset) {
      const docno = `lo:${p.path}`;
      collection.push({ docno, text: p.translated.map(([, t]) => t.text).join('\n'), lang: x.code });
      const qid = qidOf.get(p.title)!;
      if (!tSeen.has(qid)) {
        tSeen.add(qid);
        topics.push({ qid, text: p.title, lang: 'en' });
      }
      qrels.push({ qid, docno, rel: 1 });
    }
    topics.sort((a, b) => a.qid.localeCompare(b.qid));
    qrels.sort((a, b) => a.qid.localeCompare(b.qid) || a.docno.localeCompare(b.docno));
    return { topics, collection, qrels };
  };
  const clir = build(docPages);

  const folds: Fold[] = [];
  if (nFolds >= 2) {
    const assignment = assignFolds(titles, nFolds, `libreoffice-help:${seed}`);
    for (let k = 0; k < nFolds; k++) {
      const testPages = docPages.filter((p) => assignment.get(p.title) === k);
      const testSet = new Set(testPages.map((p) => p.path));
      const test = build(testPages);
      // Everything visible on a test page, translated or not, in both languages.
      const testTexts = testPages.flatMap((p) => [...p.en.elements.map((e) => e.text), ...p.x.elements.map((e) => e.text)]);
      const candidates = pairs.filter((pr) => !testSet.has(pr.page as string));
      const { kept } = dropLeakage(candidates, test, testTexts);
      folds.push({ fold: k, testUnits: [...new Set(testPages.map((p) => p.title))].sort(), train: kept, test });
      progress.log(`fold ${k}: ${test.topics.length} queries, ${test.collection.length} docs, ${kept.length} training pairs (${candidates.length - kept.length} dropped by the leakage filter)`);
    }
  }

  const counts: Record<string, number> = {
    pagesEnglish: files.length,
    pagesPaired: pages.length,
    pagesMissing: missing,
    elementPairsUntranslated: untranslated,
    uniquePairs: pairs.length,
    topics: clir.topics.length,
    documents: clir.collection.length,
    qrels: clir.qrels.length,
  };
  folds.forEach((f) => {
    counts[`fold${f.fold}.train`] = f.train.length;
    counts[`fold${f.fold}.topics`] = f.test.topics.length;
  });
  const manifest: Manifest = {
    recipe: 'libreoffice-help',
    createdAt: new Date().toISOString(),
    params: { lang: opts.lang, code: x.code, folds: nFolds, seed, maxJaccard, minTranslatedShare: minShare },
    sources: [enHash.record(), xHash.record()],
    outputs: [],
    counts,
    notes: [
      'bitext.* (all aligned pairs) overlaps clir/ (the full test set, for untrained baselines only); to train and test, use folds/<k>/train.* and folds/<k>/{topics,collection,qrels}.',
      `Pairs with EN/X token Jaccard >= ${maxJaccard} are treated as untranslated and dropped (also from documents).`,
      'Folds split by English page title; training pairs whose EN or X text occurs on any test page are dropped.',
    ],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.bitext('bitext', pairs);
    w.clir('clir', clir);
    w.folds(folds);
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  return { lang: x.code, packages: [enLoc, x.pkg], pairs, clir, folds, manifest };
}

/** True when both help packages are available without downloading (for tests and `--check`). */
export function libreOfficeHelpAvailable(lang: string): boolean {
  try {
    locateDebianPackage('libreoffice-help-en-us', { probe: 'usr/share/libreoffice/help/en-US/text', download: false });
    locateHelp(lang, false);
    return true;
  } catch {
    return false;
  }
}

