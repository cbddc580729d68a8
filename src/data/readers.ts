/**
 * Readers for user-supplied parallel data, so any language with bitext can be used: Moses-style
 * line-aligned file pairs (`corpus.en` + `corpus.sw`), two-column TSV, and our bitext JSONL.
 * (MUSE and TSV lexicons are read by src/data/lexicon.ts.)
 */
import { basename } from 'node:path';
import { readTextFile, textLines as splitLines } from '../ir/formats/lines.js';
import type { BitextPair } from './types.js';

export interface BitextReadOptions {
  srcLang?: string;
  tgtLang?: string;
  /** Keep pairs where one side is empty (default false: they carry no alignment signal). */
  keepEmpty?: boolean;
}

/** `name` gives the pair ids (`name:line`); `file` (default `name`) names the input in errors. */
export type BitextParseOptions = BitextReadOptions & { name?: string; file?: string };

/** Moses format: two files with one segment per line, line i of each forming a pair. */
export function parseMosesBitext(srcText: string, tgtText: string, opts: BitextParseOptions = {}): BitextPair[] {
  const s = splitLines(srcText);
  const t = splitLines(tgtText);
  const name = opts.name ?? 'moses';
  if (s.length !== t.length) throw new RangeError(`${opts.file ?? name}: source has ${s.length} lines but target has ${t.length}; Moses files must be line-aligned`);
  const out: BitextPair[] = [];
  for (let i = 0; i < s.length; i++) {
    const src = s[i].trim();
    const tgt = t[i].trim();
    if (!opts.keepEmpty && (!src || !tgt)) continue;
    out.push({ id: `${name}:${i + 1}`, src, tgt, srcLang: opts.srcLang ?? 'en', tgtLang: opts.tgtLang ?? 'x', line: i + 1 });
  }
  return out;
}

export function readMosesBitext(srcPath: string, tgtPath: string, opts: BitextReadOptions = {}): BitextPair[] {
  return parseMosesBitext(readTextFile(srcPath), readTextFile(tgtPath), { ...opts, name: basename(srcPath).replace(/\.[^.]+$/, ''), file: `${srcPath} + ${tgtPath}` });
}

/** TSV bitext: `src<TAB>tgt` (further columns ignored). */
export function parseTsvBitext(text: string, opts: BitextParseOptions = {}): BitextPair[] {
  const name = opts.name ?? 'tsv';
  const out: BitextPair[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split('\t');
    if (f.length < 2) throw new TypeError(`${opts.file ?? name}:${i + 1}: expected 'src<TAB>tgt', got '${line.slice(0, 80)}'`);
    const src = f[0].trim();
    const tgt = f[1].trim();
    if (!opts.keepEmpty && (!src || !tgt)) return;
    out.push({ id: `${name}:${i + 1}`, src, tgt, srcLang: opts.srcLang ?? 'en', tgtLang: opts.tgtLang ?? 'x', line: i + 1 });
  });
  return out;
}

/** Bitext JSONL `{id, src, tgt, srcLang, tgtLang, ...}`; missing ids (`name:line`) and langs are filled in. */
export function parseJsonlBitext(text: string, opts: BitextParseOptions = {}): BitextPair[] {
  const name = opts.name ?? 'jsonl';
  const file = opts.file ?? name;
  const out: BitextPair[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.trim() === '') return;
    let r: Partial<BitextPair>;
    try {
      r = JSON.parse(line) as Partial<BitextPair>;
    } catch (err) {
      throw new TypeError(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (r === null || typeof r !== 'object' || typeof r.src !== 'string' || typeof r.tgt !== 'string') throw new TypeError(`${file}:${i + 1}: a bitext record needs string 'src' and 'tgt'`);
    out.push({ ...r, id: typeof r.id === 'string' ? r.id : `${name}:${i + 1}`, src: r.src, tgt: r.tgt, srcLang: r.srcLang ?? opts.srcLang ?? 'en', tgtLang: r.tgtLang ?? opts.tgtLang ?? 'x' });
  });
  return out;
}

/** Reads `.jsonl` or `.tsv` bitext by extension; for Moses give two paths to readMosesBitext. */
export function readBitext(path: string, opts: BitextReadOptions = {}): BitextPair[] {
  const text = readTextFile(path);
  const name = basename(path);
  if (/\.jsonl?$/i.test(path)) return parseJsonlBitext(text, { ...opts, name, file: path });
  return parseTsvBitext(text, { ...opts, name, file: path });
}
