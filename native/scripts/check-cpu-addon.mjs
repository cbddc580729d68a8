#!/usr/bin/env node
// CI check (.ci/run): the CPU addon exists, loads, exports the NativeAddon contract and solves one
// tiny problem correctly. Exits non-zero with the reason otherwise.
// OPTICAL_NATIVE_PATH selects another build (e.g. build-asan/Release/optical.node).
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const path = resolve(root, process.env.OPTICAL_NATIVE_PATH ?? 'build/Release/optical.node');

function die(reason) {
  process.stderr.write(`check-cpu-addon: ${reason}\n`);
  process.exit(1);
}

let addon;
try {
  addon = createRequire(import.meta.url)(path);
} catch (err) {
  die(`cannot load ${path}: ${err.message}`);
}
for (const fn of ['threads', 'sinkhornSync', 'sinkhorn', 'costMatricesSync', 'costMatrices', 'otLossSync', 'otLoss']) {
  if (typeof addon[fn] !== 'function') die(`${path} does not export ${fn}()`);
}
if (addon.backend !== 'cpu') die(`backend is ${JSON.stringify(addon.backend)}, expected 'cpu'`);

// 2×2 problem with uniform marginals: the plan's marginals must be (1/2, 1/2) and the cheap
// diagonal must carry most of the mass at this eps.
const options = {
  eps: 0.1, maxIter: 500, tol: 1e-6, checkEvery: 10, method: 'auto', errorNorm: 'l1',
  rho: Infinity, epsInit: 0.1, epsDecay: 1, threads: 0,
};
try {
  const r = addon.sinkhornSync({ rows: Int32Array.of(2), cols: Int32Array.of(2), cost: Float32Array.of(0, 1, 1, 0) }, options);
  const p = r.plan;
  const rowErr = Math.abs(p[0] + p[1] - 0.5) + Math.abs(p[2] + p[3] - 0.5);
  if (!(r.converged[0] === 1 && rowErr < 1e-5 && p[0] > 0.49 && Number.isFinite(r.value[0]))) {
    die(`tiny sinkhorn gave a wrong answer: plan=${Array.from(p)} converged=${r.converged[0]} value=${r.value[0]}`);
  }
  const a = await addon.sinkhorn({ rows: Int32Array.of(2), cols: Int32Array.of(2), cost: Float32Array.of(0, 1, 1, 0) }, options);
  if (a.plan[0] !== p[0]) die('async sinkhorn differs from sync');
} catch (err) {
  die(`tiny sinkhorn threw: ${err.message}`);
}
process.stdout.write(`check-cpu-addon: ok (${path}, ${addon.threads()} threads, version ${addon.version})\n`);
