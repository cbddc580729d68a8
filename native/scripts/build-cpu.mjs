#!/usr/bin/env node
// Builds the CPU addon (build/Release/optical.node) with the node-gyp of node_modules, offline:
// --nodedir points at this Node's own headers (<prefix>/include/node), so nothing is downloaded.
//
//   node native/scripts/build-cpu.mjs               build into build/ (fails loudly)
//   node native/scripts/build-cpu.mjs --allow-fail  used by `npm install`: on failure print why and
//                                                   exit 0, so the pure-TS backend still works
//   node native/scripts/build-cpu.mjs --asan        ASan+UBSan build into build-asan/ (leaves build/ alone)
//   node native/scripts/build-cpu.mjs --tsan        ThreadSanitizer build into build-tsan/
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const allowFail = args.has('--allow-fail');
// The sanitizer builds: output folder and the flags that differ.
const SANITIZERS = {
  asan: { dir: 'build-asan', label: 'ASan+UBSan', flags: ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'] },
  tsan: { dir: 'build-tsan', label: 'TSan', flags: ['-fsanitize=thread'] },
};
const sanitizer = args.has('--asan') ? SANITIZERS.asan : args.has('--tsan') ? SANITIZERS.tsan : null;

function fail(message) {
  if (allowFail) {
    process.stderr.write(
      `\noptical: the native CPU addon was not built (${message}).\n` +
        'optical: continuing without it; the pure-TypeScript backend will be used. ' +
        'Run `npm run build:native` to see the full error.\n',
    );
    process.exit(0);
  }
  process.stderr.write(`optical: native build failed: ${message}\n`);
  process.exit(1);
}

let nodeGyp;
try {
  nodeGyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed in node_modules');
}
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  fail(`no Node headers under ${join(nodedir, 'include', 'node')}`);
}

if (sanitizer) buildSanitized(sanitizer);

const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs', jobs], {
  cwd: root,
  stdio: allowFail ? ['ignore', 'inherit', 'inherit'] : 'inherit',
});
if (r.error) fail(r.error.message);
if (r.status !== 0) fail(`node-gyp exited with ${r.status ?? r.signal}`);
const out = join(root, 'build', 'Release', 'optical.node');
if (!existsSync(out)) fail(`${out} is missing after the build`);
process.stdout.write(`optical: built ${out}\n`);

// A sanitizer build compiles the same sources as binding.gyp with g++ directly into
// <dir>/Release/optical.node: node-gyp can only build into ./build, and swapping directories would
// briefly remove the regular addon that other processes may be loading. -O1 keeps the kernels'
// vector loops (and their per-ISA levels) while staying debuggable.
function buildSanitized({ dir, label, flags: extra }) {
  const gyp = readFileSync(join(root, 'binding.gyp'), 'utf8');
  const sources = [...gyp.matchAll(/'(native\/[^']+\.cpp)'/g)].map((m) => m[1]);
  if (sources.length === 0) fail('no sources found in binding.gyp');
  const addonApi = createRequire(join(root, 'package.json'))('node-addon-api').include_dir;
  const outDir = join(root, dir, 'Release');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'optical.node');
  const flags = [
    '-std=c++17', '-shared', '-fPIC', '-pthread', '-O1', '-gdwarf-4', '-fno-omit-frame-pointer', ...extra,
    '-fno-math-errno', '-fno-trapping-math', '-fno-signed-zeros', '-fassociative-math', '-march=x86-64-v2',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DBUILDING_NODE_EXTENSION',
    `-I${join(nodedir, 'include', 'node')}`, `-I${join(root, addonApi)}`,
  ];
  process.stdout.write(`optical: g++ (${label}) ${sources.length} sources -> ${out}\n`);
  const r = spawnSync('g++', [...flags, ...sources.map((s) => join(root, s)), '-o', out], { cwd: root, stdio: 'inherit' });
  if (r.error) fail(r.error.message);
  if (r.status !== 0) fail(`g++ exited with ${r.status ?? r.signal}`);
  process.stdout.write(`optical: built ${out}\n`);
  process.exit(0);
}
