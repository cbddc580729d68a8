/**
 * FreeDict recipe (Debian `dict-freedict-*`): EN→X lexicon = eng-X forward ∪ X-eng reversed.
 *
 * Cleaning follows how FreeDict writes equivalents: lower-cased, parenthesised/bracketed glosses
 * dropped ("opponent (in games or sports)" → "opponent"), a leading "to " dropped from English verbs,
 * placeholder words "sth"/"sb" dropped. The lexicon is GPL-licensed data, so it is always a generated
 * file (written under --out, never committed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptPackageNames, cacheDir, locateDebianPackage, MissingDebianPackageError, type DebianPackage } from './debian.js';
import { readDictd, type DictdDictionary } from './dictd.js';
import { englishBaseForms } from './inflect.js';
import { Lexicon, lexiconCoverage, type Coverage } from './lexicon.js';
import { iso6393Candidates } from './locale.js';
import { SourceHasher, writeManifest, type Manifest, type SourceRecord } from './manifest.js';
import { silentProgress, type Progress } from './progress.js';
import { OutputWriter } from './recipe-output.js';
import { stopwordsFor } from './stopwords.js';
import { readUdhrDeclaration } from './udhr.js';

/** Cleans one FreeDict equivalent or headword; returns '' when nothing translatable is left. */
export function cleanFreedictTerm(text: string, english: boolean): string {
  let t = text.toLowerCase();
  // Remove bracketed glosses repeatedly (they can nest one level).
  for (let k = 0; k < 3; k++) t = t.replace(/\([^()]*\)|\[[^[\]]*\]|\{[^{}]*\}/g, ' ');
  t = t.replace(/[()[\]{}]/g, ' ').replace(/\s+/g, ' ').trim();
  if (english) {
    t = t.replace(/^to /, '');
    t = t.replace(/\b(sth|sb|smb|smth|s\.o\.|s\.th\.)(?=\s|$)/g, ' ').replace(/\s+/g, ' ').trim();
  }
  t = t.replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
  if (!/\p{L}/u.test(t)) return '';
  return t;
}

export interface FreedictOptions {
  lang: string;
  outDir?: string;
  /** Allow `apt-get download` when the packages are not installed (default true). */
  download?: boolean;
  progress?: Progress;
}

export interface FreedictResult {
  lexicon: Lexicon;
  /** Packages actually used (one or both directions). */
  packages: DebianPackage[];
  /** Coverage of the English UDHR content words (stopwords removed). */
  udhrCoverage: Coverage;
  manifest: Manifest;
}

interface Direction {
  pkg: string;
  file: string;
  forward: boolean;
}

function loadDirection(d: Direction, download: boolean): { pkg: DebianPackage; dict: DictdDictionary; source: SourceRecord } {
  const rel = `usr/share/dictd/${d.file}`;
  const pkg = locateDebianPackage(d.pkg, { probe: `${rel}.index`, download });
  const hasher = new SourceHasher(d.pkg, 'debian', pkg.version, 'GPL-2+');
  const indexText = hasher.read(join(pkg.root, `${rel}.index`), `${rel}.index`);
  const body = readFileSync(join(pkg.root, `${rel}.dict.dz`));
  hasher.add(`${rel}.dict.dz`, body);
  return { pkg, dict: readDictd(indexText, body, d.file), source: hasher.record() };
}

/**
 * Why no FreeDict lexicon could be built, and what to do. Only packages apt actually knows are
 * suggested: `known` is the list of `dict-freedict-*` names (null when apt-cache is unavailable).
 */
export function freedictUnavailableMessage(lang: string, tried: readonly string[], lastDetail: string, known: readonly string[] | null, download: boolean): string {
  const fallback = `Languages without a dictionary can use 'optical lexicon build --from cldr,induce:BITEXT'.`;
  const head = `freedict: no FreeDict dictionary between English and '${lang}' is available (tried ${tried.join(', ')})`;
  if (known === null) {
    return `${head}. apt-cache is not available here, so the existing FreeDict dictionaries cannot be listed: ` +
      `see the Debian package index (https://packages.debian.org/search?keywords=dict-freedict). ${fallback}`;
  }
  const existing = tried.filter((p) => known.includes(p));
  if (existing.length > 0) {
    const p = existing[0];
    return `${head}; last error: ${lastDetail}. Install it with 'sudo apt-get install ${p}' or, without root, ` +
      `'apt-get download ${p} && dpkg -x ${p}_*.deb ${join(cacheDir(), 'debian', p)}'${download ? '' : ' (or allow downloads)'}. ${fallback}`;
  }
  if (known.length === 0) {
    return `${head}, and apt knows no dict-freedict-* package at all: its package lists are missing (run 'sudo apt-get update'). ${fallback}`;
  }
  const withEnglish = new Set<string>();
  for (const name of known) {
    const m = /^dict-freedict-([a-z]{3})-([a-z]{3})$/.exec(name);
    if (m && m[1] === 'eng' && m[2] !== 'eng') withEnglish.add(m[2]);
    if (m && m[2] === 'eng' && m[1] !== 'eng') withEnglish.add(m[1]);
  }
  return `${head}: Debian has no such package. FreeDict dictionaries with English that apt knows (${withEnglish.size} languages, ` +
    `ISO 639-3 codes usable as --lang): ${[...withEnglish].sort().join(', ')}. ${fallback}`;
}

export async function buildFreedict(opts: FreedictOptions): Promise<FreedictResult> {
  const progress = opts.progress ?? silentProgress;
  const download = opts.download ?? true;
  const isos = iso6393Candidates(opts.lang).filter((c) => c !== 'eng');
  if (isos.length === 0) throw new RangeError(`freedict: cannot map language '${opts.lang}' to an ISO 639-3 code; pass the three-letter code (e.g. swh)`);
  const lexicon = new Lexicon('en', opts.lang, 'freedict');
  const packages: DebianPackage[] = [];
  const sources: SourceRecord[] = [];
  const failures: string[] = [];
  let lastDetail = '';
  const counts: Record<string, number> = {};
  for (const iso of isos) {
    const dirs: Direction[] = [
      { pkg: `dict-freedict-eng-${iso}`, file: `freedict-eng-${iso}`, forward: true },
      { pkg: `dict-freedict-${iso}-eng`, file: `freedict-${iso}-eng`, forward: false },
    ];
    for (const d of dirs) {
      // Prefer files already on disk (installed package) before trying apt.
      let loaded;
      try {
        loaded = loadDirection(d, download && !existsSync(`/usr/share/dictd/${d.file}.index`));
      } catch (err) {
        if (err instanceof MissingDebianPackageError) {
          failures.push(d.pkg);
          lastDetail = err.detail;
          continue;
        }
        throw err;
      }
      progress.log(`${d.pkg} ${loaded.pkg.version} (${loaded.pkg.origin}): ${loaded.dict.entries.length} entries`);
      packages.push(loaded.pkg);
      sources.push(loaded.source);
      let added = 0;
      for (const entry of loaded.dict.entries) {
        for (const head of entry.headwords) {
          const h = cleanFreedictTerm(head, d.forward);
          if (!h) continue;
          for (const sense of entry.senses) {
            for (const eq of sense) {
              const t = cleanFreedictTerm(eq, !d.forward);
              if (!t) continue;
              if (d.forward) lexicon.add(h, t, 1, d.pkg);
              else lexicon.add(t, h, 1, d.pkg);
              added++;
            }
          }
        }
      }
      counts[`${d.pkg}.pairs`] = added;
    }
    if (packages.length > 0) break;
  }
  if (packages.length === 0) {
    const message = freedictUnavailableMessage(opts.lang, failures, lastDetail, aptPackageNames('dict-freedict-'), download);
    throw new MissingDebianPackageError(failures[0], lastDetail, message);
  }
  lexicon.normalize();
  const en = readUdhrDeclaration('eng');
  const udhrText = [...en.preamble, ...[...en.articles.values()].flat()].join('\n');
  const udhrCoverage = lexiconCoverage(udhrText, lexicon, stopwordsFor('en'));
  // FreeDict lists lemmas; with English base forms ("rights" → "right") far more running text is covered.
  const udhrCoverageBaseForms = lexiconCoverage(udhrText, lexicon, stopwordsFor('en'), englishBaseForms);
  Object.assign(counts, {
    pairs: lexicon.size,
    englishHeadwords: lexicon.headwords,
    udhrContentTokens: udhrCoverage.tokens,
    udhrContentTokensCovered: udhrCoverage.coveredTokens,
    udhrContentTypes: udhrCoverage.types,
    udhrContentTypesCovered: udhrCoverage.coveredTypes,
    udhrContentTokensCoveredWithBaseForms: udhrCoverageBaseForms.coveredTokens,
    udhrContentTypesCoveredWithBaseForms: udhrCoverageBaseForms.coveredTypes,
  });
  const manifest: Manifest = {
    recipe: 'freedict',
    createdAt: new Date().toISOString(),
    params: { lang: opts.lang, download },
    sources,
    outputs: [],
    counts,
    notes: [
      'EN→X lexicon = eng-X forward ∪ X-eng reversed; weights = attestations, normalised per English headword.',
      'FreeDict data is GPL-2+: keep lexicon.tsv as a generated file, do not commit it.',
      `UDHR English content-word coverage: tokens ${(udhrCoverage.tokenCoverage * 100).toFixed(1)}%, types ${(udhrCoverage.typeCoverage * 100).toFixed(1)}%; ` +
        `with English base forms: tokens ${(udhrCoverageBaseForms.tokenCoverage * 100).toFixed(1)}%, types ${(udhrCoverageBaseForms.typeCoverage * 100).toFixed(1)}%.`,
    ],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.text('lexicon.tsv', lexicon.toTsv(), lexicon.size);
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  progress.done(`${lexicon.size} pairs over ${lexicon.headwords} English headwords`);
  return { lexicon, packages, udhrCoverage, manifest };
}
