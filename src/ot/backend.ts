/**
 * Backend loader: cuda → cpu → js (pure TypeScript), in the manner of sharp's loader: every build is
 * tried, every failure is kept with its reason, and `backendInfo()` reports them all.
 *
 * Choice: the `backend` option of a call, else OPTICAL_BACKEND=auto|cuda|cpu|js, else auto.
 * An explicit choice that is unavailable throws (with the reason); auto falls back and says why once
 * on stderr (set OPTICAL_QUIET=1 to silence).
 * Addon paths: OPTICAL_NATIVE_PATH (cpu addon) and OPTICAL_CUDA_PATH override the defaults
 * build/Release/optical.node and build-cuda/Release/optical_cuda.node under the package root.
 * The CPU kernels run at the best x86-64 level the CPU supports (baseline, x86-64-v3 = AVX2+FMA,
 * x86-64-v4 = AVX-512); OPTICAL_ISA=baseline|x86-64-v3|x86-64-v4 forces a lower one (not a higher),
 * and backendInfo().isa reports the choice.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CudaProbe, IsaInfo, NativeAddon } from './native-addon.js';
import type { BackendChoice, BackendName } from './types.js';

export interface BackendAttempt {
  backend: BackendName;
  path?: string;
  ok: boolean;
  reason: string;
}

export interface BackendInfo {
  /** The backend `auto` resolves to. */
  active: BackendName;
  /** Where the choice came from. */
  requested: BackendChoice;
  attempts: BackendAttempt[];
  /** Native worker threads (0 for js). */
  threads: number;
  /** The instruction-set level of the CPU kernels (when the CPU addon loaded; OPTICAL_ISA forces a
   * lower one, e.g. to test the AVX2 path on an AVX-512 machine). */
  isa?: IsaInfo;
  cuda?: CudaProbe;
}

const require = createRequire(import.meta.url);

/** Directory that holds optical's package.json (works from src/ under vitest and from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'optical') return dir;
      } catch { /* keep walking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('optical: cannot find the package root (package.json named "optical")');
    dir = up;
  }
}

interface Loaded {
  addons: Partial<Record<'cuda' | 'cpu', NativeAddon>>;
  attempts: BackendAttempt[];
  cuda?: CudaProbe;
  isa?: IsaInfo;
}

let loaded: Loaded | undefined;
let warned = false;

function tryLoad(path: string): { addon?: NativeAddon; reason: string } {
  if (!existsSync(path)) return { reason: `not built (${path} does not exist)` };
  try {
    const addon = require(path) as NativeAddon;
    if (typeof addon.sinkhornSync !== 'function') return { reason: `${path} does not export sinkhornSync` };
    return { addon, reason: 'loaded' };
  } catch (err) {
    return { reason: `failed to load ${path}: ${(err as Error).message}` };
  }
}

function load(): Loaded {
  if (loaded) return loaded;
  const root = packageRoot();
  const attempts: BackendAttempt[] = [];
  const addons: Loaded['addons'] = {};
  let cuda: CudaProbe | undefined;

  const cudaPath = resolve(process.env.OPTICAL_CUDA_PATH ?? join(root, 'build-cuda', 'Release', 'optical_cuda.node'));
  const c = tryLoad(cudaPath);
  if (c.addon) {
    try {
      cuda = c.addon.probe?.();
    } catch (err) {
      cuda = { available: false, deviceCount: 0, devices: [], driverVersion: 0, runtimeVersion: 0, reason: `probe() threw: ${(err as Error).message}` };
    }
    if (cuda?.available) {
      addons.cuda = c.addon;
      attempts.push({ backend: 'cuda', path: cudaPath, ok: true, reason: `${cuda.deviceCount} device(s): ${cuda.devices.map((d) => `${d.name} (sm_${d.computeCapability.replace('.', '')})`).join(', ')}` });
    } else {
      attempts.push({ backend: 'cuda', path: cudaPath, ok: false, reason: `addon loads but no usable device: ${cuda?.reason ?? 'no probe()'}` });
    }
  } else {
    attempts.push({ backend: 'cuda', path: cudaPath, ok: false, reason: c.reason });
  }

  const cpuPath = resolve(process.env.OPTICAL_NATIVE_PATH ?? join(root, 'build', 'Release', 'optical.node'));
  const p = tryLoad(cpuPath);
  let isa: IsaInfo | undefined;
  if (p.addon) {
    addons.cpu = p.addon;
    isa = p.addon.isa?.();
    const level = isa ? `, ${isa.active}${isa.forced ? ' (forced by OPTICAL_ISA)' : ''}${isa.note ? ` (${isa.note})` : ''}` : '';
    attempts.push({ backend: 'cpu', path: cpuPath, ok: true, reason: `${p.addon.threads()} threads${level}` });
  } else {
    attempts.push({ backend: 'cpu', path: cpuPath, ok: false, reason: p.reason + ' — run `npm run build:native`' });
  }
  attempts.push({ backend: 'js', ok: true, reason: 'pure TypeScript (always available, slow)' });
  loaded = { addons, attempts, cuda, isa };
  return loaded;
}

function requestedBackend(choice?: BackendChoice): BackendChoice {
  const raw = choice ?? (process.env.OPTICAL_BACKEND as BackendChoice | undefined) ?? 'auto';
  if (!['auto', 'cuda', 'cpu', 'js'].includes(raw)) {
    throw new RangeError(`backend must be 'auto', 'cuda', 'cpu' or 'js' (option backend or OPTICAL_BACKEND), got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** Resolves a backend choice to an addon (or undefined for the pure-TS backend). */
export function resolveBackend(choice?: BackendChoice): { name: BackendName; addon?: NativeAddon } {
  const want = requestedBackend(choice);
  if (want === 'js') return { name: 'js' };
  const l = load();
  if (want === 'cuda' || want === 'cpu') {
    const addon = l.addons[want];
    if (!addon) {
      const why = l.attempts.filter((a) => a.backend === want).map((a) => a.reason).join('; ');
      throw new Error(`optical: the ${want} backend is not available: ${why}`);
    }
    return { name: want, addon };
  }
  for (const name of ['cuda', 'cpu'] as const) {
    const addon = l.addons[name];
    if (addon) return { name, addon };
  }
  if (!warned && !process.env.OPTICAL_QUIET) {
    warned = true;
    const why = l.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`).join('\n  ');
    process.stderr.write(`optical: using the pure-TypeScript OT backend (slow); native backends unavailable:\n  ${why}\n`);
  }
  return { name: 'js' };
}

/** Which backend is active, which were tried, and why each was or was not used. */
export function backendInfo(choice?: BackendChoice): BackendInfo {
  const requested = requestedBackend(choice);
  const l = load();
  const { name, addon } = resolveBackend(choice);
  return { active: name, requested, attempts: l.attempts.map((a) => ({ ...a })), threads: addon ? addon.threads() : 0, isa: l.isa, cuda: l.cuda };
}

/** For tests: forget what was loaded (e.g. after changing OPTICAL_NATIVE_PATH). */
export function resetBackends(): void {
  loaded = undefined;
  warned = false;
}
