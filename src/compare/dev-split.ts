/**
 * A development split inside a UDHR fold, for choosing defaults without the test queries: a seeded
 * share of the fold's *training* articles is held out as development articles; the method trains on
 * the bitext of the remaining training articles (pairs of development articles and every pair that
 * shares text with them are dropped), and is scored on a CLIR set built from the development
 * articles exactly as the test set is built from the test articles (English query = the article's
 * first paragraph, documents = its target-language paragraphs). The fold's test articles are used
 * nowhere: neither in training nor in the development set.
 */
import { readUdhrDeclaration, resolveUdhrLanguage } from '../data/udhr.js';
import { dropLeakage } from '../data/split.js';
import type { Doc } from '../data/types.js';
import { Rng } from '../random/rng.js';
import type { CompareConfig } from './config.js';
import { buildEvalSets, type HeldOutUnit } from './eval-sets.js';
import type { FoldData } from './experiment-data.js';

export interface DevSplitOptions {
  /** Share of the fold's training articles held out for development, in (0, 1). Default 1/3. */
  share?: number;
  /** Seed of the choice of development articles (default 'dev'). */
  seed?: string;
}

/** The development fold of `fold`: training bitext without the development articles, and a CLIR set of them. */
export async function developmentFold(config: CompareConfig, fold: FoldData, options: DevSplitOptions = {}): Promise<FoldData> {
  const share = options.share ?? 1 / 3;
  if (!(share > 0 && share < 1)) throw new RangeError(`developmentFold: share must be in (0, 1), got ${share}`);
  if (config.data.test !== 'udhr' || config.data.folds < 2) throw new RangeError("developmentFold: needs the UDHR fold design (data.test 'udhr', data.folds >= 2)");
  const lang = config.languages[0];
  const code = (await resolveUdhrLanguage(lang)).code;
  const en = readUdhrDeclaration('eng');
  const x = readUdhrDeclaration(code);
  const test = new Set(fold.testUnits.map(Number));
  const training = [...en.articles.keys()].filter((n) => !test.has(n) && (x.articles.get(n)?.length ?? 0) > 0).sort((a, b) => a - b);
  const count = Math.max(2, Math.round(training.length * share));
  if (count >= training.length) throw new RangeError(`developmentFold: fold ${fold.fold} has ${training.length} training articles, too few to hold ${count} out`);
  const dev = new Set(new Rng(`${options.seed ?? 'dev'}:${fold.fold}`).shuffle(training).slice(0, count));
  const units: HeldOutUnit[] = [...dev].sort((a, b) => a - b).map((n) => {
    const enDocs: Doc[] = en.articles.get(n)!.map((text, i) => ({ docno: `udhr-eng-a${n}-p${i + 1}`, text, lang: 'en' }));
    const xDocs: Doc[] = x.articles.get(n)!.map((text, i) => ({ docno: `udhr-${code}-a${n}-p${i + 1}`, text, lang }));
    return { qid: `udhr-a${n}`, query: enDocs[0].text, docs: new Map([['en', enDocs], [lang, xDocs]]), queryDoc: new Map([['en', enDocs[0]], [lang, xDocs[0]]]) };
  });
  const sets = buildEvalSets(units, [lang], ['clir']);
  const devTexts = [...dev].flatMap((n) => [...en.articles.get(n)!, ...x.articles.get(n)!]);
  const candidates = fold.bitext.filter((p) => !(typeof p.article === 'number' && dev.has(p.article)));
  const { kept } = dropLeakage(candidates, { topics: [], collection: [], qrels: [] }, devTexts);
  if (kept.length === 0) throw new RangeError(`developmentFold: fold ${fold.fold} has no training bitext left outside its development articles`);
  return { fold: fold.fold, testUnits: [...dev].sort((a, b) => a - b).map(String), bitext: kept, leakageDropped: fold.bitext.length - kept.length, sets };
}
