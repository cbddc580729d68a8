/**
 * The one place that initialises TensorFlow.js. Every module that needs tfjs imports `tf` from here
 * and awaits `initTf()` before its first op, so the backend choice is made once per process.
 *
 * Order: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional; only if the user
 * installed them — dynamic import so the package is not a dependency), then the WebAssembly backend
 * (loaded from node_modules by file path, no network), then the pure-JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Every backend name initTf accepts (for command-line checks). */
export const TF_BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface TfInitOptions {
  /** Force a backend instead of the automatic order; throws when it cannot be initialised. */
  backend?: BackendName;
}

let ready: Promise<BackendName> | null = null;

/** Initialises tfjs once and resolves to the name of the active backend. */
export function initTf(options: TfInitOptions = {}): Promise<BackendName> {
  const wanted = options.backend ?? (process.env.OPTICAL_TF_BACKEND as BackendName | undefined);
  if (wanted !== undefined && !TF_BACKENDS.includes(wanted)) {
    return Promise.reject(new RangeError(`backend must be 'tensorflow', 'wasm' or 'cpu', got '${wanted}'`));
  }
  if (ready === null) ready = pickBackend(wanted);
  return ready.then((name) => {
    if (wanted !== undefined && wanted !== name) {
      throw new Error(`tfjs already initialised with backend '${name}', cannot switch to '${wanted}'`);
    }
    return name;
  });
}

/** Name of the active backend, or null before initTf() resolved. */
export function activeBackend(): string | null {
  return ready === null ? null : tf.getBackend();
}

async function tryNodeBindings(): Promise<boolean> {
  // The package names are held in variables so TypeScript does not require them to be installed.
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return true;
    } catch {
      // not installed or its native library failed to load: try the next option
    }
  }
  return false;
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // Resolve the package's dist/ folder on disk: the default would fetch the .wasm over HTTP.
    const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    const base = pathToFileURL(join(distDir, '/')).pathname;
    wasm.setWasmPaths(base.endsWith('/') ? base : `${base}/`);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

async function pickBackend(wanted: BackendName | undefined): Promise<BackendName> {
  if (wanted === undefined || wanted === 'tensorflow') {
    if (await tryNodeBindings()) return finish('tensorflow');
    if (wanted === 'tensorflow') throw new Error('backend tensorflow requested but @tensorflow/tfjs-node(-gpu) is not usable');
  }
  if (wanted === undefined || wanted === 'wasm') {
    if (await tryWasm()) return finish('wasm');
    if (wanted === 'wasm') throw new Error('backend wasm requested but @tensorflow/tfjs-backend-wasm failed to initialise');
  }
  await tf.setBackend('cpu');
  return finish('cpu');
}

async function finish(name: BackendName): Promise<BackendName> {
  await tf.ready();
  return name;
}
