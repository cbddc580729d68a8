#!/usr/bin/env node
// `npm run test:asan`: the native tests (test/native) against the ASan+UBSan build
// (build-asan/Release/optical.node, made by `npm run build:asan`), with the sanitizer runtimes
// preloaded into node (node itself is not instrumented, so ASan must be loaded first).
// Reuses test/run-all.mjs, which prints the closing "N passed, N failed" line and honours
// OPTICAL_TEST_REPORT.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const addon = join(root, 'build-asan', 'Release', 'optical.node');

function runtime(name) {
  const r = spawnSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' });
  const path = (r.stdout ?? '').trim();
  return path && path !== name && existsSync(path) ? path : null;
}

function giveUp(reason) {
  process.stderr.write(`test:asan: ${reason}\n`);
  if (process.env.OPTICAL_TEST_REPORT) writeFileSync(process.env.OPTICAL_TEST_REPORT, JSON.stringify({ passed: 0, failed: 1, skipped: 0 }));
  process.stdout.write('\n0 passed, 1 failed, 0 skipped\n');
  process.exit(1);
}

if (!existsSync(addon)) {
  const b = spawnSync(process.execPath, [join(root, 'native', 'scripts', 'build-cpu.mjs'), '--asan'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0 || !existsSync(addon)) giveUp('could not build build-asan/Release/optical.node (npm run build:asan)');
}
const asan = runtime('libasan.so');
const ubsan = runtime('libubsan.so');
if (!asan) giveUp('g++ does not provide libasan.so');

const env = {
  ...process.env,
  OPTICAL_NATIVE_PATH: addon,
  LD_PRELOAD: [asan, ubsan, process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // node's own allocations are not freed at exit (not our leaks); V8 needs its own signal handlers.
  ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
const r = spawnSync(process.execPath, [join(root, 'test', 'run-all.mjs'), 'test/native'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
