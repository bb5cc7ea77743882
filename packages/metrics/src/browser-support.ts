import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testdir } from '@guild/test-utils';

/*
 * Headless Chromium for the report's tests: the system's Chromium, started without a sandbox
 * or any background networking.
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Starts headless Chromium; `GUILD_CHROMIUM` names another binary. Throws if there is none. */
export function launchChromium(): Promise<Browser> {
  const executablePath = [process.env.GUILD_CHROMIUM, ...CANDIDATES].find((p): p is string => !!p && existsSync(p));
  if (!executablePath) throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}); set GUILD_CHROMIUM to one`);
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page showing an HTML file, with every request and script error it caused. */
export interface OpenedPage {
  page: Page;
  /** URLs of every request the page made, the page itself included. */
  requests: string[];
  /** Uncaught errors and console errors. */
  errors: string[];
}

/** Writes `html` to a temporary file and opens it in a new page of `browser`. */
export async function openHtml(browser: Browser, html: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const file = path.join(await testdir(), 'report.html');
  await writeFile(file, html);
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, errors };
}
