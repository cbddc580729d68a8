#!/usr/bin/env node
// Builds test/cuda/emulator/emulate_kernels.cc (the CUDA kernels of native/cuda run by the host fiber
// emulator, compared with native/core) with g++ into a temporary directory and runs it. Used by
// test/cuda/emulator.test.ts; also handy by hand: node test/cuda/emulator/build-and-run.mjs
// Exit code: the emulator's (0 = every scenario matched the CPU core), 2 when g++ is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const gxx = process.env.CXX ?? 'g++';
const probe = spawnSync(gxx, ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  process.stderr.write(`emulator: ${gxx} not found (${probe.error?.message ?? probe.stderr}); cannot build the kernel emulator\n`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'optical-cuda-emulator-'));
const exe = join(dir, 'emulate');
const core = readdirSync(join(root, 'native', 'core')).filter((f) => f.endsWith('.cpp')).map((f) => join(root, 'native', 'core', f));
// native/core (the reference) with its own flags (binding.gyp: reassociation for its vector loops,
// never finite-math); the kernels with strict IEEE evaluation, as nvcc compiles device code (no
// reassociation: a refactoring that keeps the operations keeps the bits).
const coreFlags = ['-fno-math-errno', '-fno-trapping-math', '-fno-signed-zeros', '-fassociative-math'];
const common = ['-std=c++20', '-O2', '-pthread', '-Wall', '-Wno-unknown-pragmas', '-I', join(root, 'native'), '-I', join(root, 'test', 'cuda', 'emulator')];
const units = [
  ...core.map((src) => ({ src, flags: coreFlags })),
  { src: join(root, 'native', 'cuda', 'marginals.cc'), flags: coreFlags },
  { src: join(root, 'test', 'cuda', 'emulator', 'emulate_kernels.cc'), flags: ['-fno-math-errno'] },
];
const started = Date.now();
const objects = [];
for (const [i, u] of units.entries()) {
  const obj = join(dir, `${i}.o`);
  const c = spawnSync(gxx, [...common, ...u.flags, '-c', u.src, '-o', obj], { cwd: root, stdio: 'inherit' });
  if (c.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`emulator: build of ${u.src} failed (exit ${c.status})\n`);
    process.exit(1);
  }
  objects.push(obj);
}
const build = spawnSync(gxx, ['-pthread', ...objects, '-o', exe], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`emulator: link failed (exit ${build.status})\n`);
  process.exit(1);
}
process.stdout.write(`emulator: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
const run = spawnSync(exe, [], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
