/**
 * Loads a ranking model folder written by `optical train-teacher` / `optical distill` (or any HF
 * BERT folder) as the right head: config.json's `optical.kind` says cross-encoder or bi-encoder; a
 * folder without it is read as a cross-encoder when it is a BertForSequenceClassification, else as
 * a bi-encoder (mean pooling needs no extra weights).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadEngineOptions } from '../models/engine/checkpoint.js';
import { CrossEncoder } from './cross-encoder.js';
import { BiEncoder } from './bi-encoder.js';
import type { RankingModel } from './ranking-model.js';

export async function loadRankingModel(dir: string, options: { maxLength?: number } & Pick<LoadEngineOptions, 'engine' | 'threads'> = {}): Promise<RankingModel> {
  let raw: Record<string, any>;
  try {
    raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new Error(`${dir}: cannot read config.json (${(err as Error).message}); expected a model folder with config.json, model.safetensors and tokenizer.json`);
  }
  const kind = raw.optical?.kind ?? (Array.isArray(raw.architectures) && raw.architectures.some((a: string) => a.endsWith('ForSequenceClassification')) ? 'cross-encoder' : 'bi-encoder');
  const maxLength = options.maxLength ?? raw.optical?.max_length;
  const engine = { engine: options.engine, threads: options.threads };
  if (kind === 'cross-encoder') return CrossEncoder.fromPretrained(dir, { maxLength, ...engine });
  if (kind === 'bi-encoder') return BiEncoder.fromPretrained(dir, { maxLength, temperature: raw.optical?.temperature, ...engine });
  throw new RangeError(`${dir}: config.json optical.kind must be 'cross-encoder' or 'bi-encoder', got ${JSON.stringify(kind)}`);
}
