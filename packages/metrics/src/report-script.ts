/**
 * The report's script, inlined into the page. It reads the {@link ReportData} JSON block and
 * draws the timeline (one SVG lane per slot, one bar per attempt, hatched lock and agent waits
 * under the bar they held back), its time axis, the hover tooltip, zooming, and the sortable
 * task table. Only bars near the visible part of the timeline are drawn, so a zoomed-in view
 * of a big run stays fast. Every text from the run goes in with `textContent`, never as HTML.
 */
export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('guild-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var LANE = 30, BAR_Y = 4, BAR_H = 18, WAIT_Y = 23, WAIT_H = 5, AXIS = 26, LEFT = 8, RIGHT = 18;
  var tasks = data.tasks, attempts = data.attempts, waits = data.waits;
  var plot = document.getElementById('plot');
  var labels = document.getElementById('lane-labels');
  var scroller = document.getElementById('scroller');
  var tooltip = document.getElementById('tooltip');
  var zoom = 1;
  var slotOf = {};
  attempts.forEach(function (a) { slotOf[a[0] + ':' + a[1]] = a[2]; });

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function dur(s) {
    if (s === 0) return '0s';
    if (s < 1) return Math.round(s * 1000) + 'ms';
    if (s < 60) return (s < 10 ? s.toFixed(1) : String(Math.round(s))) + 's';
    var t = Math.round(s);
    if (t < 3600) return Math.floor(t / 60) + 'm' + pad(t % 60) + 's';
    return Math.floor(t / 3600) + 'h' + pad(Math.floor((t % 3600) / 60)) + 'm';
  }
  function tick(t, step) {
    if (t === 0) return '0';
    if (step < 1) return t.toFixed(Math.min(3, Math.ceil(-Math.log10(step)))) + 's';
    if (t < 60) return Math.round(t) + 's';
    var s = Math.round(t);
    if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60 ? pad(s % 60) + 's' : '');
    return Math.floor(s / 3600) + 'h' + (s % 3600 ? pad(Math.floor((s % 3600) / 60)) + 'm' : '');
  }
  // Ticks fall on round times: 1-2-5 steps below a second, then 1s, 2s, 5s, 10s, 15s, 30s, 1m...
  var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function niceStep(raw) {
    if (raw >= 1) {
      for (var i = 0; i < STEPS.length; i++) if (STEPS[i] >= raw) return STEPS[i];
      return Math.ceil(raw / 86400) * 86400;
    }
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  if (!(data.wall > 0) || attempts.length === 0) {
    document.getElementById('chart').hidden = true;
    document.getElementById('chart-empty').hidden = false;
  } else {
    drawLabels();
    render();
    scroller.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    document.getElementById('zoom-in').addEventListener('click', function () { zoomTo(zoom * 2, scroller.clientWidth / 2); });
    document.getElementById('zoom-out').addEventListener('click', function () { zoomTo(zoom / 2, scroller.clientWidth / 2); });
    document.getElementById('zoom-fit').addEventListener('click', function () { zoomTo(1, 0); });
    scroller.addEventListener('wheel', function (e) {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      var box = scroller.getBoundingClientRect();
      zoomTo(zoom * (e.deltaY < 0 ? 1.25 : 0.8), e.clientX - box.left);
    }, { passive: false });
    plot.addEventListener('mouseover', show);
    plot.addEventListener('mousemove', move);
    plot.addEventListener('mouseleave', hide);
  }
  drawTable();

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; render(); });
  }
  function zoomTo(z, anchor) {
    var at = (scroller.scrollLeft + anchor - LEFT) / scale();
    zoom = Math.max(1, Math.min(z, 4096));
    render();
    scroller.scrollLeft = Math.max(0, LEFT + at * scale() - anchor);
    render();
  }
  // Pixels per second: the whole run fits the visible width at zoom 1.
  function scale() { return zoom * (Math.max(240, scroller.clientWidth) - LEFT - RIGHT) / data.wall; }
  function plotWidth() { return LEFT + RIGHT + scale() * data.wall; }
  function laneTop(slot) { return AXIS + (slot - 1) * LANE; }

  function drawLabels() {
    var h = AXIS + data.lanes * LANE;
    var w = 78;
    labels.setAttribute('width', w);
    labels.setAttribute('height', h);
    for (var s = 1; s <= data.lanes; s++) {
      var text = el('text', { x: 12, y: laneTop(s) + LANE / 2 + 4, class: 'lane-label' + (s > data.slots ? ' boost' : '') }, labels);
      text.textContent = (s > data.slots ? 'boost ' : 'slot ') + s;
    }
  }

  function render() {
    var w = plotWidth(), k = scale(), h = AXIS + data.lanes * LANE;
    plot.setAttribute('width', w);
    plot.setAttribute('height', h);
    var grid = document.getElementById('grid'), lanes = document.getElementById('lanes');
    var bars = document.getElementById('bars');
    clear(grid); clear(lanes); clear(bars);
    for (var s = 1; s <= data.lanes; s++) {
      var lane = el('g', { class: 'lane', 'data-slot': s }, lanes);
      el('rect', { class: 'lane-bg ' + (s % 2 ? 'even' : 'odd'), x: 0, y: laneTop(s), width: w, height: LANE }, lane);
    }
    var step = niceStep(110 / k);
    for (var i = 0; i * step <= data.wall + step * 1e-6; i++) {
      var t = i * step, x = LEFT + t * k;
      el('line', { class: 'gridline', x1: x, x2: x, y1: AXIS - 4, y2: h }, grid);
      var anchor = i === 0 ? 'start' : x > w - 30 ? 'end' : 'middle';
      var label = el('text', { class: 'tick', x: x, y: 15, 'text-anchor': anchor }, grid);
      label.textContent = tick(Math.round(t * 1000) / 1000, step);
    }
    el('line', { class: 'axis-line', x1: 0, x2: w, y1: AXIS - 0.5, y2: AXIS - 0.5 }, grid);
    // Only what lies within a screen's width of the visible part is drawn.
    var from = scroller.scrollLeft - scroller.clientWidth, to = scroller.scrollLeft + 2 * scroller.clientWidth;
    waits.forEach(function (wt, i) {
      var slot = slotOf[wt[0] + ':' + wt[1]];
      if (!slot) return;
      var x1 = LEFT + wt[2] * k, x2 = LEFT + wt[3] * k;
      if (x2 < from || x1 > to || x2 - x1 < 0.5) return;
      el('rect', { class: 'wait wait-' + wt[4], x: x1, y: laneTop(slot) + WAIT_Y, width: x2 - x1, height: WAIT_H,
        fill: 'url(#hatch-' + wt[4] + ')', 'data-w': i, 'data-task': tasks[wt[0]][0] }, bars);
    });
    attempts.forEach(function (a, i) {
      if (!a[2]) return;
      var x1 = LEFT + a[3] * k, x2 = LEFT + a[4] * k;
      if (x2 < from || x1 > to) return;
      var width = Math.max(1, x2 - x1);
      el('rect', { class: 'bar o-' + a[5], x: x1, y: laneTop(a[2]) + BAR_Y, width: width, height: BAR_H, rx: Math.min(3, width / 2),
        'data-a': i, 'data-task': tasks[a[0]][0], 'data-attempt': a[1], 'data-slot': a[2], 'data-outcome': a[5],
        'data-start': a[3], 'data-end': a[4] }, bars);
      if (width > 46) {
        var clip = Math.floor((width - 10) / 6.5);
        var id = tasks[a[0]][0];
        var text = el('text', { class: 'bar-label', x: x1 + 5, y: laneTop(a[2]) + BAR_Y + 13 }, bars);
        text.textContent = id.length > clip ? id.slice(0, Math.max(1, clip - 1)) + '\u2026' : id;
      }
    });
  }

  function line(parent, text, cls) {
    var div = document.createElement('div');
    if (cls) div.className = cls;
    div.textContent = text;
    parent.appendChild(div);
    return div;
  }
  function show(e) {
    var target = e.target;
    var a = target.getAttribute && target.getAttribute('data-a');
    var w = target.getAttribute && target.getAttribute('data-w');
    if (a === null && w === null) { hide(); return; }
    clear(tooltip);
    if (a !== null) describeAttempt(attempts[Number(a)]);
    else describeWait(waits[Number(w)]);
    tooltip.hidden = false;
    move(e);
  }
  function describeAttempt(a) {
    var t = tasks[a[0]];
    var total = attempts.filter(function (b) { return b[0] === a[0]; }).length;
    line(tooltip, t[0], 't-title');
    if (t[1] !== t[0]) line(tooltip, t[1], 't-muted');
    line(tooltip, 'attempt ' + a[1] + ' of ' + total + ' \u00b7 slot ' + a[2] + ' \u00b7 ' + t[2], 't-muted');
    line(tooltip, 'start ' + dur(a[3]) + ' \u00b7 ran ' + dur(a[4] - a[3]) + ' \u00b7 end ' + dur(a[4]));
    var outcome = line(tooltip, a[5] + (a[6] === null ? '' : ' \u00b7 exit code ' + a[6]) + (a[7] ? ' \u00b7 ' + a[7] : ''));
    var dot = document.createElement('span');
    dot.className = 't-outcome';
    dot.style.background = 'var(--' + a[5] + ')';
    outcome.insertBefore(dot, outcome.firstChild);
    waits.forEach(function (wt) {
      if (wt[0] === a[0] && wt[1] === a[1]) line(tooltip, 'waited ' + dur(wt[3] - wt[2]) + ' for ' + wt[5], 't-muted');
    });
  }
  function describeWait(wt) {
    line(tooltip, tasks[wt[0]][0], 't-title');
    line(tooltip, (wt[4] === 'lock' ? 'held back by a lock' : 'held back by an agent rule') + ' for ' + dur(wt[3] - wt[2]) +
      ' (' + dur(wt[2]) + ' \u2192 ' + dur(wt[3]) + ')');
    line(tooltip, 'waited on ' + wt[5], 't-muted');
  }
  function move(e) {
    if (tooltip.hidden) return;
    var x = e.clientX + 14, y = e.clientY + 16;
    var r = tooltip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 8) x = Math.max(8, e.clientX - r.width - 14);
    if (y + r.height > window.innerHeight - 8) y = Math.max(8, e.clientY - r.height - 16);
    tooltip.style.left = x + 'px';
    tooltip.style.top = y + 'px';
  }
  function hide() { tooltip.hidden = true; }

  function drawTable() {
    var body = document.getElementById('task-rows');
    var heads = document.querySelectorAll('#task-table th');
    var rows = tasks.map(function (t, i) { return { t: t, i: i }; });
    var sortBy = -1, dir = 1;
    function cell(tr, text, cls) {
      var td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text;
      tr.appendChild(td);
    }
    function fill() {
      clear(body);
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) {
        var t = r.t, tr = document.createElement('tr');
        cell(tr, t[0], 'mono');
        cell(tr, t[1] === t[0] ? '' : t[1]);
        cell(tr, t[2]);
        cell(tr, t[3], 'state ' + t[3]);
        cell(tr, t[4] === null ? '-' : dur(t[4]), 'num');
        cell(tr, dur(t[5]), 'num');
        cell(tr, dur(t[6]), 'num');
        cell(tr, t[7] === null ? '-' : String(t[7]), 'num');
        cell(tr, t[8] || '', 'wrap');
        frag.appendChild(tr);
      });
      body.appendChild(frag);
    }
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        dir = sortBy === col ? -dir : 1;
        sortBy = col;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
        rows.sort(function (x, y) {
          var a = x.t[col], b = y.t[col];
          if (a === b) return x.i - y.i;
          if (a === null) return 1;
          if (b === null) return -1;
          return (a < b ? -1 : 1) * dir;
        });
        fill();
      });
    });
    fill();
  }
})();
`;
