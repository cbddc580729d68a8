/**
 * Candidate base forms of an inflected English word ("rights" → "right", "studies" → "study",
 * "married" → "marry", "entitled" → "entitle"/"entitl"), for looking words up in dictionaries that
 * list lemmas only (FreeDict). Rules over-generate on purpose: a candidate only matters when the
 * lexicon has it, and the exact form is always tried first.
 */
export function englishBaseForms(word: string): string[] {
  const w = word.toLowerCase();
  const out: string[] = [];
  const add = (s: string) => {
    if (s.length >= 2 && s !== w && !out.includes(s)) out.push(s);
  };
  if (w.length < 4) return out;
  if (w.endsWith('ies')) add(w.slice(0, -3) + 'y');
  if (/(s|x|z|ch|sh)es$/.test(w)) add(w.slice(0, -2));
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) add(w.slice(0, -1));
  if (w.endsWith('ied')) add(w.slice(0, -3) + 'y');
  if (w.endsWith('ed')) {
    add(w.slice(0, -1));
    add(w.slice(0, -2));
    if (/([bcdfgklmnprstvz])\1ed$/.test(w)) add(w.slice(0, -3));
  }
  if (w.endsWith('ing') && w.length > 5) {
    add(w.slice(0, -3));
    add(w.slice(0, -3) + 'e');
    if (/([bcdfgklmnprstvz])\1ing$/.test(w)) add(w.slice(0, -4));
  }
  if (w.endsWith("'s")) add(w.slice(0, -2));
  return out;
}
