// Provenance: manifests record optical's own version and commit, wherever the command was started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatOpticalVersion, opticalVersion, opticalVersionAt } from '../../src/data/provenance.js';
import { importBitext } from '../../src/data/import-bitext.js';

const repoRoot = resolve('.');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
let dir: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
/** A throwaway repository with one commit of `files`. */
function repo(name: string, files: Record<string, string>): { path: string; head: string } {
  const path = join(dir, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(path, f, '..'), { recursive: true });
    writeFileSync(join(path, f), text);
  }
  git(path, 'init', '-q');
  git(path, 'add', '-A');
  git(path, 'commit', '-qm', 'init');
  return { path, head: git(path, 'rev-parse', 'HEAD') };
}
/** optical's own commit as git sees it, or null when this copy is not a checkout. */
function ownCommit(): string | null {
  try {
    git(repoRoot, 'ls-files', '--error-unmatch', 'package.json');
    return git(repoRoot, 'rev-parse', 'HEAD');
  } catch {
    return null;
  }
}

beforeAll(() => { dir = realpathSync(mkdtempSync(join(tmpdir(), 'optical-provenance-'))); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('opticalVersion', () => {
  it("records optical's commit, not that of the directory the command runs in (another repository, or none)", () => {
    const other = repo('user-project', { 'README': 'not optical\n' });
    const outside = mkdtempSync(join(tmpdir(), 'optical-no-repo-'));
    const here = process.cwd();
    try {
      for (const cwd of [other.path, outside]) {
        process.chdir(cwd);
        // Not cached: the answer must not depend on cwd.
        const v = opticalVersionAt(repoRoot);
        expect(v.version).toBe(pkg.version);
        expect(v.commit).toBe(ownCommit());
        expect(v.commit).not.toBe(other.head);
      }
    } finally {
      process.chdir(here);
      rmSync(outside, { recursive: true, force: true });
    }
    expect(opticalVersion()).toEqual(opticalVersionAt(repoRoot));
  });

  it('an installed copy (no checkout) has no commit and says so', () => {
    const copy = join(dir, 'installed');
    mkdirSync(copy);
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: 'optical', version: '9.8.7' }));
    const v = opticalVersionAt(copy);
    expect(v).toEqual({ version: '9.8.7', commit: null, dirty: null, source: `installed package at ${copy} (not a git checkout: commit unknown, version from package.json)` });
    expect(formatOpticalVersion(v)).toBe(`optical 9.8.7 (${v.source})`);
  });

  it("a copy in another repository's ignored node_modules is not that repository's commit", () => {
    const app = repo('app', { '.gitignore': 'node_modules/\n', 'index.js': '' });
    const inside = join(app.path, 'node_modules', 'optical');
    mkdirSync(inside, { recursive: true });
    writeFileSync(join(inside, 'package.json'), JSON.stringify({ name: 'optical', version: '1.2.3' }));
    expect(opticalVersionAt(inside).commit).toBeNull();
  });

  it('optical tracked in a subfolder of a repository (monorepo): that HEAD, and local edits show as dirty', () => {
    const mono = repo('mono', { 'tools/optical/package.json': JSON.stringify({ name: 'optical', version: '0.0.1' }), 'other/x.txt': 'x' });
    const root = join(mono.path, 'tools', 'optical');
    expect(opticalVersionAt(root)).toEqual({ version: '0.0.1', commit: mono.head, dirty: false, source: `git checkout at ${mono.path} (optical in tools/optical)` });
    writeFileSync(join(mono.path, 'other', 'x.txt'), 'changed outside optical');
    expect(opticalVersionAt(root).dirty).toBe(false);
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'optical', version: '0.0.2' }));
    expect(opticalVersionAt(root)).toMatchObject({ version: '0.0.2', commit: mono.head, dirty: true });
    expect(formatOpticalVersion(opticalVersionAt(root))).toBe(`optical 0.0.2 (commit ${mono.head.slice(0, 12)}, with uncommitted changes; git checkout at ${mono.path} (optical in tools/optical))`);
  });

  it('data recipe manifests carry it', () => {
    const tsv = join(dir, 'b.tsv');
    writeFileSync(tsv, 'water\tmaji\n');
    importBitext({ tsv, tgtLang: 'sw', outDir: join(dir, 'import') });
    const manifest = JSON.parse(readFileSync(join(dir, 'import', 'manifest.json'), 'utf8'));
    expect(manifest.optical).toEqual(opticalVersion());
    expect(Object.keys(manifest).slice(0, 2)).toEqual(['recipe', 'optical']);
  });
});
