/**
 * Test-only EN→sw lexicon builders (the project's recipes in src/data are independent of this).
 *  - FreeDict (Debian dict-freedict-eng-swh / -swh-eng, dictd files under /usr/share/dictd): eng-swh
 *    forward ∪ swh-eng reversed; English side lowercased, "to " dropped from verbs, parenthesised
 *    glosses dropped, only single English words kept (query translation is word by word).
 *  - CLDR fallback (npm cldr-annotations-full + cldr-localenames-full): emoji short names and
 *    language/territory names keyed identically across locales; single-word pairs only, values
 *    equal to English skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BilingualLexicon } from '../../../src/ir/lexicon-types.js';

const require = createRequire(import.meta.url);
/**
 * Where a dictd file of a FreeDict package can be: installed by apt (/usr/share/dictd), or extracted
 * with `apt-get download` + `dpkg -x` into the project's cache ($OPTICAL_CACHE or ~/.cache/optical,
 * under debian/<package>/), which is where the src/data recipes put it.
 */
function dictdDir(name: string): string | undefined {
  const pkg = `dict-${name}`;
  const cache = process.env.OPTICAL_CACHE ?? join(homedir(), '.cache', 'optical');
  for (const dir of ['/usr/share/dictd', join(cache, 'debian', pkg, 'usr', 'share', 'dictd')]) {
    if (existsSync(join(dir, `${name}.index`)) && existsSync(join(dir, `${name}.dict.dz`))) return dir;
  }
  return undefined;
}
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeB64Number(s: string): number {
  let n = 0;
  for (const c of s) {
    const v = B64.indexOf(c);
    if (v < 0) throw new TypeError(`bad dictd base64 digit '${c}' in '${s}'`);
    n = n * 64 + v;
  }
  return n;
}

interface DictEntry {
  headwords: string[];
  equivalents: string[];
}

function readDictd(name: string): DictEntry[] {
  const dir = dictdDir(name);
  if (!dir) throw new Error(`FreeDict '${name}' not found: apt-get install dict-${name}`);
  const body = gunzipSync(readFileSync(join(dir, `${name}.dict.dz`)));
  const entries: DictEntry[] = [];
  const seen = new Set<string>();
  for (const line of readFileSync(join(dir, `${name}.index`), 'utf8').split('\n')) {
    const [head, off, len] = line.split('\t');
    if (!len || head.startsWith('00database') || head.startsWith('00-database')) continue;
    const key = `${off}/${len}`;
    if (seen.has(key)) continue; // several index lines may point at one entry
    seen.add(key);
    const text = body.subarray(decodeB64Number(off), decodeB64Number(off) + decodeB64Number(len)).toString('utf8');
    const [first, ...rest] = text.split('\n');
    // First line: "headword[, variant] /IPA/ <pos> ..."; keep what precedes the IPA or POS.
    const headPart = first.split(/\s\/|\s</)[0];
    const headwords = headPart.split(',').map((h) => h.trim()).filter(Boolean);
    const equivalents: string[] = [];
    for (const l of rest) {
      if (/^\s/.test(l) || /^\d+\.$/.test(l.trim()) || l.trim() === '') continue; // notes, sense numbers
      for (const part of l.replace(/^;\s*/, '').split(/[,;]/)) {
        const e = part.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
        if (e) equivalents.push(e);
      }
    }
    entries.push({ headwords, equivalents });
  }
  return entries;
}

function normalizeEnglish(e: string): string {
  return e.toLowerCase().replace(/^to\s+/, '').trim();
}

function addPair(lex: BilingualLexicon, en: string, sw: string): void {
  const s = sw.normalize('NFKC').toLowerCase().trim();
  if (!en || !s || en === s) return;
  const senses = lex.get(en) ?? [];
  if (!senses.some((x) => x.term === s)) senses.push({ term: s, weight: 1 });
  lex.set(en, senses);
}

/** True when the FreeDict EN↔sw packages are installed. In CI (.ci/install-deps installs them) their absence is an error, not a skip. */
export function freedictAvailable(): boolean {
  const present = dictdDir('freedict-eng-swh') !== undefined && dictdDir('freedict-swh-eng') !== undefined;
  if (!present && process.env.CI) throw new Error('FreeDict EN↔sw (dict-freedict-eng-swh, dict-freedict-swh-eng) must be installed in CI: see .ci/debian-packages');
  return present;
}

export function freedictEnSwLexicon(): BilingualLexicon {
  const lex: BilingualLexicon = new Map();
  for (const { headwords, equivalents } of readDictd('freedict-eng-swh')) {
    for (const h of headwords) {
      const en = normalizeEnglish(h);
      if (/\s/.test(en)) continue;
      for (const sw of equivalents) addPair(lex, en, sw);
    }
  }
  for (const { headwords, equivalents } of readDictd('freedict-swh-eng')) {
    for (const e of equivalents) {
      const en = normalizeEnglish(e);
      if (/\s/.test(en) || en === '') continue;
      for (const sw of headwords) addPair(lex, en, sw);
    }
  }
  return lex;
}

function isSingleWord(s: string): boolean {
  return /^[\p{L}\p{M}'’-]+$/u.test(s);
}

export function cldrEnSwLexicon(): BilingualLexicon {
  const lex: BilingualLexicon = new Map();
  const load = (path: string) => require(path) as Record<string, unknown>;
  const ann = (code: string) => (load(`cldr-annotations-full/annotations/${code}/annotations.json`) as { annotations: { annotations: Record<string, { tts?: string[] }> } }).annotations.annotations;
  const en = ann('en');
  const sw = ann('sw');
  for (const [key, value] of Object.entries(en)) {
    const e = value.tts?.[0]?.toLowerCase();
    const s = sw[key]?.tts?.[0];
    if (e && s && !e.includes('{0}') && isSingleWord(e) && isSingleWord(s)) addPair(lex, e, s);
  }
  const names = (code: string, kind: 'languages' | 'territories') =>
    ((load(`cldr-localenames-full/main/${code}/${kind}.json`) as { main: Record<string, { localeDisplayNames: Record<string, Record<string, string>> }> }).main[code].localeDisplayNames[kind]);
  for (const kind of ['languages', 'territories'] as const) {
    const e = names('en', kind);
    const s = names('sw', kind);
    for (const [k, v] of Object.entries(e)) {
      if (s[k] && isSingleWord(v) && isSingleWord(s[k])) addPair(lex, v.toLowerCase(), s[k]);
    }
  }
  return lex;
}

/** FreeDict when installed (apt-get install dict-freedict-eng-swh dict-freedict-swh-eng), CLDR otherwise. */
export function enSwLexicon(): { lexicon: BilingualLexicon; source: 'freedict' | 'cldr' } {
  return freedictAvailable() ? { lexicon: freedictEnSwLexicon(), source: 'freedict' } : { lexicon: cldrEnSwLexicon(), source: 'cldr' };
}
