/**
 * How well does OT between teacher and student token representations recover known word
 * correspondences? Code-switched bitext records which English word was replaced by which
 * translation; for each such link we take the teacher token of the English word (its first
 * subword), follow its row of the Sinkhorn plan to the student token with the most mass, and count a
 * hit when that token belongs to the translated word. Chance level is the share of the student
 * sentence's (weighted) tokens that belong to the translated word.
 */
import type { Engine } from '../models/engine/types.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { costMatricesSync } from '../ot/cost.js';
import { sinkhornSync } from '../ot/sinkhorn.js';
import type { BackendChoice, CostKind } from '../ot/types.js';
import { tokenize } from '../data/tokenize.js';
import { tokenWeights } from './token-weights.js';
import { layerTokens, specialMask } from './layer-tokens.js';

export interface AlignmentExample {
  src: string;
  tgt: string;
  /** [source word index, target word index] pairs, indices into tokenize(src) / tokenize(tgt). */
  links: [number, number][];
}

export interface AlignmentScore {
  /** Share of links whose plan argmax lands in the linked word. */
  accuracy: number;
  /** Expected accuracy of a random pick weighted like the plan's column marginal. */
  chance: number;
  links: number;
}

export interface AlignmentEvalOptions {
  teacher: Engine;
  student: Engine;
  tokenizer: TextTokenizer;
  examples: readonly AlignmentExample[];
  layer?: number;
  kind?: CostKind;
  eps?: number;
  maxLength?: number;
  backend?: BackendChoice;
}

async function hiddenTokens(model: Engine, tokenizer: TextTokenizer, words: string[][], layer: number, maxLength: number) {
  return (await layerTokens(model, tokenizer, words, layer, maxLength)).map((t) => ({
    enc: t.encoding, count: t.count, vectors: t.vectors, weights: tokenWeights(t.encoding.tokens, specialMask(t.encoding), 0, t.count),
  }));
}

export async function alignmentAccuracy(o: AlignmentEvalOptions): Promise<AlignmentScore> {
  const layer = o.layer ?? o.teacher.config.numHiddenLayers;
  const maxLength = o.maxLength ?? 64;
  const H = o.teacher.config.hiddenSize;
  const srcWords = o.examples.map((e) => tokenize(e.src).map((t) => t.text));
  const tgtWords = o.examples.map((e) => tokenize(e.tgt).map((t) => t.text));
  const T = await hiddenTokens(o.teacher, o.tokenizer, srcWords, layer, maxLength);
  const S = await hiddenTokens(o.student, o.tokenizer, tgtWords, layer, maxLength);
  const rows = Int32Array.from(T.map((t) => t.count));
  const cols = Int32Array.from(S.map((s) => s.count));
  const cat = (parts: Float32Array[]) => { const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0)); let off = 0; for (const p of parts) { out.set(p, off); off += p.length; } return out; };
  const a = cat(T.map((t) => t.weights));
  const b = cat(S.map((s) => s.weights));
  const cost = costMatricesSync({ rows, cols, dim: H, x: cat(T.map((t) => t.vectors)), y: cat(S.map((s) => s.vectors)) }, { kind: o.kind, backend: o.backend });
  const plan = sinkhornSync({ rows, cols, cost, a, b }, { eps: o.eps ?? 0.05, maxIter: 1000, tol: 1e-5, backend: o.backend }).plan;

  let hits = 0;
  let chance = 0;
  let links = 0;
  let off = 0;
  let colOff = 0;
  o.examples.forEach((ex, k) => {
    const n = rows[k];
    const m = cols[k];
    const tw = T[k].enc.wordIds;
    const sw = S[k].enc.wordIds;
    for (const [sWord, tWord] of ex.links) {
      const i = tw.findIndex((w, idx) => idx < n && w === sWord);
      if (i < 0) continue; // the word was truncated away
      let best = 0;
      for (let j = 1; j < m; j++) if (plan[off + i * m + j] > plan[off + i * m + best]) best = j;
      links++;
      if (sw[best] === tWord) hits++;
      for (let j = 0; j < m; j++) if (sw[j] === tWord) chance += b[colOff + j];
    }
    off += n * m;
    colOff += m;
  });
  return { accuracy: links ? hits / links : NaN, chance: links ? chance / links : NaN, links };
}

export interface WordTranslationOptions {
  teacher: Engine;
  student: Engine;
  tokenizer: TextTokenizer;
  /** [English word, translation] pairs; each translation should find its English word. */
  pairs: readonly [string, string][];
  layer?: number;
}

/** Mean-pooled representation of single words (no context) at one layer, L2-normalised. */
async function wordVectors(model: Engine, tokenizer: TextTokenizer, words: readonly string[], layer: number): Promise<Float32Array[]> {
  return (await layerTokens(model, tokenizer, words.map((w) => [w]), layer)).map(({ encoding, count, vectors }) => {
    const H = vectors.length / count;
    const v = new Float32Array(H);
    encoding.sequenceIds.forEach((s, i) => {
      if (s === null || i >= count) return;
      for (let d = 0; d < H; d++) v[d] += vectors[i * H + d];
    });
    let norm = 0;
    for (let d = 0; d < H; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < H; d++) v[d] /= norm;
    return v;
  });
}

/**
 * Word translation retrieval (bilingual lexicon induction) with context-free word vectors: each
 * translation, encoded alone by the student, retrieves the nearest English word encoded alone by the
 * teacher among all English words of `pairs`. Position cannot help here, so this isolates what the
 * student learned about the words themselves. Returns precision@1 and its chance level.
 */
export async function wordTranslationAccuracy(o: WordTranslationOptions): Promise<{ precisionAt1: number; chance: number; pairs: number }> {
  const layer = o.layer ?? o.teacher.config.numHiddenLayers;
  const english = [...new Set(o.pairs.map((p) => p[0]))];
  const index = new Map(english.map((w, i) => [w, i]));
  const E = await wordVectors(o.teacher, o.tokenizer, english, layer);
  const X = await wordVectors(o.student, o.tokenizer, o.pairs.map((p) => p[1]), layer);
  let hits = 0;
  o.pairs.forEach(([e], k) => {
    let best = -1;
    let bestSim = -Infinity;
    for (let i = 0; i < E.length; i++) {
      let s = 0;
      for (let d = 0; d < E[i].length; d++) s += E[i][d] * X[k][d];
      if (s > bestSim) { bestSim = s; best = i; }
    }
    if (best === index.get(e)) hits++;
  });
  return { precisionAt1: o.pairs.length ? hits / o.pairs.length : NaN, chance: 1 / english.length, pairs: o.pairs.length };
}
