#!/usr/bin/env node
// Builds one emulator program with g++ into a temporary directory and runs it:
//   kernels (default): test/cuda/emulator/emulate_kernels.cc, the OT kernels of native/cuda run by
//                      the host fiber emulator, compared with native/core;
//   nn:                test/cuda/emulator/emulate_nn.cc, the CUDA encoder engine (native/cuda/nn)
//                      run by the emulator, compared with the CPU engine (native/nn).
// Used by test/cuda/emulator.test.ts (both, one after the other); also handy by hand:
//   node test/cuda/emulator/build-and-run.mjs [kernels|nn]
// Exit code: the emulator's (0 = every scenario matched the CPU reference), 2 when g++ is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const program = process.argv[2] ?? 'kernels';
if (program !== 'kernels' && program !== 'nn') {
  process.stderr.write(`emulator: unknown program '${program}' (kernels | nn)\n`);
  process.exit(1);
}
const gxx = process.env.CXX ?? 'g++';
const probe = spawnSync(gxx, ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  process.stderr.write(`emulator: ${gxx} not found (${probe.error?.message ?? probe.stderr}); cannot build the kernel emulator\n`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'optical-cuda-emulator-'));
const exe = join(dir, 'emulate');
const sources = (dir) => readdirSync(join(root, 'native', dir)).filter((f) => f.endsWith('.cpp')).map((f) => join(root, 'native', dir, f));
const core = sources('core');
// The nn program also links the CPU engine (its reference), with the same flags as native/core.
const reference = program === 'nn' ? [...core, ...sources('nn')] : core;
// native/core (the reference) with its own flags (binding.gyp: reassociation for its vector loops,
// never finite-math); the kernels with strict IEEE evaluation, as nvcc compiles device code (no
// reassociation: a refactoring that keeps the operations keeps the bits).
const coreFlags = ['-fno-math-errno', '-fno-trapping-math', '-fno-signed-zeros', '-fassociative-math'];
const common = ['-std=c++20', '-O2', '-pthread', '-Wall', '-Wno-unknown-pragmas', '-I', join(root, 'native'), '-I', join(root, 'test', 'cuda', 'emulator')];
const units = [
  ...reference.map((src) => ({ src, flags: coreFlags })),
  { src: join(root, 'native', 'cuda', 'marginals.cc'), flags: coreFlags },
  { src: join(root, 'test', 'cuda', 'emulator', program === 'nn' ? 'emulate_nn.cc' : 'emulate_kernels.cc'), flags: ['-fno-math-errno'] },
];
const started = Date.now();
// The reference objects (native/core, native/nn, marginals.cc) are cached under
// node_modules/.cache/optical-cuda-emulator, keyed by the compiler, the flags and the content of
// every file of native/core, native/nn and marginals.* (headers included), so both programs and
// later runs compile them once; the emulator programs themselves are always compiled.
const cacheDir = join(root, 'node_modules', '.cache', 'optical-cuda-emulator');
const hash = createHash('sha256').update(probe.stdout).update(JSON.stringify([common, coreFlags]));
for (const d of ['core', 'nn']) {
  for (const f of readdirSync(join(root, 'native', d)).sort()) hash.update(f).update(readFileSync(join(root, 'native', d, f)));
}
for (const f of ['marginals.cc', 'marginals.h']) hash.update(f).update(readFileSync(join(root, 'native', 'cuda', f)));
const key = hash.digest('hex').slice(0, 16);
const cached = (src) => join(cacheDir, `${key}-${src.slice(root.length + 1).replace(/[/\\]/g, '_')}.o`);
// Compiled side by side, one g++ per core.
const jobs = Math.max(1, availableParallelism());
const objects = units.map((_, i) => join(dir, `${i}.o`));
let next = 0;
let reused = 0;
async function worker() {
  while (next < units.length) {
    const i = next++;
    const u = units[i];
    const cacheable = i < units.length - 1;
    if (cacheable && existsSync(cached(u.src))) {
      copyFileSync(cached(u.src), objects[i]);
      reused++;
      continue;
    }
    const status = await new Promise((done) => {
      spawn(gxx, [...common, ...u.flags, '-c', u.src, '-o', objects[i]], { cwd: root, stdio: 'inherit' }).on('close', done);
    });
    if (status === 0 && cacheable) {
      // (a temporary name, then a rename: another run may be filling the cache at the same time)
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached(u.src)}.${process.pid}`;
      copyFileSync(objects[i], tmp);
      renameSync(tmp, cached(u.src));
    }
    if (status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write(`emulator: build of ${u.src} failed (exit ${status})\n`);
      process.exit(1);
    }
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const build = spawnSync(gxx, ['-pthread', ...objects, '-ldl', '-o', exe], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`emulator: link failed (exit ${build.status})\n`);
  process.exit(1);
}
process.stdout.write(`emulator: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${reused} of ${units.length} objects from the cache)\n`);
const run = spawnSync(exe, [], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
