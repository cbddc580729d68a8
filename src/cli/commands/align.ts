/**
 * `optical align`: OT word alignment of real parallel text, with no model — a demonstration of the
 * Sinkhorn kernels on UDHR English ↔ X paragraphs. The cost between an English word e and a target
 * word x is 0 when a bilingual lexicon (CLDR single-word pairs from npm, FreeDict when its Debian
 * package is installed, plus a lexicon TSV if given)
 * translates e as x, else 1 − the character-trigram Dice similarity of the two words (names,
 * numbers and loanwords share spelling across languages), plus a small position term (translations
 * keep rough word order). Sinkhorn's plan is read as alignments (mutual argmax = high precision).
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs, rangeOption } from '../args.js';
import { sinkhornSync } from '../../ot/sinkhorn.js';
import { backendInfo } from '../../ot/backend.js';
import { alignmentsFromPlan } from '../../ot/align.js';
import { buildCldr } from '../../data/cldr.js';
import { buildFreedict } from '../../data/freedict.js';
import { readUdhrDeclaration, resolveUdhrLanguage } from '../../data/udhr.js';
import { tokenize, normalizeTerm } from '../../data/tokenize.js';
import { readLexicon } from '../../data/lexicon.js';

const usage = `usage: optical align [--lang sw] [--article 1] [--paragraph 0] [--eps 0.05] [--top 15] [--lexicon L.tsv] [--backend auto|cpu|js]

Aligns the words of a UDHR article paragraph in English with its translation in --lang by entropic
optimal transport (Sinkhorn) and prints the strongest alignments.`;

function trigrams(w: string): Set<string> {
  const s = `#${w}#`;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

function dice(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return (2 * inter) / (a.size + b.size || 1);
}

/** English–X word pairs of a lexicon file (read by the shared lexicon reader), normalised like the tokens. */
export function readLexiconTsv(path: string): [string, string][] {
  return readLexicon(path).toPairs().map((p) => [normalizeTerm(p.src), normalizeTerm(p.tgt)] as [string, string]);
}

export const command: Command = {
  name: 'align',
  summary: 'OT word alignment of a UDHR paragraph pair (Sinkhorn demonstration on real data)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      lang: { type: 'string', default: 'sw' },
      article: { type: 'string', default: '1' },
      paragraph: { type: 'string', default: '0' },
      eps: { type: 'string' },
      top: { type: 'string' },
      lexicon: { type: 'string' },
      backend: { type: 'string' },
    });
    const article = rangeOption('article', values.article, 1, { min: 1, max: 1000, int: true });
    const paragraph = rangeOption('paragraph', values.paragraph, 0, { min: 0, max: 1000, int: true });
    const eps = rangeOption('eps', values.eps, 0.05, { gt: 0, max: 1e6 });
    const top = rangeOption('top', values.top, 15, { min: 1, max: 1e6, int: true });
    const lang = await resolveUdhrLanguage(values.lang!);
    const en = readUdhrDeclaration('eng').articles.get(article)?.[paragraph];
    const xx = readUdhrDeclaration(lang.code).articles.get(article)?.[paragraph];
    if (!en || !xx) throw new UsageError(`UDHR article ${article} paragraph ${paragraph} is missing in English or in ${lang.code}`);

    const lexicon = new Set<string>();
    const cldr = await buildCldr({ lang: values.lang! });
    for (const p of cldr.lexicon) lexicon.add(`${p.src}\t${p.tgt}`);
    let sources = `${cldr.lexicon.length} CLDR pairs`;
    try {
      // Installed dictionaries only: a demonstration should not download anything.
      const fd = await buildFreedict({ lang: values.lang!, download: false });
      const pairs = fd.lexicon.toPairs();
      for (const p of pairs) lexicon.add(`${p.src}\t${p.tgt}`);
      sources += ` + ${pairs.length} FreeDict pairs`;
    } catch {
      sources += ' (FreeDict not installed)';
    }
    if (values.lexicon) for (const [e, x] of readLexiconTsv(values.lexicon)) lexicon.add(`${e}\t${x}`);

    const ew = tokenize(en).map((t) => t.text);
    const xw = tokenize(xx).map((t) => t.text);
    const n = ew.length;
    const m = xw.length;
    const eg = ew.map((w) => trigrams(normalizeTerm(w)));
    const xg = xw.map((w) => trigrams(normalizeTerm(w)));
    const cost = new Float32Array(n * m);
    let lexHits = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const inLex = lexicon.has(`${normalizeTerm(ew[i])}\t${normalizeTerm(xw[j])}`);
        if (inLex) lexHits++;
        const lexical = inLex ? 0 : 1 - dice(eg[i], xg[j]);
        const position = Math.abs(i / Math.max(1, n - 1) - j / Math.max(1, m - 1));
        cost[i * m + j] = 0.8 * lexical + 0.2 * position;
      }
    }
    const t0 = performance.now();
    const out = sinkhornSync({ rows: Int32Array.of(n), cols: Int32Array.of(m), cost }, { eps, tol: 1e-6, maxIter: 5000, backend: values.backend as never });
    const ms = performance.now() - t0;
    const info = backendInfo(values.backend as never);

    console.log(`UDHR article ${article}, paragraph ${paragraph}: English (${n} words) ↔ ${lang.name} [${lang.code}] (${m} words)`);
    console.log(`EN: ${en}`);
    console.log(`${lang.code.toUpperCase()}: ${xx}`);
    console.log(`cost: 0.8·(lexicon match ? 0 : 1 − trigram Dice) + 0.2·|relative position difference|; lexicon: ${sources}; ${lexHits} word pairs of this paragraph found in it`);
    console.log(`Sinkhorn (${info.active} backend): eps=${eps}, ${out.iterations[0]} iterations, marginal error ${out.error[0].toExponential(2)}, ${out.converged[0] ? 'converged' : 'NOT converged'}, <P,C>=${out.cost[0].toFixed(4)}, ${ms.toFixed(1)} ms`);
    console.log('');
    console.log('strength  mutual  English → target');
    for (const al of alignmentsFromPlan(out.plan, n, m).slice(0, top)) {
      console.log(`${al.strength.toFixed(3).padStart(8)}  ${al.mutual ? '  yes ' : '   no '}  ${ew[al.i]} → ${xw[al.j]}`);
    }
    return 0;
  },
};
