/**
 * Opens a local page in headless Chromium (Debian `chromium`, never a downloaded browser) through
 * playwright-core and reports what a reader's browser would: console errors, page errors, every
 * request that left file://, and a screenshot. The launch flags keep Chromium off the network (the
 * test machines have none, and without them it stalls on connection attempts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OPTICAL_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser test cannot run here, or null when it can. In CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} is not installed (Debian package 'chromium', listed in .ci/debian-packages)`;
  if (process.env.CI) throw new Error(`${why}: required in CI`);
  return why;
}

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface PageVisit {
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests to anything but file:// (a self-contained page makes none). */
  externalRequests: string[];
}

/** Loads `file` and runs `inspect` on the loaded page; the profile folder is fresh and removed afterwards. */
export async function visitPage<T>(file: string, inspect: (page: Page) => Promise<T>): Promise<PageVisit & { result: T }> {
  const profile = mkdtempSync(join(tmpdir(), 'optical-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 }, timeout: 60_000 });
  const visit: PageVisit = { consoleErrors: [], pageErrors: [], externalRequests: [] };
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') visit.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => visit.pageErrors.push(e.message));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) visit.externalRequests.push(r.url()); });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const result = await inspect(page);
    return { ...visit, result };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
