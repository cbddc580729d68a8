/**
 * The three evaluation scenarios of a compare, built from one fold's held-out units:
 *  - CLIR: English queries → documents in the first target language.
 *  - MLIR: English queries → one pool of documents in every target language plus English
 *          (language bias: does a model rank English documents above equally relevant target ones?).
 *  - MoIR: target-language queries → target-language documents (monolingual retrieval in the
 *          low-resource language: does the model understand it at all?).
 * A query's own text can be a document (UDHR: the first paragraph of an article is both); such a
 * document is excluded from that query's ranking and judgements, otherwise the task is string
 * matching. Queries left with no relevant document are dropped.
 */
import type { Doc, Qrel, Topic } from '../data/types.js';

/** 'shift' = the out-of-domain CLIR test (another recipe) for the domain-shift question. */
export type Scenario = 'clir' | 'mlir' | 'moir' | 'shift';

export interface EvalSet {
  scenario: Scenario;
  topics: Topic[];
  collection: Doc[];
  qrels: Qrel[];
  /** qid → documents never ranked for that query (its own text). */
  exclude: Map<string, Set<string>>;
  /** MLIR only: qid → groups of parallel relevant docnos (one per language), for the language-bias measure. */
  parallelGroups?: Map<string, string[][]>;
}

/** One held-out unit (UDHR article, help page) in every language. */
export interface HeldOutUnit {
  /** Query id shared by all scenarios (e.g. `udhr-a7`). */
  qid: string;
  /** English query text. */
  query: string;
  /** language code → its documents for this unit, in order; the first may be the query's translation. */
  docs: Map<string, Doc[]>;
  /** language code → document that is this unit's query in that language (excluded when that language is the query language). */
  queryDoc: Map<string, Doc>;
}

function addQuery(set: EvalSet, qid: string, text: string, lang: string, relevant: Doc[], own: Doc | undefined): void {
  const rel = relevant.filter((d) => d.docno !== own?.docno);
  if (rel.length === 0) return;
  set.topics.push({ qid, text, lang });
  for (const d of rel) set.qrels.push({ qid, docno: d.docno, rel: 1 });
  if (own) set.exclude.set(qid, new Set([own.docno]));
}

/** Builds the requested scenarios. `languages[0]` is the CLIR language; English is `en`. */
export function buildEvalSets(units: readonly HeldOutUnit[], languages: readonly string[], scenarios: readonly ('clir' | 'mlir' | 'moir')[]): Map<Scenario, EvalSet> {
  if (languages.length === 0) throw new RangeError('buildEvalSets: languages must not be empty');
  const out = new Map<Scenario, EvalSet>();
  const empty = (scenario: Scenario): EvalSet => ({ scenario, topics: [], collection: [], qrels: [], exclude: new Map() });
  const target = languages[0];
  if (scenarios.includes('clir')) {
    const s = empty('clir');
    for (const u of units) {
      s.collection.push(...(u.docs.get(target) ?? []));
      addQuery(s, u.qid, u.query, 'en', u.docs.get(target) ?? [], undefined);
    }
    out.set('clir', s);
  }
  if (scenarios.includes('mlir')) {
    const s = empty('mlir');
    s.parallelGroups = new Map();
    const pool = ['en', ...languages];
    for (const u of units) {
      const relevant = pool.flatMap((l) => u.docs.get(l) ?? []);
      s.collection.push(...relevant);
      const own = u.queryDoc.get('en');
      addQuery(s, u.qid, u.query, 'en', relevant, own);
      // Versions of one paragraph are parallel when every language has the same paragraph count.
      const counts = pool.map((l) => u.docs.get(l)?.length ?? 0);
      if (counts.every((c) => c === counts[0] && c > 0)) {
        const groups: string[][] = [];
        for (let i = 0; i < counts[0]; i++) {
          const g = pool.map((l) => u.docs.get(l)![i].docno).filter((d) => d !== own?.docno);
          if (g.length >= 2) groups.push(g);
        }
        if (groups.length > 0) s.parallelGroups.set(u.qid, groups);
      }
    }
    out.set('mlir', s);
  }
  if (scenarios.includes('moir')) {
    const s = empty('moir');
    for (const u of units) {
      const docs = u.docs.get(target) ?? [];
      s.collection.push(...docs);
      const own = u.queryDoc.get(target);
      if (own) addQuery(s, u.qid, own.text, target, docs, own);
    }
    out.set('moir', s);
  }
  for (const [name, s] of out) {
    if (s.topics.length === 0) throw new RangeError(`scenario ${name}: no query has a relevant document in the held-out units`);
  }
  return out;
}
