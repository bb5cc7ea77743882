#!/usr/bin/env node
/**
 * Renders docs/monitor.png: runs a small plan with the built CLI and this package's built plugin
 * in a tmux pane, captures the pane mid-run with its colours (`capture-pane -e -p`), turns that
 * into an HTML page and screenshots it with playwright-core and the system's Chromium.
 *
 *   pnpm --filter @guild/tui build && node packages/tui/scripts/screenshot.mjs [out.png]
 *
 * Needs tmux, and Chromium at /usr/bin/chromium (or CHROMIUM=/path/to/chrome).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const plugin = path.join(repo, 'packages/tui/dist/index.js');
const cli = path.join(repo, 'apps/cli/dist/bin.js');
const out = path.resolve(process.argv[2] ?? path.join(repo, 'docs/monitor.png'));
const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';
const [width, height] = [120, 16];

for (const file of [plugin, cli]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: build first`);
}

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
/** A task that prints `lines`, then waits for a gate file nobody creates (the run is killed with tmux). */
const task = (gate, lines) =>
  [...lines.map((l) => `echo ${q(l)}; sleep 0.3`), `until [ -e gates/${gate} ]; do sleep 0.2; done`].join('; ');

const plan = {
  version: 1,
  tasks: [
    { id: 'lint', run: 'echo lint ok', estimate: '20s' },
    { id: 'typecheck', run: 'sleep 0.5; echo "src/api/login.ts(12,3): error TS2322"; exit 2', estimate: '40s' },
    { id: 'api-login', writes: ['src/api/login.ts'], estimate: '3m', run: task('api', ['reading src/models/user.ts', 'Implementing POST /login']) },
    { id: 'unit-tests', estimate: '2m', run: task('tests', ['running 131 tests', '✓ 112 passed, 19 to go']) },
    { id: 'db-seed', priority: 1, resources: ['db'], estimate: '90s', run: task('seed', ['seeding users 4/10']) },
    { id: 'db-migrate', priority: 3, resources: ['db'], estimate: '60s', run: task('migrate', ['migrating']) },
    { id: 'api-docs', reads: ['src/api/**'], writes: ['docs/api.md'], estimate: '30s', run: task('docs', ['writing docs/api.md']) },
    { id: 'e2e', dependsOn: ['api-login', 'unit-tests', 'db-migrate'], estimate: '2m', run: 'echo e2e' },
  ],
};

/** The terminal palette of the picture (xterm's 16 colours, a dark background). */
const PALETTE = ['#1d1f21', '#cc6666', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#c5c8c6',
  '#5c6370', '#e06c75', '#b5e890', '#f0d58a', '#82c0ff', '#d7a0ec', '#7fd4de', '#ffffff'];

/** The colour of xterm-256 index `n`. */
function color256(n) {
  if (n < 16) return PALETTE[n];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const c = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
}

/**
 * Escapes text for HTML. The fonts here lack ⏸ (U+23F8), so it is drawn with CSS as two bars
 * one cell wide, in the text's colour, as a terminal font that has it shows it.
 */
const escapeHtml = (s) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u23f8/g, '<span class="pause">\u23f8</span>');

/** Turns text with SGR escape sequences into HTML spans. */
function toHtml(text) {
  let style = {};
  let html = '';
  const open = () => {
    const css = [];
    if (style.fg) css.push(`color:${style.fg}`);
    if (style.bg) css.push(`background:${style.bg}`);
    if (style.bold) css.push('font-weight:bold');
    if (style.dim) css.push('opacity:0.6');
    if (style.italic) css.push('font-style:italic');
    if (style.underline) css.push('text-decoration:underline');
    return css.length ? `<span style="${css.join(';')}">` : '<span>';
  };
  // eslint-disable-next-line no-control-regex
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (!m) {
      if (part) html += `${open()}${escapeHtml(part)}</span>`;
      continue;
    }
    const codes = m[1] === '' ? [0] : m[1].split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) style = {};
      else if (c === 1) style.bold = true;
      else if (c === 2) style.dim = true;
      else if (c === 3) style.italic = true;
      else if (c === 4) style.underline = true;
      else if (c === 22) style.bold = style.dim = false;
      else if (c === 23) style.italic = false;
      else if (c === 24) style.underline = false;
      else if (c >= 30 && c <= 37) style.fg = PALETTE[c - 30];
      else if (c >= 90 && c <= 97) style.fg = PALETTE[c - 90 + 8];
      else if (c === 39) style.fg = undefined;
      else if (c >= 40 && c <= 47) style.bg = PALETTE[c - 40];
      else if (c >= 100 && c <= 107) style.bg = PALETTE[c - 100 + 8];
      else if (c === 49) style.bg = undefined;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        style[c === 38 ? 'fg' : 'bg'] = color256(codes[i + 2]);
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
        style[c === 38 ? 'fg' : 'bg'] = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
        i += 4;
      }
    }
  }
  return html;
}

function page(body) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; background: #101214; }
  .pause { display: inline-block; width: 1ch; -webkit-text-fill-color: transparent; background-repeat: no-repeat;
           background-position: center; background-size: 100% 55%;
           background-image: linear-gradient(90deg, transparent 22%, currentColor 22% 42%, transparent 42% 58%, currentColor 58% 78%, transparent 78%); }
  pre { display: inline-block; margin: 16px; padding: 14px 18px; background: ${PALETTE[0]}; color: #d8dee4;
        font: 14px/1.35 'DejaVu Sans Mono', 'Liberation Mono', monospace; border-radius: 8px; }
  </style></head><body><pre>${body}</pre></body></html>`;
}

/** Runs the plan, waits for an interesting moment, captures and renders it. */
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guild-shot-'));
  const socket = `guild-shot-${process.pid}`;
  let socketPath = '';
  const tmux = (...args) => execFileSync('tmux', ['-u', '-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  try {
    writeFileSync(path.join(dir, 'guild.config.json'), JSON.stringify({ plugins: [plugin] }));
    writeFileSync(path.join(dir, 'plan.yaml'), JSON.stringify(plan, null, 2));
    mkdirSync(path.join(dir, 'gates'));
    const command = `env -u CI -u NO_COLOR -u LC_ALL TERM=xterm-256color LANG=C.UTF-8 ${q(process.execPath)} ${q(cli)} run plan.yaml -j 4; sleep 600`;
    tmux('new-session', '-d', '-s', 'main', '-x', String(width), '-y', String(height), '-c', dir, '/bin/sh', '-c', command);
    socketPath = tmux('display-message', '-p', '#{socket_path}').trim();

    const deadline = Date.now() + 30_000;
    let screen = '';
    for (;;) {
      screen = tmux('capture-pane', '-p', '-t', 'main');
      const ready =
        /Implementing POST \/login/.test(screen) &&
        /112 passed/.test(screen) &&
        /db-migrate .*held by db-seed/.test(screen) &&
        /typecheck failed/.test(screen) &&
        /elapsed [3-9]s/.test(screen);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the monitor never reached the wanted state; the pane shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ansi = tmux('capture-pane', '-e', '-p', '-t', 'main').replace(/\s+$/, '');
    const html = page(toHtml(ansi));
    const b = await chromium.launch({
      executablePath: browser,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const p = await b.newPage({ deviceScaleFactor: 2 });
      await p.setContent(html);
      const box = await p.locator('pre').boundingBox();
      await p.screenshot({ path: out, clip: { x: 0, y: 0, width: Math.ceil(box.x * 2 + box.width), height: Math.ceil(box.y * 2 + box.height) } });
    } finally {
      await b.close();
    }
    console.log(`wrote ${out}`);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    if (socketPath) rmSync(socketPath, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
