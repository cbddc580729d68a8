#!/usr/bin/env node
// `npm run build:cuda`: builds the CUDA addon build-cuda/Release/optical_cuda.node with cmake-js
// (CMakeLists.txt). Works offline: cmake-js takes the Node-API headers from node-api-headers /
// node-addon-api (package.json "binary.napi_versions") and /usr/include/node, never downloads.
//
// Without nvcc or cmake it says exactly what is missing and exits 1 (0 with --allow-fail, for
// optional install steps). After a build it checks that the addon links cudart statically and
// does not depend on libcuda (it must load on machines without a driver) and prints the build time.
//
// Options: --allow-fail  exit 0 when the toolkit is missing or the build fails
//          --clean       remove build-cuda/ first (full rebuild, e.g. to measure the build time)
//          --debug       Debug configuration (output build-cuda/Debug/)
//          --jobs N      parallel compile jobs (default: the number of cores)
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const allowFail = args.includes('--allow-fail');
const clean = args.includes('--clean');
const debug = args.includes('--debug');
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : availableParallelism();
const config = debug ? 'Debug' : 'Release';
const outDir = join(root, 'build-cuda');
const addon = join(outDir, config, 'optical_cuda.node');

function fail(message) {
  process.stderr.write(`build:cuda: ${message}\n`);
  if (allowFail) process.stderr.write('build:cuda: --allow-fail given, continuing without the CUDA addon\n');
  process.exit(allowFail ? 0 : 1);
}

if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs must be a positive integer, got ${args[jobsAt + 1]}`);

/** First executable named `name` on PATH, or null. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function findNvcc() {
  // An explicit CUDACXX is obeyed (no silent fallback to another toolkit).
  if (process.env.CUDACXX) {
    if (!existsSync(process.env.CUDACXX)) fail(`CUDACXX=${process.env.CUDACXX} does not exist: point it at nvcc of the CUDA 13 toolkit, or unset it`);
    return process.env.CUDACXX;
  }
  for (const c of [onPath('nvcc'), '/usr/local/cuda/bin/nvcc']) if (c && existsSync(c)) return c;
  return null;
}

const nvcc = findNvcc();
if (!nvcc) {
  fail('nvcc not found (looked at $CUDACXX, PATH and /usr/local/cuda/bin/nvcc): install the CUDA 13 ' +
    'toolkit (or set CUDACXX) to build the GPU backend; the CPU addon does not need it');
}
const nvccVersion = spawnSync(nvcc, ['--version'], { encoding: 'utf8' });
if (nvccVersion.status !== 0) fail(`${nvcc} --version failed: ${nvccVersion.stderr || nvccVersion.error?.message}`);
const release = /release (\d+)\.(\d+)/.exec(nvccVersion.stdout);
if (!release) fail(`could not read the CUDA version from "${nvcc} --version"`);
if (Number(release[1]) < 12) fail(`nvcc ${release[1]}.${release[2]} is too old: the addon targets CUDA ≥ 12 (sm_90 + static cudart)`);
if (!onPath('cmake')) fail('cmake not found on PATH (≥ 3.25 is needed for the CUDA addon)');

const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
if (!existsSync(cmakeJs)) fail('node_modules/cmake-js is missing: run npm ci first');

if (clean) rmSync(outDir, { recursive: true, force: true });

const cmakeArgs = [
  cmakeJs, 'build',
  '--out', outDir,
  '--config', config,
  '--parallel', String(jobs),
  `--CDCMAKE_CUDA_COMPILER=${nvcc}`,
  '--CDNODE_HEADERS_DIR=/usr/include/node',
];
process.stdout.write(`build:cuda: ${nvcc} (CUDA ${release[1]}.${release[2]}), ${jobs} jobs → ${addon}\n`);
const started = Date.now();
const run = spawnSync(process.execPath, cmakeArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: '/usr' } });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (run.status !== 0) fail(`cmake-js build failed after ${seconds} s (exit ${run.status ?? run.signal})`);
if (!existsSync(addon)) fail(`the build finished but ${addon} is missing`);

// The addon must not need the driver library or a shared cudart at load time.
const readelf = spawnSync('readelf', ['-d', addon], { encoding: 'utf8' });
if (readelf.status === 0) {
  const needed = [...readelf.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const bad = needed.filter((lib) => /^libcuda\.so|^libcudart\.so/.test(lib));
  if (bad.length > 0) fail(`${addon} depends on ${bad.join(', ')}: cudart must be static and libcuda never linked`);
  process.stdout.write(`build:cuda: NEEDED ${needed.join(', ')}\n`);
}
const mib = (statSync(addon).size / 2 ** 20).toFixed(1);
process.stdout.write(`build:cuda: built ${addon} (${mib} MiB) in ${seconds} s\n`);
