#!/usr/bin/env node
// `npm run test:asan` / `npm run test:tsan`: the native tests (test/native, test/nn) against a sanitizer build
// of the CPU addon (build-asan/ or build-tsan/, made on demand by build-cpu.mjs --asan / --tsan),
// with the sanitizer runtime preloaded into node (node itself is not instrumented, so the runtime
// must be loaded first).
//   node native/scripts/test-sanitized.mjs asan|tsan [vitest filter...]
// Reuses test/run-all.mjs, which prints the closing "N passed, N failed" line and honours
// OPTICAL_TEST_REPORT. A sanitizer report fails the run (halt_on_error / exitcode), so a data race
// or a memory error cannot pass unnoticed.
//
// TSan: only the addon is instrumented; it sees its own threads (the kernel thread pool), the libuv
// worker that runs async jobs and the JS thread through the intercepted pthread calls and fd
// synchronisation. ASLR is switched off for the run (setarch -R) because the TSan of g++ 12 cannot
// map its shadow memory under the high-entropy ASLR of recent kernels.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [kind, ...filters] = process.argv.slice(2);

const KINDS = {
  asan: {
    dir: 'build-asan',
    runtimes: ['libasan.so', 'libubsan.so'],
    env: {
      // node's own allocations are not freed at exit (not our leaks); V8 needs its own signal handlers.
      ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  },
  tsan: {
    dir: 'build-tsan',
    runtimes: ['libtsan.so'],
    env: {
      // Any report ends the process with a failing exit code; V8's signal handlers stay in place.
      // report_signal_unsafe=0: node's own signal handlers call malloc. The suppressions cover the
      // host's uninstrumented threads only (see tsan.supp).
      TSAN_OPTIONS: process.env.TSAN_OPTIONS ??
        `halt_on_error=1:exitcode=66:history_size=4:second_deadlock_stack=1:report_signal_unsafe=0:suppressions=${join(root, 'native', 'scripts', 'tsan.supp')}`,
    },
    prefix: ['setarch', [process.arch === 'x64' ? 'x86_64' : process.arch, '-R']],
  },
};
const spec = KINDS[kind];

function giveUp(reason) {
  process.stderr.write(`test:${kind ?? '?'}: ${reason}\n`);
  if (process.env.OPTICAL_TEST_REPORT) writeFileSync(process.env.OPTICAL_TEST_REPORT, JSON.stringify({ passed: 0, failed: 1, skipped: 0 }));
  process.stdout.write('\n0 passed, 1 failed, 0 skipped\n');
  process.exit(1);
}

if (!spec) giveUp(`usage: test-sanitized.mjs asan|tsan [vitest filter...] (got ${JSON.stringify(kind)})`);

function runtime(name) {
  const r = spawnSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' });
  const path = (r.stdout ?? '').trim();
  return path && path !== name && existsSync(path) ? path : null;
}

const addon = join(root, spec.dir, 'Release', 'optical.node');
if (!existsSync(addon)) {
  const b = spawnSync(process.execPath, [join(root, 'native', 'scripts', 'build-cpu.mjs'), `--${kind}`], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0 || !existsSync(addon)) giveUp(`could not build ${spec.dir}/Release/optical.node (npm run build:${kind})`);
}
const preload = spec.runtimes.map(runtime);
if (!preload[0]) giveUp(`g++ does not provide ${spec.runtimes[0]}`);

// Reports name the addon's frames as optical.node+0xOFFSET (the runtime does not symbolise a module
// loaded this way); `addr2line -f -C -e <dir>/Release/optical.node 0xOFFSET` gives function and line.
const env = {
  ...process.env,
  ...spec.env,
  OPTICAL_NATIVE_PATH: addon,
  LD_PRELOAD: [...preload, process.env.LD_PRELOAD].filter(Boolean).join(':'),
};
const testArgs = [join(root, 'test', 'run-all.mjs'), ...(filters.length ? filters : ['test/native', 'test/nn'])];
const [cmd, args] = spec.prefix ? [spec.prefix[0], [...spec.prefix[1], process.execPath, ...testArgs]] : [process.execPath, testArgs];
const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
if (r.error) giveUp(`${cmd}: ${r.error.message}`);
process.exit(r.status ?? 1);
