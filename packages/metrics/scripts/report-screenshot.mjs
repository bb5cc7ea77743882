// Regenerates docs/report.png: the HTML report of a realistic 12-task run (agents and shell
// tasks, a lock wait on the database, a flaky task retried, a timeout and the task it held up
// skipped), simulated on the virtual clock and photographed in headless Chromium.
//
//   pnpm --filter @guild/metrics build && node packages/metrics/scripts/report-screenshot.mjs
//
// GUILD_CHROMIUM names another Chromium binary (default /usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ResourceLocks, createPlan, simulate } from '@guild/core';
import { chromium } from 'playwright-core';
import { computeMetrics, renderReport } from '../dist/index.js';

const out = fileURLToPath(new URL('../../../docs/report.png', import.meta.url));
const started = Date.UTC(2025, 5, 2, 9, 30, 0);

const specs = [
  { id: 'install', title: 'Install dependencies', run: 'pnpm install --frozen-lockfile', estimate: 38.4 },
  { id: 'db-migrate', title: 'Migrate the database', run: 'pnpm db:migrate', resources: ['db'], estimate: 52 },
  { id: 'db-seed', title: 'Seed fixtures', run: 'pnpm db:seed', resources: ['db'], estimate: 31.5 },
  { id: 'api-login', title: 'Login API', agent: 'claude-code', prompt: 'Implement POST /login', dependsOn: ['install'], estimate: 214 },
  { id: 'web-login', title: 'Login page', agent: 'codex', prompt: 'Build the login form', dependsOn: ['install'], estimate: 186 },
  { id: 'lint', title: 'Lint', run: 'pnpm lint', dependsOn: ['install'], estimate: 41 },
  { id: 'typecheck', title: 'Type-check', run: 'pnpm typecheck', dependsOn: ['install'], estimate: 57 },
  { id: 'unit', title: 'Unit tests (flaky)', run: 'pnpm test', dependsOn: ['api-login', 'db-seed'], retries: 1, estimate: 73 },
  { id: 'security', title: 'Security review', agent: 'claude-code', prompt: 'Audit the auth flow', dependsOn: ['api-login'], estimate: 128 },
  { id: 'e2e', title: 'End-to-end tests', run: 'pnpm e2e', dependsOn: ['web-login', 'db-seed'], timeout: 150, estimate: 240 },
  { id: 'docs', title: 'API docs', agent: 'codex', prompt: 'Document /login', dependsOn: ['api-login'], estimate: 95 },
  { id: 'release', title: 'Tag the release', run: 'pnpm release', dependsOn: ['unit', 'e2e', 'security'], estimate: 12 },
];

const plan = createPlan(specs, { root: os.tmpdir(), file: 'release.yaml' });
const { events } = await simulate(plan, {
  concurrency: 4,
  recordEvents: true,
  outcomes: (task, attempt) =>
    task.id === 'unit' && attempt === 1 ? { outcome: 'failed', exitCode: 1, error: '2 tests failed' } : { outcome: 'succeeded', exitCode: 0 },
});
const metrics = computeMetrics({
  events: events.map((e) => ({ ...e, at: e.at + started })),
  plan,
  runId: '01JWQ3Z7K2M8RELEASE',
  conflicts: new ResourceLocks().conflicts(plan),
});
const html = renderReport(metrics, { source: 'release.yaml', generatedAt: new Date(started + 3_600_000) });

const file = path.join(os.tmpdir(), `guild-report-${process.pid}.html`);
await writeFile(file, html);
const browser = await chromium.launch({
  executablePath: process.env.GUILD_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(file).href);
  await page.hover('#plot rect.bar[data-task="unit"][data-attempt="1"]');
  mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await rm(file, { force: true });
}
