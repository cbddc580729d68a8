#!/usr/bin/env node
// `npm test`: lint, typecheck, then the vitest suite. Prints one plain closing line
// "N passed, N failed[, N skipped]" (CI reads that line, not vitest's own summary).
// Lint and typecheck count as one check each. Extra arguments go to vitest (e.g. a file filter).
// Environment: OPTICAL_TEST_REPORT=<file> also writes the counts as JSON (used by .ci/run).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function step(label, cmd, args) {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: false });
  const ok = r.status === 0;
  if (ok) passed++; else failed++;
  process.stdout.write(`== ${label}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`}\n`);
  return ok;
}

const npx = 'npx';
if (extra.length === 0) {
  step('lint', npx, ['eslint', '.']);
  step('typecheck', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit']);
}

const dir = mkdtempSync(join(tmpdir(), 'optical-vitest-'));
const report = join(dir, 'report.json');
process.stdout.write(`\n== vitest\n`);
// vitest's own entry run by this node, not through npx: no shell in between (a shell cannot run
// under the ThreadSanitizer runtime that test:tsan preloads), and one process less.
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], { stdio: 'inherit' });
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + json.numTodoTests;
  // A file that fails to load has no tests but is a failure.
  for (const suite of json.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
} catch (err) {
  process.stdout.write(`could not read the vitest report (${err.message}); vitest exit ${r.status}\n`);
  failed++;
}
if (r.status !== 0 && failed === 0) failed++;
rmSync(dir, { recursive: true, force: true });

if (process.env.OPTICAL_TEST_REPORT) {
  writeFileSync(process.env.OPTICAL_TEST_REPORT, JSON.stringify({ passed, failed, skipped }));
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exitCode = failed > 0 ? 1 : 0;
