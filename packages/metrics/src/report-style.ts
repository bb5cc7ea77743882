/** The report's style sheet: system fonts only, light and dark schemes, no external resources. */
export const REPORT_STYLE = String.raw`
:root {
  --bg: #f5f6f8; --panel: #ffffff; --border: #e2e5ea; --text: #1b2230; --muted: #667085; --faint: #98a2b3;
  --grid: #edf0f3; --lane-a: #fbfcfd; --lane-b: #ffffff; --accent: #3b5bdb;
  --succeeded: #2f9e44; --failed: #e03131; --timed-out: #f08c00; --cancelled: #868e96; --unfinished: #7048e8;
  --skipped: #adb5bd; --lock: #f59f00; --lock-bg: #fff4d6; --agent: #1c7ed6; --agent-bg: #dbeafe;
  --tip-bg: #111827; --tip-text: #f3f4f6; --tip-muted: #9ca3af;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1218; --panel: #171b23; --border: #2a303b; --text: #e6e9ef; --muted: #9aa4b5; --faint: #6b7588;
    --grid: #222834; --lane-a: #1a1f28; --lane-b: #171b23; --accent: #748ffc;
    --lock-bg: #3b2f12; --agent-bg: #132c47; --tip-bg: #f3f4f6; --tip-text: #111827; --tip-muted: #4b5563;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1320px; margin: 0 auto; padding: 28px 28px 48px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
header.run { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 14px; margin-bottom: 20px; }
header.run .brand { font-weight: 700; letter-spacing: 0.02em; color: var(--accent); font-size: 15px; }
header.run h1 { margin: 0; font-size: 22px; font-weight: 600; }
header.run .sub { flex-basis: 100%; margin: 0; color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
.badge.succeeded { background: var(--succeeded); } .badge.failed { background: var(--failed); }
.badge.aborted { background: var(--cancelled); } .badge.unfinished { background: var(--unfinished); }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; }
@media (max-width: 1100px) { .cards { grid-template-columns: repeat(4, minmax(0, 1fr)); } }
@media (max-width: 760px) { .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
@media (max-width: 520px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px 13px; min-width: 0; }
.card .label { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; }
.card .note { font-size: 12px; color: var(--muted); margin-top: 2px; overflow-wrap: anywhere; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 16px 18px 18px; margin-top: 18px; }
.panel h2 { font-size: 15px; font-weight: 600; margin: 0 0 10px; }
.panel .head { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; margin-bottom: 10px; }
.panel .head h2 { margin: 0; margin-right: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12.5px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend i { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
.sw-succeeded { background: var(--succeeded); } .sw-failed { background: var(--failed); }
.sw-timed-out { background: var(--timed-out); } .sw-cancelled { background: var(--cancelled); }
.sw-unfinished { background: var(--unfinished); }
.sw-lock { background: repeating-linear-gradient(135deg, var(--lock) 0 2px, var(--lock-bg) 2px 5px); }
.sw-agent { background: repeating-linear-gradient(135deg, var(--agent) 0 2px, var(--agent-bg) 2px 5px); }
.zoom { display: inline-flex; border: 1px solid var(--border); border-radius: 8px; overflow: hidden; }
.zoom button { font: inherit; font-size: 13px; background: var(--panel); color: var(--text); border: 0; padding: 3px 10px; cursor: pointer; }
.zoom button + button { border-left: 1px solid var(--border); }
.zoom button:hover { background: var(--grid); }
.chart { display: flex; border: 1px solid var(--border); border-radius: 8px; overflow: hidden; }
.chart .labels { flex: none; border-right: 1px solid var(--border); background: var(--panel); }
.chart .scroller { flex: 1; overflow-x: auto; overflow-y: hidden; min-width: 0; }
.chart svg { display: block; }
.chart .empty { padding: 28px; color: var(--muted); }
.lane-bg.even { fill: var(--lane-a); } .lane-bg.odd { fill: var(--lane-b); }
.lane-label { fill: var(--muted); font-size: 12px; }
.lane-label.boost { fill: var(--faint); font-style: italic; }
.gridline { stroke: var(--grid); stroke-width: 1; }
.tick { fill: var(--faint); font-size: 11px; font-variant-numeric: tabular-nums; }
.axis-line { stroke: var(--border); }
.bar { cursor: default; stroke: var(--panel); stroke-width: 0.75; }
.bar:hover, .wait:hover { stroke: var(--text); stroke-width: 1.5; }
.o-succeeded { fill: var(--succeeded); } .o-failed { fill: var(--failed); } .o-timed-out { fill: var(--timed-out); }
.o-cancelled { fill: var(--cancelled); } .o-unfinished { fill: var(--unfinished); }
.bar-label { fill: #fff; font-size: 11px; pointer-events: none; }
.hatch-lock-bg { fill: var(--lock-bg); } .hatch-lock-line { stroke: var(--lock); stroke-width: 2; }
.hatch-agent-bg { fill: var(--agent-bg); } .hatch-agent-line { stroke: var(--agent); stroke-width: 2; }
#tooltip {
  position: fixed; z-index: 10; pointer-events: none; max-width: 380px; padding: 9px 11px; border-radius: 8px;
  background: var(--tip-bg); color: var(--tip-text); font-size: 12.5px; line-height: 1.45;
  box-shadow: 0 6px 24px rgba(0, 0, 0, 0.25);
}
#tooltip .t-title { font-weight: 650; }
#tooltip .t-muted { color: var(--tip-muted); }
#tooltip .t-outcome { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 18px; }
.columns .panel { margin-top: 18px; }
.meter { display: grid; grid-template-columns: 96px 1fr 132px; align-items: center; gap: 10px; font-size: 12.5px; margin: 5px 0; }
.meter .name { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.meter .track { display: block; height: 8px; border-radius: 4px; background: var(--grid); overflow: hidden; }
.meter .fill { display: block; height: 100%; border-radius: 4px; background: var(--accent); }
.meter .num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { max-height: 560px; overflow: auto; border: 1px solid var(--border); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--grid); white-space: nowrap; }
td.wrap { white-space: normal; min-width: 180px; }
th { position: sticky; top: 0; background: var(--panel); font-weight: 600; color: var(--muted); }
#task-table th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \2191"; } th[aria-sort="descending"]::after { content: " \2193"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.state::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--skipped); }
.state.succeeded::before { background: var(--succeeded); } .state.failed::before { background: var(--failed); }
.state.timed-out::before { background: var(--timed-out); } .state.cancelled::before { background: var(--cancelled); }
footer { margin-top: 22px; color: var(--faint); font-size: 12px; }
`;
