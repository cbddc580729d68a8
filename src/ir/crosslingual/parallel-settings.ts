/**
 * Building CLIR, MLIR and MoIR evaluation sets from a parallel collection (the same units — e.g.
 * UDHR paragraphs — written in several languages) and parallel queries:
 *  - CLIR: queries in language X, collection = the units in language Y;
 *  - MoIR: X = Y (monolingual);
 *  - MLIR: queries in X against one pooled collection holding every unit in each of several
 *    languages; a relevant unit is relevant in every language it exists in.
 * Docnos are `<lang>:<unitId>` so one unit has one docno per language.
 */
import type { CollectionDocument, Qrels, Topic } from '../types.js';

export interface ParallelCollection {
  /** lang → unitId → text. */
  documents: Map<string, Map<string, string>>;
}

export interface ParallelTopics {
  /** lang → qid → query text (qids shared across languages). */
  queries: Map<string, Map<string, string>>;
  /** qid → unitId → graded relevance. */
  relevance: Map<string, Map<string, number>>;
}

export interface EvaluationSet {
  topics: Topic[];
  docs: CollectionDocument[];
  qrels: Qrels;
  /**
   * qid → for each relevant unit, the docnos of its versions in the collection's languages
   * (input for languageBias; single-element groups in CLIR/MoIR).
   */
  parallelGroups: Map<string, string[][]>;
}

export function parallelDocno(lang: string, unitId: string): string {
  return `${lang}:${unitId}`;
}

function checkLang(name: string, lang: string): void {
  if (typeof lang !== 'string' || !/^[A-Za-z0-9_-]+$/.test(lang)) throw new TypeError(`${name} must be a language code without ':' or spaces, got '${lang}'`);
}

/** MLIR (pooled) set; CLIR and MoIR are the one-language special cases. */
export function buildMlirSet(collection: ParallelCollection, topics: ParallelTopics, queryLang: string, docLangs: readonly string[]): EvaluationSet {
  checkLang('queryLang', queryLang);
  if (docLangs.length === 0) throw new RangeError('docLangs must name at least one language');
  if (new Set(docLangs).size !== docLangs.length) throw new RangeError(`docLangs has duplicates: ${docLangs.join(', ')}`);
  const queries = topics.queries.get(queryLang);
  if (!queries) throw new RangeError(`no queries in language '${queryLang}' (have: ${[...topics.queries.keys()].join(', ')})`);
  const docs: CollectionDocument[] = [];
  for (const lang of docLangs) {
    checkLang('docLangs entry', lang);
    const units = collection.documents.get(lang);
    if (!units) throw new RangeError(`no documents in language '${lang}' (have: ${[...collection.documents.keys()].join(', ')})`);
    for (const [unitId, text] of units) docs.push({ docno: parallelDocno(lang, unitId), text, lang });
  }
  const result: EvaluationSet = { topics: [], docs, qrels: new Map(), parallelGroups: new Map() };
  for (const [qid, text] of queries) {
    const rel = topics.relevance.get(qid);
    if (!rel) continue;
    const judged = new Map<string, number>();
    const groups: string[][] = [];
    for (const [unitId, grade] of rel) {
      const group: string[] = [];
      for (const lang of docLangs) {
        if (!collection.documents.get(lang)!.has(unitId)) continue; // unit missing in this language
        const docno = parallelDocno(lang, unitId);
        judged.set(docno, grade);
        if (grade >= 1) group.push(docno);
      }
      if (group.length > 0) groups.push(group);
    }
    if (judged.size === 0) continue;
    result.topics.push({ qid, text, lang: queryLang });
    result.qrels.set(qid, judged);
    result.parallelGroups.set(qid, groups);
  }
  return result;
}

export function buildClirSet(collection: ParallelCollection, topics: ParallelTopics, queryLang: string, docLang: string): EvaluationSet {
  return buildMlirSet(collection, topics, queryLang, [docLang]);
}

export function buildMoirSet(collection: ParallelCollection, topics: ParallelTopics, lang: string): EvaluationSet {
  return buildMlirSet(collection, topics, lang, [lang]);
}
