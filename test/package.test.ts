/**
 * The published entry points: `import 'optical'` with plain node (compiled JS from dist/, built by
 * `npm ci` through the prepare script) and the `optical` bin.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

describe('package entry points', () => {
  it('exports resolve to built files', () => {
    expect(existsSync(pkg.exports['.'].import)).toBe(true);
    expect(existsSync(pkg.bin.optical)).toBe(true);
  });

  it('import("optical") works with plain node and solves a problem', () => {
    const code = `import { sinkhornSync, backendInfo } from 'optical';
      const out = sinkhornSync({ rows: Int32Array.of(2), cols: Int32Array.of(2), cost: Float32Array.of(0, 1, 1, 0) }, { eps: 0.01 });
      console.log(JSON.stringify({ plan: Array.from(out.plan), active: backendInfo().active }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, OPTICAL_QUIET: '1' } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.plan[0]).toBeCloseTo(0.5, 5);
    expect(out.plan[1]).toBeCloseTo(0, 5);
  });

  it('the optical bin lists its commands', () => {
    const r = spawnSync(process.execPath, [pkg.bin.optical, 'help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const cmd of ['align', 'distill', 'eval', 'bm25', 'data', 'codeswitch', 'train-teacher', 'compare', 'bench']) expect(r.stdout).toContain(cmd);
  });
});
