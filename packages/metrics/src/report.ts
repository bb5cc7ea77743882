import { boundParts, chain, countsText, duration, factor, percent, plural } from './format';
import { reportData } from './report-data';
import { REPORT_SCRIPT } from './report-script';
import { REPORT_STYLE } from './report-style';
import type { RunMetrics } from './types';

/** Options for {@link renderReport}. */
export interface ReportOptions {
  /** Where the tasks came from (a plan file, ...), shown under the title. */
  source?: string;
  /** Shown in the footer (default: now). */
  generatedAt?: Date;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number shown on the page; `value` is exact, in `data-value`, for tools and tests. */
interface Shown {
  key: string;
  value: number | null;
  text: string;
}

/** One metric card: a number with a label, and a note that may show a second number. */
interface Card extends Shown {
  label: string;
  note: string;
  also?: Shown;
}

const OUTCOMES = ['succeeded', 'failed', 'timed-out', 'cancelled', 'unfinished'] as const;

/**
 * The HTML report of a run: one self-contained page (inline style and script, no fonts,
 * images or requests; a Content-Security-Policy forbids any) with the run's metric cards, a
 * timeline with one lane per slot and one bar per attempt coloured by outcome, lock waits
 * hatched under the bar they held back, a tooltip on hover, slot and agent utilization, the
 * starts conflicts held back, and a sortable task table. Every text from the run is escaped.
 */
export function renderReport(m: RunMetrics, options: ReportOptions = {}): string {
  const started = m.startedAt === undefined ? '' : ` · started ${new Date(m.startedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const source = options.source ? ` · ${escapeHtml(options.source)}` : '';
  const json = JSON.stringify(reportData(m)).replace(/</g, '\\u003c');
  const present = new Set(m.tasks.flatMap((t) => t.attempts.map((a) => a.outcome)));
  const legend = [
    ...OUTCOMES.filter((o) => o !== 'unfinished' || present.has(o)).map((o) => `<span><i class="sw-${o}" data-legend="${o}"></i>${o}</span>`),
    '<span><i class="sw-lock" data-legend="lock"></i>lock wait</span>',
    ...(m.waits.agent > 0 ? ['<span><i class="sw-agent" data-legend="agent"></i>agent wait</span>'] : []),
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>guild run ${escapeHtml(m.runId)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
<header class="run">
  <span class="brand">guild</span>
  <h1>Run <code>${escapeHtml(m.runId)}</code></h1>
  <span class="badge ${m.outcome}">${m.outcome}</span>
  <p class="sub">${plural(m.tasks.length, 'task')} on ${plural(m.slots, 'slot')}${m.boost > m.slots ? ` (boost ${m.boost})` : ''} · ${escapeHtml(countsText(m) || 'nothing ran')}${m.sessions > 1 ? ` · ${m.sessions} sessions` : ''}${started}${source}</p>
</header>
<section class="cards">
${cards(m).map(card).join('\n')}
</section>
<section class="panel">
  <div class="head">
    <h2>Timeline</h2>
    <div class="legend">${legend}</div>
    <div class="zoom"><button id="zoom-out" type="button" title="Zoom out">&minus;</button><button id="zoom-fit" type="button" title="Fit the whole run">fit</button><button id="zoom-in" type="button" title="Zoom in (or Ctrl + wheel)">+</button></div>
  </div>
  <div class="chart" id="chart">
    <svg class="labels" id="lane-labels" aria-hidden="true"></svg>
    <div class="scroller" id="scroller">
      <svg id="plot" role="img" aria-label="timeline of the run, one lane per slot">
        <defs>
          <pattern id="hatch-lock" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)"><rect class="hatch-lock-bg" width="5" height="5"/><line class="hatch-lock-line" x1="1" y1="0" x2="1" y2="5"/></pattern>
          <pattern id="hatch-agent" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)"><rect class="hatch-agent-bg" width="5" height="5"/><line class="hatch-agent-line" x1="1" y1="0" x2="1" y2="5"/></pattern>
        </defs>
        <g id="lanes"></g><g id="grid"></g><g id="bars"></g>
      </svg>
    </div>
  </div>
  <div class="chart empty" id="chart-empty" hidden>No task ran in this run.</div>
</section>
<div class="columns">
  <section class="panel"><h2>Slot utilization</h2>${m.utilization.slots.map((s) => meter(`${s.slot > m.slots ? 'boost' : 'slot'} ${s.slot}`, s.utilization, `${percent(s.utilization)} · ${duration(s.busy)}`)).join('')}</section>
  <section class="panel"><h2>Agents</h2>${m.utilization.agents.map((a) => meter(a.agent, a.utilization, `${percent(a.utilization)} · ${duration(a.busy)}`)).join('') || '<p class="note">Nothing ran.</p>'}</section>
</div>
${holdsSection(m)}
<section class="panel">
  <h2>Tasks</h2>
  <div class="table-wrap">
    <table id="task-table">
      <thead><tr><th>task</th><th>title</th><th>runner</th><th>state</th><th class="num">start</th><th class="num">ran</th><th class="num">lock wait</th><th class="num">exit</th><th>note</th></tr></thead>
      <tbody id="task-rows"></tbody>
    </table>
  </div>
</section>
<footer>Generated by guild on ${(options.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 19)} UTC. Times are seconds since the run started.</footer>
</main>
<div id="tooltip" role="tooltip" hidden></div>
<script type="application/json" id="guild-data">${json}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

function cards(m: RunMetrics): Card[] {
  const { measured, estimated } = m.bounds;
  const held = m.conflictsPrevented;
  return [
    { key: 'wall', label: 'Wall time', value: m.wall, text: duration(m.wall), note: m.sessions > 1 ? `over ${m.sessions} sessions` : 'first start to last end' },
    { key: 'work', label: 'Work', value: m.work, text: duration(m.work), note: `summed over ${plural(m.attempts, 'attempt')}` },
    { key: 'speedup', label: 'Speedup', value: m.speedup, text: factor(m.speedup), note: 'work / wall' },
    { key: 'efficiency', label: 'Efficiency', value: m.efficiency, text: percent(m.efficiency), note: `speedup / ${plural(m.slots, 'slot')}` },
    {
      key: 'lowerBound',
      label: 'Lower bound',
      value: measured.lowerBound,
      text: duration(measured.lowerBound),
      note: `${boundParts(measured, m.slots)}; ${duration(estimated.lowerBound)} from estimates`,
    },
    { key: 'makespanRatio', label: 'Makespan / bound', value: m.makespanRatio, text: m.makespanRatio === null ? '–' : factor(m.makespanRatio), note: '1.00x is a perfect schedule' },
    { key: 'criticalPath', label: 'Critical path', value: measured.criticalPath.length, text: duration(measured.criticalPath.length), note: chain(measured.criticalPath.ids, 4) || '–' },
    { key: 'lockWait', label: 'Lock wait', value: m.waits.lock, text: duration(m.waits.lock), note: `summed over ${plural(held.tasks, 'task')}` },
    { key: 'conflictsPrevented', label: 'Conflicts prevented', value: held.count, text: String(held.count), note: 'starts held back by a lock' },
    {
      key: 'conflictRate',
      label: 'Conflict rate',
      value: m.conflicts?.rate ?? null,
      text: m.conflicts ? percent(m.conflicts.rate) : '–',
      note: m.conflicts ? `${m.conflicts.pairs} of ${plural(m.conflicts.possible, 'pair')}` : 'no conflict report',
    },
    { key: 'overhead', label: 'Scheduler overhead', value: m.overhead.total, text: duration(m.overhead.total), note: `${percent(m.overhead.share)} of wall time` },
    {
      key: 'successRate',
      label: 'Success rate',
      value: m.successRate,
      text: percent(m.successRate),
      note: `${m.counts.succeeded} of ${plural(m.tasks.length, 'task')} ·`,
      also: { key: 'retries', value: m.retries, text: plural(m.retries, 'retry', 'retries') },
    },
  ];
}

function card(c: Card): string {
  const also = c.also ? ` <span ${shown(c.also)}>${escapeHtml(c.also.text)}</span>` : '';
  return `<div class="card" ${shown(c)}><div class="label">${c.label}</div><div class="value">${escapeHtml(c.text)}</div><div class="note">${escapeHtml(c.note)}${also}</div></div>`;
}

const shown = (s: Shown): string => `data-metric="${s.key}" data-value="${s.value ?? ''}"`;

function meter(name: string, share: number, text: string): string {
  const width = Math.min(100, Math.max(0, share * 100)).toFixed(1);
  return `<div class="meter"><span class="name" title="${escapeHtml(name)}">${escapeHtml(name)}</span><span class="track"><span class="fill" style="width:${width}%"></span></span><span class="num">${escapeHtml(text)}</span></div>`;
}

/** The longest holds, with what held each task back. */
function holdsSection(m: RunMetrics): string {
  const holds = [...m.conflictsPrevented.holds].sort((a, b) => b.wait - a.wait).slice(0, 25);
  if (holds.length === 0) return '';
  const rows = holds.map(
    (h) =>
      `<tr><td class="mono">${escapeHtml(h.task)}</td><td class="num">${duration(h.at)}</td><td class="num">${duration(h.wait)}</td><td class="wrap">${escapeHtml(
        h.on.map((o) => `${o.key} ${o.kind === 'lock' ? 'held' : 'reserved'} by ${o.by}${o.run ? ` (run ${o.run})` : ''}`).join('; '),
      )}</td></tr>`,
  );
  const more = m.conflictsPrevented.count > holds.length ? ` (the ${holds.length} longest of ${m.conflictsPrevented.count})` : '';
  return `<section class="panel"><h2>Held back by conflicts${more}</h2><div class="table-wrap"><table><thead><tr><th>task</th><th class="num">at</th><th class="num">waited</th><th>held back by</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}
