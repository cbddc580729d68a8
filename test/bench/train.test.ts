/**
 * Correctness of the training-step benchmark harness (not its speed): a tiny shape, one timed step
 * per row. Every engine's row has the documented JSON fields with consistent numbers, a row that
 * cannot run says why, the targets are evaluated from the rows, bad options are usage errors, and
 * the PyTorch row runs when /usr/bin/python3 has torch (in CI it must).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as benchCommand } from '../../src/cli/commands/bench.js';
import { UsageError } from '../../src/cli/command.js';
import { nativeEngineClass } from '../../src/models/engine/index.js';
import { evaluateTargets, FAMILIES, GEOMETRIES, parseTrainBenchArgs, stepFlops, type TrainBenchReport, type TrainBenchRow } from '../../bench/nn/step.js';

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = torch.status === 0;

describe('optical bench train', () => {
  it('checks its options before any work (usage errors naming the option)', () => {
    expect(parseTrainBenchArgs([])).toMatchObject({ geometries: ['tiny', 'small', 'base'], threads: [1, 2], engines: ['native', 'tfjs', 'torch', 'cuda'], vocab: 30522, precision: 'fp32' });
    expect(() => parseTrainBenchArgs(['--precision', 'fp16'])).toThrow(/--precision must be fp32, tf32 or bf16, got 'fp16'/);
    expect(() => parseTrainBenchArgs(['--geometries', 'huge'])).toThrow(/--geometries: unknown geometry 'huge' \(known: tiny, small, base\)/);
    expect(() => parseTrainBenchArgs(['--engines', 'jax'])).toThrow(/--engines: unknown engine 'jax'/);
    expect(() => parseTrainBenchArgs(['--threads', '0'])).toThrow(UsageError);
    expect(() => parseTrainBenchArgs(['--steps', '1.5'])).toThrow(/--steps must be an integer/);
    expect(() => parseTrainBenchArgs(['--budget', '0'])).toThrow(/--budget must be > 0/);
  });

  it('counts the encoder\'s matrix products of a step as 3 × forward', () => {
    // bert-base 8 × 128: forward 12 · (8·T·H² + 4·T·H·I + 4·B·L²·H) with T = 1024.
    const T = 1024;
    expect(stepFlops(GEOMETRIES.base.config, 8, 128)).toBe(3 * 12 * (8 * T * 768 ** 2 + 4 * T * 768 * 3072 + 4 * 8 * 128 ** 2 * 768));
  });

  it('evaluates the targets from the rows (native vs PyTorch at equal threads, native 1 thread vs tfjs)', () => {
    const row = (engine: TrainBenchRow['engine'], threads: number, msPerStep: number): TrainBenchRow => ({ geometry: 'tiny', batch: 16, tokens: 64, threads, engine, msPerStep });
    expect(evaluateTargets([row('native', 1, 10), row('torch', 1, 20), row('tfjs', 1, 40), row('native', 2, 10), row('torch', 2, 12)])).toEqual([
      'tiny 1 thread: native 2.00× PyTorch (target 1.5×) MET',
      'tiny 2 threads: native 1.20× PyTorch (target 1.5×) MISS',
      'tiny: native (1 thread) 4.0× tfjs-wasm (target 5×) MISS',
    ]);
  });

  it.skipIf(!hasTorch && !process.env.CI)(`runs every engine on a tiny step and writes the documented JSON${hasTorch ? '' : ` (skipped: /usr/bin/python3 cannot import torch: ${torch.stderr.trim().split('\n').pop()})`}`, async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'optical-bench-train-')), 'train.json');
    const lines: string[] = [];
    const log = console.log;
    console.log = (l: string) => { lines.push(l); };
    try {
      expect(await benchCommand.run(['train', '--geometries', 'tiny', '--batch', '2', '--length', '8', '--vocab', '64', '--steps', '1', '--threads', '1,2', '--json', json])).toBe(0);
    } finally {
      console.log = log;
    }
    const report = JSON.parse(readFileSync(json, 'utf8')) as TrainBenchReport;
    expect(report.machine.logicalCores).toBeGreaterThan(0);
    expect(report.rows.map((r) => `${r.engine}/${r.threads}`).sort()).toEqual(['cuda/0', 'native/1', 'native/2', 'tfjs/1', 'tfjs/2', 'torch/1', 'torch/2']);
    // One roofline line for the geometry, naming the device model; with a GPU row, its share of it.
    expect(report.rooflines).toHaveLength(1);
    expect(report.rooflines[0]).toMatch(/^tiny: roofline [\d.e+-]+ ms\/step on H100 SXM \(model\), fp32 GEMMs/);
    expect(lines.join('\n')).toContain(report.rooflines[0]);
    const gpuRow = report.rows.find((r) => r.engine === 'cuda')!;
    const gpu = nativeEngineClass('cuda');
    if (!gpu.NnModel) {
      expect(gpuRow.error).toBe(`no GPU row: ${gpu.reason}`);
      expect(report.rooflines[0]).toMatch(/no GPU row$/);
    } else expect(report.rooflines[0]).toMatch(/GPU row .* ms = \d+% of the roofline$/);
    for (const r of report.rows) {
      expect(r).toMatchObject({ geometry: 'tiny', batch: 2, tokens: 8 });
      if (r.engine === 'cuda' && !gpu.NnModel) continue;
      if (r.engine === 'tfjs' && r.threads === 2) {
        expect(r.error).toMatch(/one thread/);
        continue;
      }
      expect(r.error, `${r.engine}/${r.threads}`).toBeUndefined();
      expect(r.msPerStep!).toBeGreaterThan(0);
      expect(r.msPerStepMin!).toBeLessThanOrEqual(r.msPerStep!);
      expect(r.tokensPerSecond!).toBeCloseTo(16 / (r.msPerStep! / 1000), 6);
      expect(r.gflops!).toBeCloseTo(stepFlops(GEOMETRIES.tiny.config, 2, 8) / (r.msPerStep! / 1000) / 1e9, 6);
      expect(r.sinkhornIterations!).toBeGreaterThan(0);
      expect(r.parameters).toBe(report.rows.find((x) => x.engine === 'native')!.parameters);
      const shares = Object.values(r.share!).reduce((a, b) => a + (b ?? 0), 0);
      expect(shares).toBeCloseTo(1, 6);
      for (const k of Object.keys(r.share!)) expect(FAMILIES).toContain(k);
    }
    expect(report.rows.find((r) => r.engine === 'torch' && r.threads === 2)!.detail).toMatch(/torch .*, 2 threads/);
    expect(report.targets.length).toBe(3);
    expect(lines.join('\n')).toMatch(/targets \(benchmark, not tests\)/);
  }, 180_000);
});
