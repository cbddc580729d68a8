/** npm run build:cuda says why it cannot build, and --allow-fail turns that into exit 0. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'scripts', 'build-cuda.mjs');

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
}

describe('native/scripts/build-cuda.mjs', () => {
  it('fails with the reason when the configured nvcc does not exist', () => {
    const r = run([], { CUDACXX: '/nonexistent/bin/nvcc' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CUDACXX=\/nonexistent\/bin\/nvcc does not exist/);
  });

  it('--allow-fail reports the same reason but exits 0', () => {
    const r = run(['--allow-fail'], { CUDACXX: '/nonexistent/bin/nvcc' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/does not exist[\s\S]*--allow-fail given/);
  });

  it('rejects a malformed --jobs', () => {
    const r = run(['--jobs', 'two'], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--jobs must be a positive integer/);
  });
});
