/**
 * `optical lexicon build|stats`: merge lexicon sources (FreeDict, CLDR, files, induction from
 * bitext) into one weighted TSV, and report size and coverage of a text.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readTextFile } from '../../ir/formats/lines.js';
import { basename, dirname } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { listOption, parseCommandArgs, rangeOption } from '../args.js';
import { isKnownLanguage } from '../../ir/language-codes.js';
import { englishBaseForms } from '../../data/inflect.js';
import { Lexicon, lexiconCoverage, readLexicon } from '../../data/lexicon.js';
import { stderrProgress } from '../../data/progress.js';
import { stopwordsFor } from '../../data/stopwords.js';

const usage = `usage: optical lexicon build --lang CODE --from SOURCES --out L.tsv [--top-k K]  (--lang is required)
       optical lexicon stats --lexicon L.tsv [--text FILE | --udhr] [--base-forms] [--lang CODE]

build: SOURCES is a comma-separated list, each optionally weighted with '@W' (default 1):
  freedict                 Debian FreeDict EN→X (dict-freedict-eng-X ∪ X-eng reversed)
  cldr                     CLDR single-word pairs (npm)
  file:PATH                lexicon TSV (en<TAB>x[<TAB>weight]) or MUSE text ('en x' per line)
  induce:PATH[:dice|ibm1]  induce from bitext (JSONL {src,tgt} or TSV src<TAB>tgt); default ibm1
  e.g. --from freedict,cldr@0.5,induce:runs/udhr-sw/folds/0/train.jsonl@0.5
Per-source weights are normalised per headword, summed with the given weights, and normalised again.

stats: headwords, pairs, senses per headword, multiword share, and coverage of English content
words of --text (or of the UDHR English text with --udhr); --base-forms lets inflected English
words match lemma entries ("rights" → "right").`;

async function loadSource(spec: string, lang: string): Promise<{ lexicon: Lexicon; weight: number }> {
  const at = spec.lastIndexOf('@');
  let weight = 1;
  let body = spec;
  if (at > 0 && /^[0-9.eE+-]+$/.test(spec.slice(at + 1))) {
    weight = Number(spec.slice(at + 1));
    body = spec.slice(0, at);
    if (!(weight > 0) || !Number.isFinite(weight)) throw new UsageError(`source '${spec}': weight must be a positive number`);
  }
  const progress = stderrProgress(`lexicon ${body.split(':')[0]}`);
  if (body === 'freedict') {
    const { buildFreedict } = await import('../../data/freedict.js');
    return { lexicon: (await buildFreedict({ lang, progress })).lexicon, weight };
  }
  if (body === 'cldr') {
    const { buildCldr } = await import('../../data/cldr.js');
    const r = await buildCldr({ lang, progress });
    return { lexicon: Lexicon.fromPairs(r.lexicon, 'en', lang, 'cldr'), weight };
  }
  if (body.startsWith('file:')) return { lexicon: readLexicon(body.slice(5), { tgtLang: lang, name: basename(body.slice(5)) }), weight };
  if (body.startsWith('induce:')) {
    const rest = body.slice(7);
    const m = /^(.*?)(?::(dice|ibm1))?$/.exec(rest)!;
    const { readBitext } = await import('../../data/readers.js');
    const { induceLexicon } = await import('../../data/induce.js');
    const pairs = readBitext(m[1], { tgtLang: lang });
    progress.log(`${pairs.length} pairs from ${m[1]}`);
    const lexicon = induceLexicon(pairs, { method: (m[2] as 'dice' | 'ibm1' | undefined) ?? 'ibm1', srcLang: 'en', tgtLang: lang, srcStopwords: stopwordsFor('en'), tgtStopwords: stopwordsFor(lang), progress });
    progress.done(`${lexicon.size} induced pairs over ${lexicon.headwords} headwords`);
    return { lexicon, weight };
  }
  throw new UsageError(`unknown lexicon source '${spec}' (freedict, cldr, file:PATH, induce:PATH[:dice|ibm1])`);
}

function describe(lex: Lexicon): string[] {
  const pairs = lex.toPairs();
  const multi = pairs.filter((p) => p.src.includes(' ') || p.tgt.includes(' ')).length;
  return [
    `headwords\t${lex.headwords}`,
    `pairs\t${lex.size}`,
    `senses_per_headword\t${(lex.size / Math.max(1, lex.headwords)).toFixed(3)}`,
    `multiword_pairs\t${multi}`,
  ];
}

export const command: Command = {
  name: 'lexicon',
  summary: 'build a merged bilingual lexicon (freedict, cldr, files, induced) or report its coverage',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        lang: { type: 'string' },
        from: { type: 'string' },
        out: { type: 'string' },
        'top-k': { type: 'string' },
        lexicon: { type: 'string' },
        text: { type: 'string' },
        udhr: { type: 'boolean', default: false },
        'base-forms': { type: 'boolean', default: false },
      },
      true,
    );
    const sub = positionals[0];
    if (values.lang !== undefined && !isKnownLanguage(values.lang)) throw new UsageError(`--lang '${values.lang}' is not a language code (e.g. sw, swh, om)`);
    if (sub === 'build') {
      // No default language: a lexicon for the wrong language is worse than a usage error.
      if (values.lang === undefined) throw new UsageError('--lang CODE is required (the target language of the lexicon, e.g. sw, om)');
      const lang = values.lang;
      const sources = listOption(values.from, []);
      if (sources.length === 0) throw new UsageError('--from needs at least one source');
      if (!values.out) throw new UsageError('--out L.tsv is required');
      const topK = rangeOption('top-k', values['top-k'], 0, { min: 1, max: 1e6, int: true });
      const parts = [];
      for (const s of sources) parts.push(await loadSource(s, lang));
      const merged = Lexicon.merge(parts, 'merged');
      if (values['top-k'] !== undefined) merged.prune(topK).normalize();
      mkdirSync(dirname(values.out), { recursive: true });
      writeFileSync(values.out, merged.toTsv());
      for (const line of describe(merged)) console.log(line);
      console.log(`wrote ${values.out}`);
      return 0;
    }
    if (sub === 'stats') {
      if (!values.lexicon) throw new UsageError('--lexicon L.tsv is required');
      const lang = values.lang ?? 'sw';
      let lex: Lexicon;
      try {
        lex = readLexicon(values.lexicon, { tgtLang: lang });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code) throw new UsageError(`--lexicon: cannot read '${values.lexicon}' (${(err as NodeJS.ErrnoException).code})`);
        throw err;
      }
      for (const line of describe(lex)) console.log(line);
      let text: string | null = null;
      if (values.text) text = readTextFile(values.text);
      else if (values.udhr) {
        const { readUdhrDeclaration } = await import('../../data/udhr.js');
        const en = readUdhrDeclaration('eng');
        text = [...en.preamble, ...[...en.articles.values()].flat()].join('\n');
      }
      if (text !== null) {
        const c = lexiconCoverage(text, lex, stopwordsFor('en'), values['base-forms'] ? englishBaseForms : undefined);
        console.log(`content_tokens\t${c.tokens}\ncovered_tokens\t${c.coveredTokens}\ntoken_coverage\t${c.tokenCoverage.toFixed(4)}`);
        console.log(`content_types\t${c.types}\ncovered_types\t${c.coveredTypes}\ntype_coverage\t${c.typeCoverage.toFixed(4)}`);
      }
      return 0;
    }
    throw new UsageError(sub ? `unknown sub-command '${sub}' (build or stats)` : 'missing sub-command (build or stats)');
  },
};
