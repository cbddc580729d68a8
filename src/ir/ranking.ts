/**
 * trec_eval's ranking rule, shared by metrics and run writers: sort by score descending, ties broken
 * by docno in *descending* strcmp order (trec_eval's comp_sim_docno). The rank column of a run file
 * never matters.
 */

/**
 * Compares strings in UTF-8 byte order, i.e. C strcmp on UTF-8 (= Unicode code point order).
 * JS `<` compares UTF-16 code units, which disagrees for U+E000–U+FFFF against astral characters;
 * remapping code units fixes that without allocating.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return remapUnit(x) - remapUnit(y);
  }
  return a.length - b.length;
}

function remapUnit(u: number): number {
  // Surrogates (astral code points) move above U+FFFF-range units; U+E000–U+FFFF moves down.
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  if (u >= 0xe000) return u - 0x800;
  return u;
}

export interface ScoredDoc {
  docno: string;
  score: number;
}

/** Orders one query's documents exactly as trec_eval does. */
export function rankQuery(docs: Map<string, number>): ScoredDoc[] {
  const list: ScoredDoc[] = [];
  for (const [docno, score] of docs) list.push({ docno, score });
  list.sort((p, q) => (p.score > q.score ? -1 : p.score < q.score ? 1 : compareCodePoints(q.docno, p.docno)));
  return list;
}
