import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seededRandom, type TaskSpec } from '@guild/core';
import { removeTestdirs } from '@guild/test-utils';
import { launchChromium, openHtml } from './browser-support';
import { computeMetrics } from './compute';
import { duration, factor, percent } from './format';
import { renderReport } from './report';
import { handRun, simulatedRun, type SampleRun } from './test-support';
import type { RunMetrics } from './types';

/** The page's own, inside functions run in the page (this package compiles without DOM types). */
declare function getComputedStyle(element: unknown): { fill: string; backgroundColor: string };

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await removeTestdirs();
});

const metricsOf = (run: SampleRun, runId?: string): RunMetrics =>
  computeMetrics({ events: run.events, plan: run.plan, conflicts: run.conflicts, ...(runId ? { runId } : {}) });

interface DrawnBar {
  task: string;
  attempt: number;
  slot: number;
  outcome: string;
  start: number;
  end: number;
  x: number;
  width: number;
  y: number;
  fill: string;
}

function drawnBars(page: Page): Promise<DrawnBar[]> {
  return page.$$eval('#plot rect.bar', (rects) =>
    rects.map((r) => ({
      task: r.getAttribute('data-task')!,
      attempt: Number(r.getAttribute('data-attempt')),
      slot: Number(r.getAttribute('data-slot')),
      outcome: r.getAttribute('data-outcome')!,
      start: Number(r.getAttribute('data-start')),
      end: Number(r.getAttribute('data-end')),
      x: Number(r.getAttribute('x')),
      width: Number(r.getAttribute('width')),
      y: Number(r.getAttribute('y')),
      fill: getComputedStyle(r).fill,
    })),
  );
}

/** Checks that every bar sits at x0 + start * k and is (end - start) * k wide; returns k. */
function expectProportional(bars: DrawnBar[]): number {
  const first = bars.reduce((a, b) => (b.start < a.start ? b : a));
  const last = bars.reduce((a, b) => (b.start > a.start ? b : a));
  const k = (last.x - first.x) / (last.start - first.start);
  const x0 = first.x - first.start * k;
  expect(k).toBeGreaterThan(0);
  for (const b of bars) {
    expect(b.x).toBeCloseTo(x0 + b.start * k, 2);
    expect(b.width).toBeCloseTo(Math.max(1, (b.end - b.start) * k), 2);
  }
  return k;
}

describe('the HTML report of the hand-worked run', () => {
  let m: RunMetrics;
  let opened: Awaited<ReturnType<typeof openHtml>>;
  beforeAll(async () => {
    m = metricsOf(await handRun());
    opened = await openHtml(browser, renderReport(m, { source: 'plan.yaml' }));
  });

  it('draws one lane per slot and one bar per attempt, in its slot, with its times', async () => {
    const { page } = opened;
    expect(await page.locator('#plot g.lane').count()).toBe(m.slots);
    expect(await page.locator('#lane-labels text').allTextContents()).toEqual(['slot 1', 'slot 2', 'slot 3', 'slot 4']);
    const bars = await drawnBars(page);
    expect(bars).toHaveLength(m.attempts);
    const expected = m.tasks.flatMap((t) => t.attempts.map((a) => ({ task: t.id, attempt: a.attempt, slot: a.slot, outcome: a.outcome, start: a.start, end: a.end })));
    expect(bars.map(({ task, attempt, slot, outcome, start, end }) => ({ task, attempt, slot, outcome, start, end }))).toEqual(expected);
    // Lanes are stacked in slot order at equal distances.
    const yOf = new Map(bars.map((b) => [b.slot, b.y]));
    expect(yOf.get(2)! - yOf.get(1)!).toBeCloseTo(yOf.get(3)! - yOf.get(2)!, 5);
  });

  it('places bars proportionally to their times, the whole run filling the width', async () => {
    const bars = await drawnBars(opened.page);
    const k = expectProportional(bars);
    const plotWidth = Number(await opened.page.getAttribute('#plot', 'width'));
    expect(m.wall * k).toBeGreaterThan(plotWidth * 0.9);
    expect(m.wall * k).toBeLessThan(plotWidth);
  });

  it('colours bars by outcome, as the legend shows', async () => {
    const { page } = opened;
    const bars = await drawnBars(page);
    const colours = new Map<string, Set<string>>();
    for (const b of bars) colours.set(b.outcome, (colours.get(b.outcome) ?? new Set()).add(b.fill));
    expect([...colours.keys()].sort()).toEqual(['failed', 'succeeded']);
    for (const [outcome, fills] of colours) {
      expect(fills.size).toBe(1);
      const legend = await page.$eval(`[data-legend="${outcome}"]`, (el) => getComputedStyle(el).backgroundColor);
      expect([...fills][0]).toBe(legend);
    }
    expect(colours.get('failed')).not.toEqual(colours.get('succeeded'));
    const legends = await page.$$eval('[data-legend]', (els) => els.map((el) => [el.getAttribute('data-legend'), getComputedStyle(el).backgroundColor]));
    const distinct = new Set(legends.filter(([o]) => ['succeeded', 'failed', 'timed-out', 'cancelled'].includes(o!)).map(([, c]) => c));
    expect(distinct.size).toBe(4);
  });

  it('shows the lock wait hatched before the bar it held back', async () => {
    const { page } = opened;
    const waits = await page.$$eval('#plot rect.wait', (rects) =>
      rects.map((r) => ({ task: r.getAttribute('data-task'), x: Number(r.getAttribute('x')), width: Number(r.getAttribute('width')), y: Number(r.getAttribute('y')), fill: r.getAttribute('fill') })),
    );
    const bars = await drawnBars(page);
    const k = expectProportional(bars);
    const b = bars.find((x) => x.task === 'b')!;
    expect(waits).toHaveLength(1);
    const [wait] = waits;
    expect(wait).toMatchObject({ task: 'b', fill: 'url(#hatch-lock)' });
    // It runs from when b was held back (0) to when it started (4), in b's lane, under its bar.
    expect(wait!.x + wait!.width).toBeCloseTo(b.x, 2);
    expect(wait!.width).toBeCloseTo(m.tasks.find((t) => t.id === 'b')!.wait.lock * k, 2);
    expect(wait!.y).toBeGreaterThan(b.y);
    expect(wait!.y).toBeLessThan(b.y + 30);
  });

  it('shows the details of an attempt on hover', async () => {
    const { page } = opened;
    await expect(page.locator('#tooltip').isHidden()).resolves.toBe(true);
    await page.hover('#plot rect.bar[data-task="c"][data-attempt="1"]');
    await page.locator('#tooltip').waitFor({ state: 'visible' });
    expect(await page.locator('#tooltip > div').allTextContents()).toEqual([
      'c',
      'Flaky tests',
      'attempt 1 of 2 · slot 2 · shell',
      'start 0s · ran 3.0s · end 3.0s',
      'failed · exit code 1',
    ]);
    await page.hover('#plot rect.bar[data-task="b"]');
    expect(await page.locator('#tooltip > div').allTextContents()).toEqual([
      'b',
      'Seed the database',
      'attempt 1 of 1 · slot 1 · shell',
      'start 4.0s · ran 2.0s · end 6.0s',
      'succeeded · exit code 0',
      'waited 4.0s for resource:db (held by a)',
    ]);
    await page.hover('#plot rect.wait');
    expect(await page.locator('#tooltip').textContent()).toContain('held back by a lock for 4.0s (0s → 4.0s)');
    await page.mouse.move(2, 2);
    await page.locator('#tooltip').waitFor({ state: 'hidden' });
  });

  it('shows the numbers computeMetrics gives', async () => {
    const { page } = opened;
    const shown = Object.fromEntries(
      await page.$$eval('[data-metric]', (els) => els.map((el) => [el.getAttribute('data-metric'), el.getAttribute('data-value')])),
    );
    expect(shown).toEqual({
      wall: String(m.wall),
      work: String(m.work),
      speedup: String(m.speedup),
      efficiency: String(m.efficiency),
      lowerBound: String(m.bounds.measured.lowerBound),
      makespanRatio: String(m.makespanRatio),
      criticalPath: String(m.bounds.measured.criticalPath.length),
      lockWait: String(m.waits.lock),
      conflictsPrevented: String(m.conflictsPrevented.count),
      conflictRate: String(m.conflicts!.rate),
      overhead: String(m.overhead.total),
      successRate: String(m.successRate),
      retries: String(m.retries),
    });
    const text = (key: string) => page.locator(`.card[data-metric="${key}"] .value`).textContent();
    expect(await text('wall')).toBe(duration(m.wall));
    expect(await text('speedup')).toBe(factor(m.speedup));
    expect(await text('efficiency')).toBe(percent(m.efficiency));
    expect(await text('conflictRate')).toBe(percent(m.conflicts!.rate));
    const rows = await page.$$eval('#task-rows tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows.map((r) => r[0])).toEqual(m.tasks.map((t) => t.id));
    expect(rows.map((r) => r[5])).toEqual(m.tasks.map((t) => duration(t.busy)));
    expect(rows.find((r) => r[0] === 'f')![8]).toBe('dependency e failed');
  });

  it('sorts the task table by a column', async () => {
    const { page } = opened;
    await page.click('#task-table th:nth-child(6)');
    await page.click('#task-table th:nth-child(6)');
    const ids = await page.$$eval('#task-rows tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(ids).toEqual([...m.tasks].sort((a, b) => b.busy - a.busy || m.tasks.indexOf(a) - m.tasks.indexOf(b)).map((t) => t.id));
  });

  it('makes no request but the page itself, and runs without errors', () => {
    expect(opened.requests).toHaveLength(1);
    expect(opened.requests[0]).toMatch(/^file:\/\/.*report\.html$/);
    expect(opened.errors).toEqual([]);
  });
});

describe('the HTML report', () => {
  it('shows task ids, titles and the run id as text, never as HTML', async () => {
    const evil = '<img src=x onerror="window.pwned=1">';
    const run = await simulatedRun(
      [
        { id: 'x"><script>window.pwned=2</script>', title: evil, estimate: 2 },
        { id: 'y', title: '</script><script>window.pwned=3</script>', estimate: 1, resources: ['db'] },
        { id: 'z', title: 'z & <b>', estimate: 1, resources: ['db'] },
      ],
      2,
    );
    const runId = '<i>R</i>';
    const { page, errors, requests } = await openHtml(browser, renderReport(metricsOf(run, runId), { source: '<u>plan</u>.yaml' }));
    const dialogs: string[] = [];
    page.on('dialog', (d) => void dialogs.push(d.message()));
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img, u, b, main i:not([class])').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('header h1 code').textContent()).toBe(runId);
    expect(await page.title()).toBe(`guild run ${runId}`);
    const cells = await page.$$eval('#task-rows tr', (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]));
    expect(cells).toEqual([...run.plan.tasks.values()].map((t) => [t.id, t.title]));
    await page.hover(`#plot rect.bar[data-task="${'x"><script>window.pwned=2</script>'.replace(/"/g, '\\"')}"]`);
    expect(await page.locator('#tooltip > div').first().textContent()).toBe('x"><script>window.pwned=2</script>');
    expect(await page.locator('#tooltip > div').nth(1).textContent()).toBe(evil);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('draws a run of one task across the whole timeline', async () => {
    const run = await simulatedRun([{ id: 'only', estimate: 90 }], 3);
    const m = metricsOf(run);
    const { page, errors } = await openHtml(browser, renderReport(m));
    expect(await page.locator('#plot g.lane').count()).toBe(3);
    const bars = await drawnBars(page);
    expect(bars).toHaveLength(1);
    const width = Number(await page.getAttribute('#plot', 'width'));
    expect(bars[0]!.width).toBeGreaterThan(width * 0.9);
    expect(await page.locator('#plot text.tick').allTextContents()).toEqual(expect.arrayContaining(['0', '1m', '1m30s']));
    expect(errors).toEqual([]);
  });

  it('says so when nothing ran', async () => {
    const run = await simulatedRun([{ id: 'a', estimate: 1 }], 1);
    const m = computeMetrics({ events: [], plan: run.plan });
    const { page, errors } = await openHtml(browser, renderReport(m));
    expect(await page.locator('#chart-empty').isVisible()).toBe(true);
    expect(await page.locator('#chart').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('draws a 1,000-task run, and only the visible part once zoomed in', async () => {
    const rnd = seededRandom(7);
    const specs: Array<Partial<TaskSpec> & { id: string }> = [];
    for (let i = 0; i < 1000; i++) {
      const deps = i > 20 && rnd() < 0.4 ? [`t${Math.floor(rnd() * i)}`] : [];
      specs.push({ id: `t${i}`, estimate: 1 + Math.floor(rnd() * 30), dependsOn: deps, retries: 1, ...(rnd() < 0.1 ? { resources: ['db'] } : {}) });
    }
    const run = await simulatedRun(specs, 8, (task, attempt) =>
      Number(task.id.slice(1)) % 23 === 0 && attempt === 1 ? { outcome: 'failed', exitCode: 1 } : { outcome: 'succeeded', exitCode: 0 },
    );
    const m = metricsOf(run);
    expect(m.attempts).toBeGreaterThan(1000);
    const html = renderReport(m);
    // About 200 bytes per task: the page stays small enough to mail around.
    expect(html.length).toBeLessThan(250_000);
    const { page, errors } = await openHtml(browser, html);
    expect(await page.locator('#plot g.lane').count()).toBe(8);
    const bars = await drawnBars(page);
    expect(bars).toHaveLength(m.attempts);
    const k = expectProportional(bars);
    expect(await page.locator('#task-rows tr').count()).toBe(1000);

    await page.click('#zoom-in');
    await page.click('#zoom-in');
    await page.click('#zoom-in');
    const zoomed = await drawnBars(page);
    expect(zoomed.length).toBeGreaterThan(0);
    expect(zoomed.length).toBeLessThan(bars.length / 2);
    expect(expectProportional(zoomed)).toBeCloseTo(k * 8, 6);
    await page.hover(`#plot rect.bar[data-task="${zoomed[0]!.task}"][data-attempt="${zoomed[0]!.attempt}"]`);
    expect(await page.locator('#tooltip > div').first().textContent()).toBe(zoomed[0]!.task);

    await page.click('#zoom-fit');
    expect(await page.locator('#plot rect.bar').count()).toBe(m.attempts);
    expect(errors).toEqual([]);
  }, 90_000);
});
