/**
 * Per-language stopword sets for BM25: npm `stopword` (curated lists keyed by ISO 639-3, e.g. 'swa'
 * 145 words, 'eng' 174) first, then `stopwords-iso` (ISO 639-1 keys; its lists are much longer,
 * English has 1,298 entries) as a fallback. Unknown languages (e.g. Oromo) get an empty set.
 */
import { createRequire } from 'node:module';
import { languageCandidates } from '../language-codes.js';

const require = createRequire(import.meta.url);
const cache = new Map<string, ReadonlySet<string>>();

export function stopwordsFor(lang: string): ReadonlySet<string> {
  const key = lang.toLowerCase();
  const hit = cache.get(key);
  if (hit) return hit;
  const curated = require('stopword') as Record<string, unknown>;
  const iso = require('stopwords-iso') as Record<string, unknown>;
  const candidates = languageCandidates(lang);
  let words: string[] = [];
  const fromCurated = candidates.map((c) => curated[c]).find(Array.isArray) as string[] | undefined;
  if (fromCurated) words = fromCurated;
  else words = (candidates.map((c) => iso[c]).find(Array.isArray) as string[] | undefined) ?? [];
  const set = new Set(words.map((w) => w.normalize('NFKC').toLowerCase()));
  cache.set(key, set);
  return set;
}
