/**
 * Language-code candidates, so 'sw', 'swa' and 'swh' (UDHR's code) all find Swahili resources.
 * Uses CLDR's languageAlias table (cldr-core, installed with the cldr-*-full packages): 'overlong'
 * entries map ISO 639-3/-2 codes to their two-letter form, 'macrolanguage' entries map an individual
 * language to its macrolanguage (swh → sw). The reverse of 'overlong' gives the three-letter forms.
 * Without cldr-core only the code itself is tried.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AliasEntry {
  _reason?: string;
  _replacement?: string;
}

let aliasTable: Record<string, AliasEntry> | null | undefined;
let reverseOverlong: Map<string, string[]> | undefined;

function aliases(): Record<string, AliasEntry> | null {
  if (aliasTable === undefined) {
    try {
      const json = require('cldr-core/supplemental/aliases.json') as { supplemental: { metadata: { alias: { languageAlias: Record<string, AliasEntry> } } } };
      aliasTable = json.supplemental.metadata.alias.languageAlias;
    } catch {
      aliasTable = null;
    }
  }
  return aliasTable;
}

/** Candidate codes for a language, most specific first (lowercase primary subtags). */
export function languageCandidates(lang: string): string[] {
  const base = lang.trim().toLowerCase().split(/[-_]/)[0];
  if (!/^[a-z]{2,3}$/.test(base)) return base ? [base] : [];
  const out = [base];
  const table = aliases();
  if (!table) return out;
  const push = (c: string | undefined) => {
    if (c && /^[a-z]{2,3}$/.test(c) && !out.includes(c)) out.push(c);
  };
  const alias = table[base];
  if (alias && (alias._reason === 'overlong' || alias._reason === 'macrolanguage')) push(alias._replacement?.split('_')[0]);
  if (!reverseOverlong) {
    reverseOverlong = new Map();
    for (const [code, entry] of Object.entries(table)) {
      if (entry._reason === 'overlong' && entry._replacement && /^[a-z]{3}$/.test(code)) {
        const list = reverseOverlong.get(entry._replacement) ?? [];
        list.push(code);
        reverseOverlong.set(entry._replacement, list);
      }
    }
  }
  for (const c of [...out]) for (const three of reverseOverlong.get(c) ?? []) push(three);
  return out;
}

let knownCodes: Set<string> | null | undefined;

/**
 * False for codes that cannot name a language: anything but a 2–3 letter primary subtag, and
 * two-letter codes that are not ISO 639-1 languages known to CLDR (e.g. 'xx'). Three-letter codes
 * are accepted as written (ISO 639-3 has ~7,900 languages, CLDR names only some, e.g. not 'gax').
 * Without the CLDR packages every well-formed code is accepted.
 */
export function isKnownLanguage(lang: string): boolean {
  if (knownCodes === undefined) {
    try {
      const json = require('cldr-localenames-full/main/en/languages.json') as { main: { en: { localeDisplayNames: { languages: Record<string, string> } } } };
      knownCodes = new Set(Object.keys(json.main.en.localeDisplayNames.languages).map((k) => k.toLowerCase().split(/[-_]/)[0]));
    } catch {
      knownCodes = null;
    }
  }
  const base = lang.trim().toLowerCase().split(/[-_]/)[0];
  if (!/^[a-z]{2,3}$/.test(base)) return false;
  if (base.length === 3 || knownCodes === null) return true;
  return languageCandidates(lang).some((c) => knownCodes!.has(c)) || aliases()?.[base] !== undefined;
}
