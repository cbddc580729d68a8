/**
 * CLDR recipe (npm `cldr-*-full`): EN↔X short phrase bitext and single-word lexicon pairs.
 *
 * CLDR keys every string identically across locales, so walking the English and the target JSON in
 * parallel gives human translations (emoji names, language/territory/script names, units, month and
 * day names, currencies, time zones). Skipped, because they are not translations of text:
 * `{0}` patterns, date/number format patterns, abbreviated/narrow unit forms, emoji keyword lists
 * (the `default` arrays are unordered keyword sets, so index i in English is not index i in X),
 * and values equal to English (untranslated or proper names that carry no signal).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { npmPackageInfo, SourceHasher, writeManifest, type Manifest, type SourceRecord } from './manifest.js';
import { localeCandidates } from './locale.js';
import { silentProgress, type Progress } from './progress.js';
import { OutputWriter } from './recipe-output.js';
import { lexiconToTsv } from './formats.js';
import { normalizeTerm } from './tokenize.js';
import type { BitextPair, LexiconPair } from './types.js';

/** The packages read, and where the per-locale JSON files live inside each. */
export const CLDR_PACKAGES: ReadonlyArray<{ pkg: string; dir: string }> = [
  { pkg: 'cldr-annotations-full', dir: 'annotations' },
  { pkg: 'cldr-annotations-derived-full', dir: 'annotationsDerived' },
  { pkg: 'cldr-localenames-full', dir: 'main' },
  { pkg: 'cldr-units-full', dir: 'main' },
  { pkg: 'cldr-dates-full', dir: 'main' },
  { pkg: 'cldr-numbers-full', dir: 'main' },
];

/** Key-path segments whose subtrees are patterns or abbreviations rather than translatable text. */
const SKIP_KEYS = new Set([
  'identity', 'default', 'dateFormats', 'timeFormats', 'dateTimeFormats', 'dateTimeFormats-atTime', 'availableFormats',
  'intervalFormats', 'appendItems', 'dateSkeletons', 'timeSkeletons', 'short', 'narrow', 'gmtFormat', 'hourFormat',
  'regionFormat', 'fallbackFormat', 'gmtZeroFormat', 'localeDisplayPattern', 'codePatterns', 'symbol', 'symbol-alt-narrow',
  'symbol-alt-variant', 'symbol-alt-formal', 'eras', 'cyclicNameSets', 'monthPatterns',
]);
const SKIP_FILES = new Set(['numbers.json']);

export interface CldrOptions {
  lang: string;
  outDir?: string;
  progress?: Progress;
}

export interface CldrResult {
  /** The CLDR locale used (e.g. `sw`, `om`). */
  locale: string;
  /** Unique phrase pairs (first occurrence's key path as id). */
  pairs: BitextPair[];
  /** Single-word pairs, lower-cased; weight = number of CLDR keys that gave the pair. */
  lexicon: LexiconPair[];
  manifest: Manifest;
}

/** Picks the CLDR locale directory for a user code (sw, swh → sw; om, gax, gaz → om). */
export function resolveCldrLocale(lang: string): string {
  const { dir } = npmPackageInfo('cldr-localenames-full');
  for (const c of localeCandidates(lang)) if (existsSync(join(dir, 'main', c))) return c;
  throw new RangeError(`cldr: no CLDR locale for language '${lang}' (tried ${localeCandidates(lang).join(', ')})`);
}

/** Walks two CLDR JSON trees in parallel and yields `[path, en, x]` for aligned string leaves. */
export function* alignCldrTrees(en: unknown, x: unknown, path = ''): Generator<[string, string, string]> {
  if (typeof en === 'string' && typeof x === 'string') {
    yield [path, en, x];
    return;
  }
  if (!en || !x || typeof en !== 'object' || typeof x !== 'object') return;
  const xo = x as Record<string, unknown>;
  for (const [key, value] of Object.entries(en as Record<string, unknown>)) {
    if (SKIP_KEYS.has(key) || !(key in xo)) continue;
    yield* alignCldrTrees(value, xo[key], path ? `${path}/${key}` : key);
  }
}

/** True when a CLDR value is translatable text (has a letter, no `{0}` placeholder). */
export function isCldrText(value: string): boolean {
  return !value.includes('{') && /\p{L}/u.test(value);
}

/** The locale-independent body of a CLDR file (strips `main.<locale>` / `annotations` wrappers). */
function cldrBody(json: unknown, locale: string): unknown {
  const top = Object.values(json as Record<string, unknown>)[0] as Record<string, unknown>;
  if (top && typeof top === 'object') {
    if ('annotations' in top) return top.annotations;
    if (locale in top) return top[locale];
  }
  return top;
}

export async function buildCldr(opts: CldrOptions): Promise<CldrResult> {
  const progress = opts.progress ?? silentProgress;
  const locale = resolveCldrLocale(opts.lang);
  const seen = new Map<string, BitextPair>();
  const wordCounts = new Map<string, number>();
  const sources: SourceRecord[] = [];
  let skippedEqual = 0;
  for (const { pkg, dir } of CLDR_PACKAGES) {
    const info = npmPackageInfo(pkg);
    const hasher = new SourceHasher(pkg, 'npm', info.version, info.licence);
    const enDir = join(info.dir, dir, 'en');
    const xDir = join(info.dir, dir, locale);
    if (!existsSync(xDir)) {
      progress.log(`${pkg}: no ${locale} data`);
      continue;
    }
    for (const file of readdirSync(enDir).filter((f) => f.endsWith('.json') && !SKIP_FILES.has(f)).sort()) {
      if (!existsSync(join(xDir, file))) continue;
      const en = cldrBody(JSON.parse(hasher.read(join(enDir, file), `${dir}/en/${file}`)), 'en');
      const x = cldrBody(JSON.parse(hasher.read(join(xDir, file), `${dir}/${locale}/${file}`)), locale);
      for (const [path, e, t] of alignCldrTrees(en, x)) {
        if (!isCldrText(e) || !isCldrText(t)) continue;
        const es = e.trim();
        const ts = t.trim();
        if (es === ts) {
          skippedEqual++;
          continue;
        }
        const key = `${es}\t${ts}`;
        if (!seen.has(key)) {
          seen.set(key, { id: `cldr-${locale}:${pkg.replace(/^cldr-|-full$/g, '')}/${file.replace(/\.json$/, '')}/${path}`, src: es, tgt: ts, srcLang: 'en', tgtLang: locale, source: pkg });
        }
        const ew = normalizeTerm(es);
        const tw = normalizeTerm(ts);
        if (/^[\p{L}\p{M}'-]+$/u.test(ew) && /^[\p{L}\p{M}'-]+$/u.test(tw) && ew !== tw) {
          const lk = `${ew}\t${tw}`;
          wordCounts.set(lk, (wordCounts.get(lk) ?? 0) + 1);
        }
      }
    }
    sources.push(hasher.record());
    progress.log(`${pkg}: ${seen.size} phrase pairs so far`);
  }
  const pairs = [...seen.values()];
  const lexicon: LexiconPair[] = [...wordCounts.entries()]
    .map(([k, n]) => {
      const [src, tgt] = k.split('\t');
      return { src, tgt, weight: n };
    })
    .sort((a, b) => a.src.localeCompare(b.src) || b.weight - a.weight || a.tgt.localeCompare(b.tgt));
  const counts = {
    phrasePairs: pairs.length,
    lexiconPairs: lexicon.length,
    lexiconEnglishWords: new Set(lexicon.map((l) => l.src)).size,
    skippedEqualToEnglish: skippedEqual,
  };
  const manifest: Manifest = {
    recipe: 'cldr',
    createdAt: new Date().toISOString(),
    params: { lang: opts.lang, locale },
    sources,
    outputs: [],
    counts,
    notes: ['Phrase pairs are unique (en, x) strings; lexicon = single-word pairs, weight = number of CLDR keys giving the pair.'],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.bitext('bitext', pairs);
    w.text('lexicon.tsv', lexiconToTsv(lexicon), lexicon.length);
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  progress.done(`${pairs.length} phrase pairs, ${lexicon.length} single-word pairs`);
  return { locale, pairs, lexicon, manifest };
}
