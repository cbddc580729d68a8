/**
 * `model.pretrained` of a compare: the encoder of an `optical pretrain` run, from which the teacher
 * is fine-tuned (and so every dense method starts). Before any training the run is checked against
 * this compare's test data, in the two ways the corpus was built (src/train/pretrain/corpus.ts):
 *  - by unit: no unit this compare evaluates (test units of its evaluated folds; every unit of its
 *    shift test) is among the units whose text entered the corpus, and no UDHR declaration of a
 *    compare language entered as another language's text;
 *  - by text: no line of corpus.txt (what the model and its tokenizer saw) equals a held-out query,
 *    document or document paragraph.
 * A violation is refused with what leaked, so a compare can never report numbers of a model that
 * pre-trained on its own test text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { textKey } from '../data/split.js';
import { resolveUdhrLanguage } from '../data/udhr.js';
import { readPretrainManifest, type PretrainManifest } from '../train/pretrain/pretrain.js';
import type { CompareConfig } from './config.js';
import type { ExperimentData } from './experiment-data.js';

/** The finished pre-training in `dir` (its manifest), or a clear error saying what is missing. */
export function pretrainedManifest(dir: string): PretrainManifest {
  if (!existsSync(dir)) throw new RangeError(`model.pretrained: ${dir} does not exist (run 'optical pretrain --config C' first; it writes runs/pretrain/<name>)`);
  const m = readPretrainManifest(dir);
  if (!m) throw new RangeError(`model.pretrained: ${dir} holds no finished 'optical pretrain' run (no complete manifest.json; rerun 'optical pretrain' with its config to finish it)`);
  for (const f of ['final/config.json', 'final/model.safetensors', 'final/tokenizer.json', 'corpus.txt']) {
    if (!existsSync(join(dir, f))) throw new RangeError(`model.pretrained: ${join(dir, f)} is missing`);
  }
  return m;
}

/** Checks that the pre-trained encoder never saw this compare's test text; returns its manifest and adds a note to the data. */
export async function checkPretrainedEncoder(config: CompareConfig, data: ExperimentData): Promise<PretrainManifest> {
  const dir = config.model.pretrained!;
  const m = pretrainedManifest(dir);
  const where = `model.pretrained (${dir})`;
  const sameLanguage = m.config.languages.includes(config.languages[0]);
  const included = m.corpus.includedUnits;
  // By unit.
  if (sameLanguage) {
    const tested = new Set(data.folds.flatMap((f) => f.testUnits));
    const overlap = included[config.data.test].filter((u) => tested.has(u));
    if (overlap.length > 0) {
      throw new RangeError(`${where}: its corpus holds text of ${overlap.length} ${config.data.test} unit(s) this compare tests (e.g. '${overlap[0]}'): pre-train with heldOut = this compare's data.test/folds/evalFolds`);
    }
    const shift = config.data.shiftTest;
    if (shift && included[shift].length > 0) {
      throw new RangeError(`${where}: its corpus holds text of ${included[shift].length} ${shift} unit(s), and this compare evaluates every ${shift} unit as its shift test: pre-train with heldOut.shiftTest = '${shift}'`);
    }
  }
  if (config.data.test === 'udhr' || config.data.shiftTest === 'udhr') {
    for (const lang of config.languages) {
      const code = (await resolveUdhrLanguage(lang)).code;
      if (m.corpus.udhrOther.includes(code)) throw new RangeError(`${where}: its corpus holds the UDHR declaration '${code}' (as another language's text), which this compare tests for '${lang}'`);
    }
  }
  // By text.
  const banned = new Set<string>();
  for (const f of data.folds) {
    for (const s of f.sets.values()) {
      for (const t of s.topics) banned.add(textKey(t.text));
      for (const d of s.collection) {
        banned.add(textKey(d.text));
        for (const p of d.text.split('\n')) if (p.trim()) banned.add(textKey(p));
      }
    }
  }
  const lines = readFileSync(join(dir, 'corpus.txt'), 'utf8').split('\n');
  const leaked = lines.filter((l) => l.trim() !== '' && banned.has(textKey(l)));
  if (leaked.length > 0) {
    throw new RangeError(`${where}: ${leaked.length} line(s) of its corpus.txt are test texts of this compare (e.g. ${JSON.stringify(leaked[0].slice(0, 80))}); pre-train with heldOut matching this compare's data block`);
  }
  data.notes.push(`Pre-trained encoder ${dir}: MLM on ${m.corpus.bySource ? Object.values(m.corpus.bySource).reduce((a, s) => a + s.lines, 0) : '?'} corpus lines (${m.corpus.tokens} tokens, sha256 ${m.corpus.sha256.slice(0, 12)}), `
    + `CS frequency ${(m.corpus.codeSwitch.csFrequency * 100).toFixed(2)} % of English tokens, ${m.config.train.steps} steps; checked: none of this compare's ${banned.size} held-out texts is in its corpus.`);
  return m;
}
