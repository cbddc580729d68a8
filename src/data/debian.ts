/**
 * Access to files from Debian packages without root: use the installed copy when the package is
 * installed, else a per-user cache filled by `apt-get download` + `dpkg -x`. Recipes built on Debian
 * data (FreeDict, LibreOffice help) go through here so a missing package always produces the same
 * clear message naming the package and the commands that fetch it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where downloaded packages are extracted: $OPTICAL_CACHE or ~/.cache/optical. */
export function cacheDir(): string {
  return process.env.OPTICAL_CACHE ?? join(homedir(), '.cache', 'optical');
}

export interface DebianPackage {
  name: string;
  version: string;
  /** Directory that plays the role of `/` for this package's files (`/` when installed). */
  root: string;
  origin: 'installed' | 'cache';
}

export class MissingDebianPackageError extends Error {
  override name = 'MissingDebianPackageError';
  /** `message` replaces the standard text when a caller can say something more useful. */
  constructor(readonly packageName: string, readonly detail: string, message?: string) {
    super(
      message ??
        `Debian package '${packageName}' is not available (${detail}). Install it with 'sudo apt-get install ${packageName}', ` +
          `or without root: 'apt-get download ${packageName} && dpkg -x ${packageName}_*.deb ${join(cacheDir(), 'debian', packageName)}' ` +
          `(optical does the latter itself when downloads are allowed).`,
    );
  }
}

function installedVersion(name: string): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f', '${Status}\t${Version}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [status, version] = out.split('\t');
    return status.includes('installed') && !status.includes('not-installed') ? version : null;
  } catch {
    return null;
  }
}

/**
 * Names of the packages apt knows that start with `prefix` (`apt-cache pkgnames`, sorted), or null
 * when apt-cache cannot be run here. Empty when the package lists were never downloaded.
 */
export function aptPackageNames(prefix: string): string[] | null {
  if (!/^[a-z0-9][a-z0-9+.-]*$/.test(prefix)) throw new TypeError(`invalid Debian package name prefix '${prefix}'`);
  try {
    const out = execFileSync('apt-cache', ['pkgnames', prefix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(prefix)).sort();
  } catch {
    return null;
  }
}

export interface LocateOptions {
  /** A path inside the package (e.g. `usr/share/dictd/freedict-eng-swh.index`) that must exist. */
  probe: string;
  /** Download into the cache when not installed (default true). */
  download?: boolean;
}

/**
 * Finds a Debian package's files. Installed files win only when `probe` exists there (a package can
 * be "installed" with its docs excluded by dpkg path filters).
 */
export function locateDebianPackage(name: string, opts: LocateOptions): DebianPackage {
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) throw new TypeError(`invalid Debian package name '${name}'`);
  const version = installedVersion(name);
  if (version && existsSync(join('/', opts.probe))) return { name, version, root: '/', origin: 'installed' };
  const root = join(cacheDir(), 'debian', name);
  const versionFile = join(root, '.optical-version');
  if (existsSync(join(root, opts.probe)) && existsSync(versionFile)) {
    return { name, version: readFileSync(versionFile, 'utf8').trim(), root, origin: 'cache' };
  }
  if (opts.download === false) throw new MissingDebianPackageError(name, 'not installed and not in the optical cache');
  return downloadDebianPackage(name, opts.probe);
}

/** `apt-get download` into a temporary directory, then `dpkg -x` into the cache. */
export function downloadDebianPackage(name: string, probe?: string): DebianPackage {
  const tmp = mkdtempSync(join(tmpdir(), 'optical-deb-'));
  try {
    try {
      execFileSync('apt-get', ['download', name], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim().split('\n').pop() ?? '';
      throw new MissingDebianPackageError(name, `apt-get download failed: ${stderr || (err as Error).message}`);
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new MissingDebianPackageError(name, 'apt-get download produced no .deb file');
    const debPath = join(tmp, deb);
    const version = execFileSync('dpkg-deb', ['-f', debPath, 'Version'], { encoding: 'utf8' }).trim();
    const root = join(cacheDir(), 'debian', name);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execFileSync('dpkg', ['-x', debPath, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (probe && !existsSync(join(root, probe))) {
      throw new MissingDebianPackageError(name, `the downloaded package has no ${probe}`);
    }
    writeFileSync(join(root, '.optical-version'), version + '\n');
    return { name, version, root, origin: 'cache' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
