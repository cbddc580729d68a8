/**
 * Starts TensorFlow.js for the tfjs-ops peer: the wasm backend (what a Node user without
 * @tensorflow/tfjs-node can get), with the .wasm binaries loaded from the installed package's dist/
 * directory. When wasm cannot start, falls back to the pure-JS cpu backend and says so, because the two
 * differ by an order of magnitude and a table must not mix them silently.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');

export interface TfjsSetup {
  tf: Tf;
  backend: string;
  /** Human-readable description (backend, SIMD/threads, or why it fell back). */
  note: string;
}

let cached: Promise<TfjsSetup> | null = null;

/** Initialises tfjs once per process (tfjs keeps global state). */
export function initTfjs(): Promise<TfjsSetup> {
  cached ??= start();
  return cached;
}

async function start(): Promise<TfjsSetup> {
  const tf = await import('@tensorflow/tfjs');
  let wasmProblem: string;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    wasm.setWasmPaths(dist);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return {
        tf,
        backend: 'wasm',
        note: `tfjs ${tf.version.tfjs} wasm backend (SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : 'single-threaded'})`,
      };
    }
    wasmProblem = 'tf.setBackend("wasm") returned false';
  } catch (err) {
    wasmProblem = (err as Error).message;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return {
    tf,
    backend: 'cpu',
    note: `tfjs ${tf.version.tfjs} cpu backend (FALLBACK: wasm backend failed: ${wasmProblem})`,
  };
}
