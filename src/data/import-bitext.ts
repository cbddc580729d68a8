/**
 * Brings user bitext (Moses file pair, TSV, JSONL) into the standard bitext files with a manifest,
 * so own data gets the same provenance record as the built-in recipes.
 */
import { basename } from 'node:path';
import { SourceHasher, writeManifest, type Manifest } from './manifest.js';
import { parseJsonlBitext, parseMosesBitext, parseTsvBitext } from './readers.js';
import { OutputWriter } from './recipe-output.js';
import type { BitextPair } from './types.js';

export interface ImportBitextOptions {
  /** Exactly one of moses / tsv / jsonl. */
  moses?: [string, string];
  tsv?: string;
  jsonl?: string;
  srcLang?: string;
  tgtLang: string;
  /** Drop repeated (src, tgt) pairs (default true). */
  dedupe?: boolean;
  outDir?: string;
}

export function importBitext(opts: ImportBitextOptions): { pairs: BitextPair[]; manifest: Manifest } {
  const given = [opts.moses, opts.tsv, opts.jsonl].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TypeError(`importBitext: give exactly one of moses, tsv, jsonl (got ${given})`);
  const srcLang = opts.srcLang ?? 'en';
  const hasher = new SourceHasher('user files', 'file', 'n/a');
  let pairs: BitextPair[];
  let files: string[];
  if (opts.moses) {
    const [a, b] = opts.moses;
    files = [a, b];
    pairs = parseMosesBitext(hasher.read(a, basename(a)), hasher.read(b, basename(b)), { srcLang, tgtLang: opts.tgtLang, name: basename(a).replace(/\.[^.]+$/, ''), file: `${a} + ${b}` });
  } else if (opts.tsv) {
    files = [opts.tsv];
    pairs = parseTsvBitext(hasher.read(opts.tsv, basename(opts.tsv)), { srcLang, tgtLang: opts.tgtLang, name: basename(opts.tsv), file: opts.tsv });
  } else {
    const path = opts.jsonl!;
    files = [path];
    pairs = parseJsonlBitext(hasher.read(path, basename(path)), { srcLang, tgtLang: opts.tgtLang, name: basename(path), file: path });
  }
  const read = pairs.length;
  if (opts.dedupe ?? true) {
    const seen = new Set<string>();
    pairs = pairs.filter((p) => {
      const k = `${p.src}\t${p.tgt}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  const manifest: Manifest = {
    recipe: 'import',
    createdAt: new Date().toISOString(),
    params: { srcLang, tgtLang: opts.tgtLang, dedupe: opts.dedupe ?? true, files },
    sources: [hasher.record()],
    outputs: [],
    counts: { pairsRead: read, pairs: pairs.length },
    notes: [],
  };
  if (opts.outDir) {
    const w = new OutputWriter(opts.outDir);
    w.bitext('bitext', pairs);
    manifest.outputs = w.outputs;
    writeManifest(opts.outDir, manifest);
  }
  return { pairs, manifest };
}
