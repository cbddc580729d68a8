/**
 * Which optical produced a file: its package version and, when optical runs from a git checkout,
 * the commit of *optical's own* repository (not of the directory the command was started in — a
 * user running optical from their project folder would otherwise record their project's commit,
 * and outside any repository nothing). Installed as a package (no checkout), the commit is unknown
 * and the record says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../ot/backend.js';

export interface OpticalVersion {
  /** `version` of optical's package.json. */
  version: string;
  /** HEAD of the git repository that tracks optical's files, or null when it is not a checkout. */
  commit: string | null;
  /** Tracked files of optical changed since `commit` (null without a commit). */
  dirty: boolean | null;
  /** Where the numbers come from, in words. */
  source: string;
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Version record of the optical package rooted at `root` (exposed for tests; use opticalVersion). */
export function opticalVersionAt(root: string): OpticalVersion {
  let version = 'unknown';
  try {
    version = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    // keep 'unknown'
  }
  // A repository only describes optical when it tracks optical's package.json: an installed copy in
  // node_modules of some other repository is not tracked there (node_modules is ignored).
  const top = git(root, ['rev-parse', '--show-toplevel']);
  const tracked = top !== null && git(root, ['ls-files', '--error-unmatch', 'package.json']) !== null;
  const commit = tracked ? git(root, ['rev-parse', 'HEAD']) : null;
  if (!commit || !top) {
    return { version, commit: null, dirty: null, source: `installed package at ${root} (not a git checkout: commit unknown, version from package.json)` };
  }
  const status = git(root, ['status', '--porcelain', '--untracked-files=no', '--', '.']);
  const sub = relative(realpathSync(top), realpathSync(root));
  return { version, commit, dirty: status === null ? null : status !== '', source: `git checkout at ${top}${sub ? ` (optical in ${sub})` : ''}` };
}

let cached: OpticalVersion | undefined;

/** Version record of the running optical (computed once per process). */
export function opticalVersion(): OpticalVersion {
  cached ??= opticalVersionAt(packageRoot());
  return cached;
}

/** One line for `optical --version`. */
export function formatOpticalVersion(v: OpticalVersion): string {
  if (!v.commit) return `optical ${v.version} (${v.source})`;
  return `optical ${v.version} (commit ${v.commit.slice(0, 12)}${v.dirty ? ', with uncommitted changes' : ''}; ${v.source})`;
}
