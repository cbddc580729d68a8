/**
 * Lexicon TSV as written by the data recipes: `source<TAB>target<TAB>weight` (weight optional,
 * default 1; '#' lines are comments). Sources are NFKC-lowercased; senses keep file order, repeated
 * pairs add their weights.
 */
import type { BilingualLexicon } from '../lexicon-types.js';
import { IrFormatError } from './format-error.js';
import { readFileLines, splitLines, type LineSource } from './lines.js';
import { parseNumberField } from './numbers.js';

async function collectLexicon(lines: LineSource, source: string): Promise<BilingualLexicon> {
  const lex: BilingualLexicon = new Map();
  for await (const batch of lines) {
    for (let b = 0; b < batch.lines.length; b++) {
      const text = batch.lines[b];
      const lineNumber = batch.firstLineNumber + b;
      if (text.trim() === '' || text.startsWith('#')) continue;
      const f = text.split('\t');
      if (f.length < 2 || f.length > 3) throw new IrFormatError(source, lineNumber, `lexicon line needs 'source<TAB>target[<TAB>weight]', got ${f.length} field(s)`);
      const src = f[0].normalize('NFKC').trim().toLowerCase();
      const term = f[1].normalize('NFKC').trim().toLowerCase();
      if (src === '' || term === '') throw new IrFormatError(source, lineNumber, 'empty source or target');
      const weight = f.length === 3 && f[2].trim() !== '' ? parseNumberField(f[2].trim(), 'weight', source, lineNumber, 0) : 1;
      let senses = lex.get(src);
      if (!senses) {
        senses = [];
        lex.set(src, senses);
      }
      const same = senses.find((s) => s.term === term);
      if (same) same.weight += weight;
      else senses.push({ term, weight });
    }
  }
  return lex;
}

export function readLexiconTsvFile(path: string): Promise<BilingualLexicon> {
  return collectLexicon(readFileLines(path), path);
}

export function parseLexiconTsv(text: string, source = '<lexicon>'): Promise<BilingualLexicon> {
  return collectLexicon(splitLines(text), source);
}
