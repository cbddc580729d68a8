/**
 * Reads a compare config from a JSON file, or by the name of a config shipped with optical
 * (src/compare/configs/<name>.json, found from the package root so it works from src/ and dist/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../ot/backend.js';
import { validateCompareConfig, type CompareConfig } from './config.js';

export function shippedConfigDir(): string {
  return join(packageRoot(), 'src', 'compare', 'configs');
}

export function shippedConfigNames(): string[] {
  const dir = shippedConfigDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

/** Loads and validates a config from a path or a shipped name (e.g. `demo-sw`). */
export function loadCompareConfig(pathOrName: string): CompareConfig {
  let path = pathOrName;
  if (!existsSync(path)) {
    const shipped = join(shippedConfigDir(), `${pathOrName}.json`);
    if (!/[/\\]|\.json$/.test(pathOrName) && existsSync(shipped)) path = shipped;
    else throw new RangeError(`config '${pathOrName}' not found (a JSON file, or one of the shipped configs: ${shippedConfigNames().join(', ')})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TypeError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return validateCompareConfig(raw, path);
}
