/**
 * The bilingual lexicon shape used by query translation: lowercase source word → its senses in
 * preference order, each a target term (one word or a phrase) with a non-negative weight.
 * Deliberately a plain Map so any producer (src/data recipes, a TSV file, a test) can build one.
 */
export interface LexiconSense {
  term: string;
  weight: number;
}

export type BilingualLexicon = Map<string, LexiconSense[]>;
