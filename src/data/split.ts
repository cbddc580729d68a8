/**
 * Leakage-safe k-fold splitting by unit (UDHR article, help page, ...). Splitting by unit rather
 * than by pair matters because paragraphs of one unit share vocabulary and phrasing; the extra text
 * filter matters because the same paragraph can appear in several units (help pages repeat notes).
 */
import { Rng } from '../random/rng.js';
import { normalizeTerm } from './tokenize.js';
import type { BitextPair, ClirSet } from './types.js';

/** Assigns units to `k` folds (round-robin over a seeded shuffle, so fold sizes differ by ≤ 1). */
export function assignFolds(units: readonly string[], k: number, seed: number | string): Map<string, number> {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  const unique = [...new Set(units)].sort();
  if (unique.length < k) throw new RangeError(`folds (${k}) must not exceed the number of units (${unique.length})`);
  const order = new Rng(seed).shuffle(unique);
  const out = new Map<string, number>();
  order.forEach((u, i) => out.set(u, i % k));
  return out;
}

/** Canonical text key for leakage checks (case/space-insensitive). */
export function textKey(text: string): string {
  return normalizeTerm(text);
}

/**
 * Drops training pairs whose source or target text occurs anywhere in the test set (a topic, or a
 * document, or a paragraph of a document when `testTexts` lists them separately).
 */
export function dropLeakage(train: readonly BitextPair[], test: ClirSet, testTexts: Iterable<string> = []): { kept: BitextPair[]; dropped: number } {
  const banned = new Set<string>();
  for (const t of test.topics) banned.add(textKey(t.text));
  for (const d of test.collection) banned.add(textKey(d.text));
  for (const t of testTexts) banned.add(textKey(t));
  const kept = train.filter((p) => !banned.has(textKey(p.src)) && !banned.has(textKey(p.tgt)));
  return { kept, dropped: train.length - kept.length };
}
