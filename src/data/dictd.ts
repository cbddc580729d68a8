/**
 * Reader for dictd dictionaries as shipped by FreeDict: `<name>.index` (lines
 * `headword\t<offset>\t<length>` in dictd base64: digits A–Z a–z 0–9 + /, most significant first)
 * and `<name>.dict.dz` (dictzip, a gzip file; gunzip reads it whole).
 *
 * FreeDict entry bodies look like this (real excerpts):
 *
 *   agree /ɐɡɹˈiː/ <v>            achana /atʃˈana/ <v>
 *                                 1.
 *    patana                       leave one another, separate, divorce
 *                                 2.
 *                                 differ, diverge
 *
 * i.e. a header `headword[, variant] /IPA/ <pos> (pl: …)`, then per sense (optional `N.` line) one
 * equivalents line (which may itself start with a space), `; `-continuation lines, and indented
 * notes/examples/"See also" lines that are not translations.
 */
import { gunzipSync } from 'node:zlib';
import { decodeUtf8, textLines } from '../ir/formats/lines.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes a dictd base64 number. */
export function decodeDictdNumber(text: string): number {
  if (text.length === 0) throw new TypeError('dictd: empty base64 number');
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = B64.indexOf(text[i]);
    if (d < 0) throw new TypeError(`dictd: invalid base64 digit '${text[i]}' at index ${i} of '${text}'`);
    n = n * 64 + d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`dictd: base64 number '${text}' is too large for a byte offset`);
  return n;
}

export interface DictdIndexEntry {
  headword: string;
  offset: number;
  length: number;
}

/** Parses an index file; `00database*` metadata entries are skipped. */
export function parseDictdIndex(text: string, name = 'index'): DictdIndexEntry[] {
  const out: DictdIndexEntry[] = [];
  const lines = textLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length < 3) throw new TypeError(`${name}:${i + 1}: expected 'headword<TAB>offset<TAB>length', got '${line}'`);
    if (f[0].startsWith('00database') || f[0].startsWith('00-database')) continue;
    try {
      out.push({ headword: f[0], offset: decodeDictdNumber(f[1]), length: decodeDictdNumber(f[2]) });
    } catch (err) {
      throw new TypeError(`${name}:${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}

export interface DictdEntry {
  /** Headword variants from the entry header (`afisa, ofisa` → two). */
  headwords: string[];
  pos: string;
  /** Senses in order; each a list of equivalents (raw text, glosses still attached). */
  senses: string[][];
}

/** Splits an equivalents line on commas/semicolons that are not inside parentheses. */
export function splitEquivalents(line: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of line) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    if ((ch === ',' || ch === ';') && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Parses one FreeDict entry body. */
export function parseFreedictEntry(body: string): DictdEntry {
  const lines = body.replace(/\r/g, '').split('\n');
  const header = lines[0] ?? '';
  const cut = header.search(/\s[/<([]/);
  const head = (cut >= 0 ? header.slice(0, cut) : header).trim();
  const headwords = head.split(/\s*,\s*/).filter((h) => h.length > 0);
  const posMatch = /<([^>]*)>/.exec(header);
  const senses: string[][] = [];
  let current: string[] | null = null;
  // The first non-empty line after the header or a sense number is the equivalents line even when
  // indented; later indented lines are notes.
  let expectEquivalents = true;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    if (/^\d+\.\s*$/.test(raw.trim())) {
      current = null;
      expectEquivalents = true;
      continue;
    }
    if (expectEquivalents) {
      // "Plural of {pindi}: bend, turn" — the cross-reference prefix is not a translation.
      current = splitEquivalents(raw.trim().replace(/^[^:{}]*\{[^}]*\}\s*:\s*/, ''));
      senses.push(current);
      expectEquivalents = false;
      continue;
    }
    if (raw.startsWith('; ') && current) {
      current.push(...splitEquivalents(raw.slice(2)));
      continue;
    }
    // Indented note, example or cross-reference: not a translation.
  }
  return { headwords, pos: posMatch ? posMatch[1].trim() : '', senses: senses.filter((s) => s.length > 0) };
}

export interface DictdDictionary {
  index: DictdIndexEntry[];
  /** Entries in index order, one per distinct (offset, length). */
  entries: DictdEntry[];
}

/** Reads a dictionary from the index text and the (gzip/dictzip) body bytes. */
export function readDictd(indexText: string, dictDz: Uint8Array, name = 'dictd'): DictdDictionary {
  const index = parseDictdIndex(indexText, `${name}.index`);
  let body: Buffer;
  try {
    body = gunzipSync(dictDz);
  } catch (err) {
    throw new TypeError(`${name}.dict.dz: not a gzip/dictzip file (${(err as Error).message})`);
  }
  const seen = new Set<string>();
  const entries: DictdEntry[] = [];
  for (let i = 0; i < index.length; i++) {
    const e = index[i];
    const key = `${e.offset}:${e.length}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.offset + e.length > body.length) throw new RangeError(`${name}.index: entry ${i} ('${e.headword}') points past the end of the body (${e.offset}+${e.length} > ${body.length})`);
    entries.push(parseFreedictEntry(decodeUtf8(body.subarray(e.offset, e.offset + e.length), `${name}.dict.dz (entry '${e.headword}' at byte ${e.offset})`)));
  }
  return { index, entries };
}
