/**
 * Stopword lists by language from npm `stopword` (ISO 639-3 keys) with `stopwords-iso` (ISO 639-1
 * keys) as fallback. Used to skip function words in Wiki-CS code-switching and in coverage measures.
 */
import { createRequire } from 'node:module';
import { iso6393Candidates, localeCandidates } from './locale.js';

const require = createRequire(import.meta.url);

let stopwordModule: Record<string, unknown> | null = null;
let isoModule: Record<string, string[]> | null = null;

/** Returns the stopword set for a language, or an empty set when no list exists (e.g. Oromo). */
export function stopwordsFor(lang: string): Set<string> {
  stopwordModule ??= require('stopword') as Record<string, unknown>;
  isoModule ??= require('stopwords-iso') as Record<string, string[]>;
  for (const code of iso6393Candidates(lang)) {
    const list = stopwordModule[code];
    if (Array.isArray(list)) return new Set(list.map((w: string) => w.toLowerCase()));
  }
  for (const code of localeCandidates(lang)) {
    const two = code.toLowerCase().split('-')[0];
    const list = isoModule[two];
    if (Array.isArray(list)) return new Set(list.map((w) => w.toLowerCase()));
  }
  return new Set();
}
