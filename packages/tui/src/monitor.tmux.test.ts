import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUILD_BIN, TmuxSession, removeTestdirs, shellQuote, testdir, waitFor } from '@guild/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The monitor in a real terminal: the built CLI runs a plan in a tmux pane, with the built
 * plugin from a config file; tasks wait for gate files the test creates, so the test decides
 * when each one ends. Nothing here waits a fixed time for correctness: every check polls the
 * screen or the run's event log.
 */

const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const sessions: TmuxSession[] = [];

beforeAll(() => {
  for (const built of [PLUGIN, GUILD_BIN]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: build first (pnpm --filter @guild/tui build, pnpm build)`);
  }
});

afterAll(async () => {
  for (const s of sessions) s.kill();
  await removeTestdirs();
});

/** A shell task that prints `lines`, waits for `gates/<gate>`, then exits with `exit`. */
const gated = (gate: string, lines: string[] = [], exit = 0) =>
  [...lines.map((l) => `echo ${shellQuote(l)}`), `until [ -e gates/${gate} ]; do sleep 0.1; done`, `exit ${exit}`].join('; ');

/** A plan YAML from task objects (JSON is YAML). */
const planYaml = (tasks: object[]) => JSON.stringify({ version: 1, tasks }, null, 2);

interface Run {
  dir: string;
  tmux: TmuxSession;
  /** Lets the task waiting for `gate` go on. */
  open(gate: string): Promise<void>;
  /** The run's events so far. */
  events(): Array<{ type: string; action?: string; id?: string }>;
}

/**
 * Starts `guild run plan.yaml -j 3` in a fresh tmux pane of `width` x `height` with `lang` as
 * the locale. When guild exits, the pane prints its exit code and whether the terminal was
 * left in raw mode, and stays open.
 */
async function startRun(tasks: object[], opts: { lang: string; width: number; height: number }): Promise<Run> {
  const dir = await testdir({
    'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }),
    'plan.yaml': planYaml(tasks),
    'gates/.keep': '',
  });
  const guild = [
    'env -u CI -u LC_ALL -u LC_CTYPE -u NO_COLOR -u FORCE_COLOR',
    `TERM=xterm-256color LANG=${opts.lang}`,
    shellQuote(process.execPath),
    shellQuote(GUILD_BIN),
    'run plan.yaml -j 3',
  ].join(' ');
  const after = `echo "[guild exited $?]"; case "$(stty -a)" in *-icanon*) echo "[tty raw]";; *) echo "[tty cooked]";; esac; exec sleep 600`;
  const tmux = TmuxSession.start({ command: `${guild}; ${after}`, cwd: dir, width: opts.width, height: opts.height });
  sessions.push(tmux);
  return {
    dir,
    tmux,
    open: (gate) => writeFile(path.join(dir, 'gates', gate), ''),
    events() {
      const runs = path.join(dir, '.guild', 'runs');
      if (!existsSync(runs)) return [];
      const [run] = readdirSync(runs);
      const file = run === undefined ? '' : path.join(runs, run, 'events.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{') && l.endsWith('}'))
        .map((l) => JSON.parse(l) as { type: string });
    },
  };
}

const lines = (screen: string) => screen.split('\n');
const has = (screen: string, re: RegExp) => lines(screen).some((l) => re.test(l));
const count = (screen: string, re: RegExp) => lines(screen).filter((l) => re.test(l)).length;
const controlled = (run: Run, action: string) => run.events().some((e) => e.type === 'run.control' && e.action === action);

/** The pid of the `node` child of `parent` (guild, under the pane's shell). */
function nodeChildOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent && stat.includes('(node)')) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** utime + stime of a process, in clock ticks (100 a second). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe('the monitor in a real terminal', () => {
  it('shows slots, progress, output and blockers live, takes keys, survives resizes, and ends with the summary', async () => {
    const run = await startRun(
      [
        { id: 'compile', priority: 1, writes: ['out/app.js'], estimate: '20s', run: gated('compile', ['step 1/3 compiling']) },
        { id: 'bundle', priority: 2, writes: ['out/app.js'], estimate: '10s', run: gated('bundle', ['bundling']) },
        { id: 'unit-tests', priority: 3, estimate: '30s', run: gated('tests', ['running 112 tests', '✓ 112 passed']) },
        { id: 'lint', priority: 3, estimate: '5s', run: gated('lint') },
        { id: 'deploy', dependsOn: ['bundle', 'unit-tests'], estimate: '1s', run: 'echo deployed' },
      ],
      { lang: 'C.UTF-8', width: 120, height: 30 },
    );
    const { tmux } = run;

    const live = await tmux.waitFor('three running tasks and one waiting for the lock', (s) =>
      has(s, /^slots \[1:▶\] \[2:▶\] \[3:▶\]/) &&
      has(s, /^\[\d\] ▶ compile +shell +\d+s +step 1\/3 compiling$/) &&
      has(s, /^\[\d\] ▶ unit-tests +shell +\d+s +✓ 112 passed$/) &&
      has(s, /^ +⏸ bundle +shell +wait +out\/app\.js held by compile$/),
    );
    expect(live).toMatch(/^guild \w{16} +[█░]+ 0% +0\/5 done · elapsed \d+s · eta ~\S+$/m);
    expect(live).toMatch(/^keys: p pause · r resume · s serialize · a abort · \? help$/m);

    // Keys reach the run: p pauses, r resumes (the event log says so, and so does the header).
    tmux.sendKeys('p');
    await waitFor('the pause in the event log', () => controlled(run, 'pause'));
    await tmux.waitFor('PAUSED in the header', (s) => has(s, /^guild \w+ PAUSED /) && has(s, /run paused$/));
    tmux.sendKeys('r');
    await waitFor('the resume in the event log', () => controlled(run, 'resume'));
    await tmux.waitFor('the header without PAUSED', (s) => has(s, /^guild \w+ +[█░]/) && has(s, /run resumed$/));

    // A finished task is printed once above the live area, and the counts move.
    await run.open('lint');
    await tmux.waitFor('lint printed as done', (s) => has(s, /^✓ \[\d\d:\d\d\.\d{3}\] lint succeeded in /) && has(s, / 1\/5 done /));

    // Narrower and shorter: the frame is redrawn to fit, with no torn or wrapped lines left.
    for (const [width, height] of [
      [72, 14],
      [46, 10],
    ] as const) {
      tmux.resize(width, height);
      const screen = await tmux.waitFor(`a frame that fits ${width}x${height}`, (s) => {
        const visible = lines(s);
        return (
          count(s, /^guild \w+/) === 1 &&
          visible.findIndex((l) => l.startsWith('slots ')) === visible.findIndex((l) => l.startsWith('guild ')) + 1 &&
          has(s, /bundle/) &&
          visible.every((l) => [...l].length <= width)
        );
      });
      expect(screen).toMatch(/^✓ \[\d\d:\d\d\.\d{3}\] lint succeeded/m);
      if (width === 46) expect(screen).toMatch(/^ +⏸ bundle +wait +out\/app\.js held by…$/m);
    }
    tmux.resize(120, 30);
    await tmux.waitFor('the full frame again', (s) => has(s, /^slots \[1:▶\] \[2:▶\] \[3:✓\]/) && has(s, /held by compile$/));

    // s serializes the run.
    tmux.sendKeys('s');
    await waitFor('serialize in the event log', () => controlled(run, 'serialize'));
    await tmux.waitFor('SERIALIZED in the header', (s) => has(s, /^guild \w+ SERIALIZED /));

    await run.open('compile');
    await run.open('tests');
    await tmux.waitFor('bundle running', (s) => has(s, /^\[\d\] ▶ bundle +shell +\d+s +bundling$/));
    await run.open('bundle');

    const screen = await tmux.waitFor('guild to exit', (s) => has(s, /^\[guild exited \d+\]$/) && has(s, /^\[tty (raw|cooked)\]$/));
    expect(screen).toContain('[guild exited 0]');
    expect(screen).toContain('[tty cooked]');
    // What was printed after the last resize (above it, the screen may hold older output).
    const visible = lines(screen).slice(lines(screen).findIndex((l) => / run serialized$/.test(l)));
    const end = visible.join('\n');
    const summary = visible.findIndex((l) => /^summary: 5 succeeded · wall \S+ · task time \S+ · speedup \d+\.\d\dx$/.test(l));
    expect(summary).toBeGreaterThan(0);
    expect(visible[summary - 1]).toMatch(/^guild \w{16} +█+ 100% +5\/5 done · elapsed \d+s$/);
    for (const id of ['compile', 'unit-tests', 'bundle', 'deploy']) {
      expect(count(end, new RegExp(`^✓ \\[\\d\\d:\\d\\d\\.\\d{3}\\] ${id} succeeded in `))).toBe(1);
    }
    // The live area is gone: no slot line, rows or key line are left behind.
    expect(end).not.toMatch(/^(slots |keys: |\[\d\] ▶| +⏸)/m);
    expect(tmux.format('#{cursor_flag}')).toBe('1');
  });

  it('falls back to ASCII in a C locale, shows failures, and hands Ctrl-C to guild', async () => {
    const run = await startRun(
      [
        { id: 'ok', run: gated('ok', ['✓ all good']) },
        { id: 'bad', run: gated('bad', ['about to fail'], 3) },
        { id: 'after-bad', dependsOn: ['bad'], run: 'true' },
        { id: 'hang', run: gated('never', ['hanging on']) },
      ],
      { lang: 'C', width: 120, height: 24 },
    );
    const { tmux } = run;
    const ascii = (s: string) => /^[\x20-\x7e\n]*$/.test(s);

    const live = await tmux.waitFor('the ASCII frame', (s) =>
      has(s, /^guild \w{16} +-+ 0% +0\/4 done \| elapsed \d+s \| eta ~\?$/) &&
      has(s, /^slots \[1:>\] \[2:>\] \[3:>\]/) &&
      has(s, /^\[\d\] > hang +shell +\d+s +hanging on$/) &&
      // Task output that is not ASCII is drawn with '?' rather than as broken bytes.
      has(s, /^\[\d\] > ok +shell +\d+s +\? all good$/),
    );
    expect(ascii(live)).toBe(true);

    await run.open('ok');
    await run.open('bad');
    const failed = await tmux.waitFor('the failure and the skip', (s) =>
      has(s, /^x \[\d\d:\d\d\.\d{3}\] bad failed in \S+ \(exit 3\); log: \.guild\/runs\/\w+\/logs\/bad\.log$/) &&
      has(s, /^- \[\d\d:\d\d\.\d{3}\] after-bad skipped: dependency bad failed$/) &&
      has(s, /^\+ \[\d\d:\d\d\.\d{3}\] ok succeeded in /) &&
      has(s, / #+-+ 75% +3\/4 done \| 1 failed \| 1 skipped \|/),
    );
    expect(ascii(failed)).toBe(true);

    tmux.sendKeys('C-c');
    const end = await tmux.waitFor('guild to exit', (s) => has(s, /^\[guild exited \d+\]$/) && has(s, /^\[tty (raw|cooked)\]$/));
    expect(end).toContain('[guild exited 130]');
    expect(end).toContain('[tty cooked]');
    expect(count(end, /^guild: Ctrl-C: stopping running tasks/)).toBe(1);
    expect(end).toMatch(/^x \[\d\d:\d\d\.\d{3}\] hang cancelled in /m);
    expect(end).toMatch(/^summary: 1 succeeded, 1 failed, 1 cancelled, 1 skipped \| wall \S+ \| task time \S+ \| speedup \d+\.\d\dx$/m);
    expect(end).not.toMatch(/^(slots |keys: )/m);
    expect(ascii(end)).toBe(true);
    expect(tmux.format('#{cursor_flag}')).toBe('1');
  });

  it('stays cheap on a quiet run, shows the help, and aborts after asking', async () => {
    const run = await startRun([{ id: 'quiet', run: gated('never', ['waiting quietly']) }], {
      lang: 'C.UTF-8',
      width: 100,
      height: 20,
    });
    const { tmux } = run;
    const elapsed = (s: string) => /elapsed (\d+)s/.exec(s)?.[1];
    // Past start-up (loading, the first frames): the quiet task has been running a while.
    const first = await tmux.waitFor('the quiet task', (s) => has(s, /^\[1\] ▶ quiet +shell +\d+s +waiting quietly$/) && Number(elapsed(s)) >= 2);

    const guild = await waitFor('the guild process', () => nodeChildOf(tmux.panePid()));
    const ticks0 = cpuTicks(guild);
    const t0 = Date.now();
    // A measurement window, not a wait for an outcome: ~3 s of a task that prints nothing.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const used = (cpuTicks(guild) - ticks0) / 100;
    const share = used / ((Date.now() - t0) / 1000);
    expect(share, `guild used ${(share * 100).toFixed(1)}% of a core while idle`).toBeLessThan(0.15);
    // ... while the clock kept ticking.
    const later = await tmux.waitFor('the elapsed time to move', (s) => elapsed(s) !== elapsed(first));
    expect(Number(elapsed(later))).toBeGreaterThan(Number(elapsed(first)));

    tmux.sendKeys('?');
    await tmux.waitFor('the help', (s) => has(s, /^ {2}a {7}abort: stop the running tasks, skip the rest \(asks first\)$/) && !has(s, /quiet/));
    tmux.sendKeys('?');
    await tmux.waitFor('the rows again', (s) => has(s, /▶ quiet/));

    tmux.sendKeys('a');
    await tmux.waitFor('the abort question', (s) => has(s, /^abort the run\? running tasks are stopped, the rest skipped\. y\/n$/));
    tmux.sendKeys('n');
    await tmux.waitFor('the key line back', (s) => has(s, /^keys: /));
    expect(controlled(run, 'abort')).toBe(false);

    tmux.sendKeys('a');
    await tmux.waitFor('the abort question again', (s) => has(s, /^abort the run\?/));
    tmux.sendKeys('y');
    const end = await tmux.waitFor('guild to exit', (s) => has(s, /^\[guild exited \d+\]$/) && has(s, /^\[tty (raw|cooked)\]$/));
    expect(controlled(run, 'abort')).toBe(true);
    expect(end).toContain('[guild exited 130]');
    expect(end).toContain('[tty cooked]');
    expect(end).toMatch(/^✗ \[\d\d:\d\d\.\d{3}\] quiet cancelled in /m);
    expect(end).toMatch(/^guild \w{16} ABORTED +█+ 100% +1\/1 done · 1 cancelled · elapsed \d+s$/m);
    expect(end).toMatch(/^summary: 0 succeeded, 1 cancelled · wall /m);
    expect(tmux.format('#{cursor_flag}')).toBe('1');
  });
});
