#!/usr/bin/env node
// Builds the CPU addon (build/Release/optical.node) with the node-gyp of node_modules, offline:
// --nodedir points at this Node's own headers (<prefix>/include/node), so nothing is downloaded.
//
//   node native/scripts/build-cpu.mjs               build into build/ (fails loudly)
//   node native/scripts/build-cpu.mjs --allow-fail  used by `npm install`: on failure print why and
//                                                   exit 0, so the pure-TS backend still works
//   node native/scripts/build-cpu.mjs --asan        ASan+UBSan build into build-asan/ (leaves build/ alone)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const allowFail = args.has('--allow-fail');
const asan = args.has('--asan');

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

// node-gyp always builds into ./build; the sanitizer build therefore runs in build/ after moving a
// regular build aside, then swaps the directories back, so build/Release/optical.node survives.
const buildDir = join(root, 'build');
const asanDir = join(root, 'build-asan');
const parked = join(root, 'build.regular');
if (asan) {
  rmSync(parked, { recursive: true, force: true });
  if (existsSync(buildDir)) renameSync(buildDir, parked);
  rmSync(asanDir, { recursive: true, force: true });
}

const env = { ...process.env, OPTICAL_SANITIZE: asan ? '1' : '0' };
const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs', jobs], {
  cwd: root,
  env,
  stdio: allowFail ? ['ignore', 'inherit', 'inherit'] : 'inherit',
});

if (asan) {
  if (existsSync(buildDir)) renameSync(buildDir, asanDir);
  if (existsSync(parked)) renameSync(parked, buildDir);
  else mkdirSync(buildDir, { recursive: true });
}

if (r.error) fail(r.error.message);
if (r.status !== 0) fail(`node-gyp exited with ${r.status ?? r.signal}`);
const out = join(asan ? asanDir : buildDir, 'Release', 'optical.node');
if (!existsSync(out)) fail(`${out} is missing after the build`);
process.stdout.write(`optical: built ${out}\n`);
