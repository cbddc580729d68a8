/**
 * StepSpec checks for the TypeScript side (the tfjs engine; the native addon re-checks everything
 * in C++ with the same messages): every problem is a TypeError / RangeError naming the field, e.g.
 * `inputs[1].ids has 4095 entries, expected batch·length = 4096`.
 */
import type { BertConfig } from '../bert-config.js';
import { isRobertaFamily } from '../bert-config.js';
import type { EncodeInput, Heads, LossTerm, PooledRef, StepSpec } from './types.js';
import { rowLengths } from './input.js';

const KINDS = ['infonce', 'infonce-target', 'bce', 'mse', 'cosine', 'mlm', 'ot'];

function int(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function typed<T>(v: unknown, ctor: { new (n: number): T; name: string }, name: string): T {
  if (!(v instanceof (ctor as unknown as new (...a: never[]) => unknown))) {
    throw new TypeError(`${name} must be a${ctor.name.startsWith('Int') || ctor.name.startsWith('Uint') ? 'n' : ''} ${ctor.name}, got ${v === undefined ? 'undefined' : (v as object)?.constructor?.name ?? typeof v}`);
  }
  return v as T;
}

function length(got: number, want: number, name: string, what: string): void {
  if (got !== want) throw new RangeError(`${name} has ${got} entries, expected ${what} = ${want}`);
}

function finite(a: Float32Array, name: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new RangeError(`${name}[${i}] is not finite (${a[i]})`);
}

export function checkEncodeInput(input: EncodeInput, config: BertConfig, name: string): void {
  if (input === null || typeof input !== 'object') throw new TypeError(`${name} must be an object, got ${String(input)}`);
  const batch = int(input.batch, `${name}.batch`, 1, 2 ** 31 - 1);
  const len = int(input.length, `${name}.length`, 1, 2 ** 31 - 1);
  const ids = typed(input.ids, Int32Array, `${name}.ids`);
  const mask = typed(input.mask, Uint8Array, `${name}.mask`);
  const offset = isRobertaFamily(config) ? config.padTokenId + 1 : 0;
  const room = config.maxPositionEmbeddings - offset;
  if (len > room) throw new RangeError(`${name}.length ${len} exceeds max_position_embeddings ${room}${offset ? ` (after the RoBERTa offset of ${offset})` : ''}`);
  const n = batch * len;
  length(ids.length, n, `${name}.ids`, 'batch·length');
  length(mask.length, n, `${name}.mask`, 'batch·length');
  if (input.types !== undefined) length(typed(input.types, Int32Array, `${name}.types`).length, n, `${name}.types`, 'batch·length');
  for (let i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= config.vocabSize) throw new RangeError(`${name}.ids[${i}] = ${ids[i]} is out of range [0, ${config.vocabSize}) (the vocabulary size)`);
    if (mask[i] > 1) throw new RangeError(`${name}.mask[${i}] must be 0 or 1, got ${mask[i]}`);
    if (input.types && (input.types[i] < 0 || input.types[i] >= config.typeVocabSize)) {
      throw new RangeError(`${name}.types[${i}] = ${input.types[i]} is out of range [0, ${config.typeVocabSize}) (type_vocab_size)`);
    }
  }
  rowLengths(input).forEach((c, b) => {
    if (c === 0) throw new RangeError(`${name}.mask row ${b} has no real token (every row needs at least one 1)`);
  });
}

function checkLayer(layer: number | undefined, config: BertConfig, name: string): void {
  if (layer === undefined) return;
  const N = config.numHiddenLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer > N) {
    throw new RangeError(`${name} must be a hidden-state index in [0, ${N}] (0 = embeddings, ${N} = last layer), got ${layer}`);
  }
}

function checkInputIndex(v: unknown, spec: StepSpec, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v < 0 || v >= spec.inputs.length) throw new RangeError(`${name} must be an index into inputs [0, ${spec.inputs.length}), got ${v}`);
  return v;
}

function checkPooled(r: PooledRef, spec: StepSpec, config: BertConfig, name: string): number {
  if (r === null || typeof r !== 'object') throw new TypeError(`${name} must be an object, got ${String(r)}`);
  const i = checkInputIndex(r.input, spec, `${name}.input`);
  if (r.pooling !== 'mean' && r.pooling !== 'cls') throw new RangeError(`${name}.pooling must be 'mean' or 'cls', got '${String(r.pooling)}'`);
  checkLayer(r.layer, config, `${name}.layer`);
  return i;
}

function checkPositive(positive: Int32Array, n: number, limit: number, name: string, what: string): void {
  typed(positive, Int32Array, name);
  length(positive.length, n, name, 'the number of queries');
  for (let i = 0; i < n; i++) {
    if (positive[i] < 0 || positive[i] >= limit) throw new RangeError(`${name}[${i}] = ${positive[i]} is out of range [0, ${limit}) (${what})`);
  }
}

function checkTemperature(t: number, name: string): void {
  if (typeof t !== 'number' || !(Number.isFinite(t) && t > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${t}`);
}

/** Checks a StepSpec against a model; throws naming the first bad field. */
export function checkStepSpec(spec: StepSpec, config: BertConfig, heads: Heads): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`spec must be an object, got ${String(spec)}`);
  if (!Array.isArray(spec.inputs)) throw new TypeError('spec.inputs must be an array');
  if (!Array.isArray(spec.terms)) throw new TypeError('spec.terms must be an array');
  if (spec.inputs.length === 0) throw new RangeError('inputs must hold at least one input');
  if (spec.terms.length === 0) throw new RangeError('terms must hold at least one loss term');
  if (typeof spec.training !== 'boolean') throw new TypeError(`spec.training must be a boolean, got ${String(spec.training)}`);
  int(spec.seed, 'spec.seed', 0, 2 ** 53 - 1);
  spec.inputs.forEach((input, i) => checkEncodeInput(input, config, `inputs[${i}]`));
  const used = new Array<boolean>(spec.inputs.length).fill(false);
  const H = config.hiddenSize;
  spec.terms.forEach((t: LossTerm, k) => {
    const name = `terms[${k}]`;
    if (t === null || typeof t !== 'object') throw new TypeError(`${name} must be an object`);
    if (t.weight !== undefined && !Number.isFinite(t.weight)) throw new RangeError(`${name}.weight must be a finite number, got ${t.weight}`);
    if (!KINDS.includes(t.kind)) throw new RangeError(`${name}.kind '${String(t.kind)}' is not a loss term (supported: ${KINDS.join(', ')})`);
    switch (t.kind) {
      case 'infonce': {
        const q = checkPooled(t.queries, spec, config, `${name}.queries`);
        const d = checkPooled(t.docs, spec, config, `${name}.docs`);
        used[q] = used[d] = true;
        checkPositive(t.positive, spec.inputs[q].batch, spec.inputs[d].batch, `${name}.positive`, `the documents of inputs[${d}]`);
        checkTemperature(t.temperature, `${name}.temperature`);
        break;
      }
      case 'infonce-target': {
        const q = checkPooled(t, spec, config, name);
        used[q] = true;
        typed(t.targets, Float32Array, `${name}.targets`);
        if (t.targets.length === 0 || t.targets.length % H !== 0) {
          throw new RangeError(`${name}.targets has ${t.targets.length} entries, expected a positive multiple of hiddenSize = ${H}`);
        }
        finite(t.targets, `${name}.targets`);
        checkPositive(t.positive, spec.inputs[q].batch, t.targets.length / H, `${name}.positive`, 'the rows of targets');
        checkTemperature(t.temperature, `${name}.temperature`);
        break;
      }
      case 'mse':
      case 'cosine': {
        const q = checkPooled(t, spec, config, name);
        used[q] = true;
        length(typed(t.target, Float32Array, `${name}.target`).length, spec.inputs[q].batch * H, `${name}.target`, 'batch·hiddenSize');
        finite(t.target, `${name}.target`);
        break;
      }
      case 'bce': {
        const i = checkInputIndex(t.input, spec, `${name}.input`);
        used[i] = true;
        if (!heads.classifier) throw new RangeError(`${name} (bce) needs the classifier head, but the model has no classifier.weight / classifier.bias`);
        length(typed(t.labels, Float32Array, `${name}.labels`).length, spec.inputs[i].batch, `${name}.labels`, 'batch');
        t.labels.forEach((v, j) => {
          if (!(v >= 0 && v <= 1)) throw new RangeError(`${name}.labels[${j}] must be in [0, 1], got ${v}`);
        });
        break;
      }
      case 'mlm': {
        const i = checkInputIndex(t.input, spec, `${name}.input`);
        used[i] = true;
        if (!heads.mlm) throw new RangeError(`${name} (mlm) needs the MLM head, but the model has no cls.predictions.* tensors`);
        const input = spec.inputs[i];
        length(typed(t.labels, Int32Array, `${name}.labels`).length, input.batch * input.length, `${name}.labels`, 'batch·length');
        t.labels.forEach((v, j) => {
          if (v !== -100 && (v < 0 || v >= config.vocabSize)) throw new RangeError(`${name}.labels[${j}] = ${v} must be -100 (ignored) or a token id in [0, ${config.vocabSize})`);
        });
        break;
      }
      case 'ot': {
        const i = checkInputIndex(t.input, spec, `${name}.input`);
        used[i] = true;
        checkLayer(t.layer, config, `${name}.layer`);
        const input = spec.inputs[i];
        length(typed(t.rows, Int32Array, `${name}.rows`).length, input.batch, `${name}.rows`, 'batch');
        let total = 0;
        t.rows.forEach((r, j) => {
          if (r < 1) throw new RangeError(`${name}.rows[${j}] must be >= 1, got ${r}`);
          total += r;
        });
        // Worded as native/core's checks, which the native engine runs.
        const sized = (v: Float32Array | undefined, field: string, want: number, what: string) => {
          if (v === undefined) return;
          typed(v, Float32Array, `${name}.${field}`);
          if (v.length !== want) throw new RangeError(`${name}.${field} has length ${v.length}, expected ${what} = ${want}`);
        };
        sized(t.teacher, 'teacher', total * H, 'Σ rows·dim');
        finite(t.teacher, `${name}.teacher`);
        sized(t.a, 'a', total, 'Σ rows');
        sized(t.b, 'b', rowLengths(input).reduce((s, v) => s + v, 0), 'Σ cols');
        break;
      }
    }
  });
  used.forEach((u, i) => {
    if (!u) throw new RangeError(`inputs[${i}] is not used by any loss term`);
  });
}
