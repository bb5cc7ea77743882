import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlaps, readRecords, removeTestdirs, runGuild, testdir, type Interval } from '@guild/test-utils';
import { md } from './test-support';

/*
 * The built plugin through the built `guild` binary, as a user runs it. Build both first:
 * `pnpm --filter @guild/markdown build` (the root `pnpm test` builds everything).
 */

const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/**
 * The one command every task runs (the plugin's `run` option). It records its start and end in
 * `rec/<id>.rec` and its title in `rec/<id>.title`, all from env. A task listed in
 * `wait/<id>` waits until each peer named there has started (failing after 10 s): two tasks
 * that wait for each other can only both succeed if guild runs them at the same time.
 */
const RECORD_SH = `set -e
mkdir -p rec
echo "$GUILD_TASK_ID start $(date +%s%3N)" >> "rec/$GUILD_TASK_ID.rec"
printf '%s' "$GUILD_TASK_TITLE" > "rec/$GUILD_TASK_ID.title"
if [ -f "wait/$GUILD_TASK_ID" ]; then
  for peer in $(cat "wait/$GUILD_TASK_ID"); do
    n=0
    while [ ! -f "rec/$peer.rec" ]; do
      n=$((n + 1))
      if [ $n -gt 200 ]; then exit 3; fi
      sleep 0.05
    done
  done
fi
sleep 0.1
echo "$GUILD_TASK_ID end $(date +%s%3N)" >> "rec/$GUILD_TASK_ID.rec"
`;

const config = (options: Record<string, unknown>) => JSON.stringify({ plugins: [[PLUGIN, options]] });

const SPEC_KIT = md(
  '# Tasks: End to end',
  '',
  '## Phase 1: Setup',
  '- [x] T001 Already done',
  '- [ ] T002 Create the layout',
  '',
  '## Phase 2: Foundational',
  '- [ ] T003 [P] Shared helper in src/lib/helper.ts',
  '- [ ] T004 [P] Shared config in src/config.ts',
  '',
  '## Phase 3: User Story 1 - Alpha (Priority: P1)',
  '- [ ] T005 [P] [US1] Alpha model in src/alpha/model.ts',
  '- [ ] T006 [P] [US1] Alpha view in src/alpha/view.ts',
  '- [ ] T007 [US1] Alpha wiring in src/alpha/index.ts',
  '',
  '## Phase 4: User Story 2 - Beta (Priority: P2)',
  '- [ ] T008 [P] [US2] Beta model in src/beta/model.ts',
  '- [ ] T009 [P] [US2] Beta validation, also in src/beta/model.ts',
  '',
  '## Phase 5: Polish & Cross-Cutting Concerns',
  '- [ ] T010 Say "$(touch pwned)" and `touch pwned2` in docs/notes.md',
);

beforeAll(() => {
  if (!existsSync(PLUGIN)) throw new Error(`${PLUGIN} does not exist; run pnpm --filter @guild/markdown build first`);
});
afterAll(removeTestdirs);

/** The one recorded run of `id`; fails if it ran other than once or did not finish. */
function once(records: Map<string, Interval[]>, id: string): Required<Interval> {
  const runs = records.get(id) ?? [];
  expect(runs, `runs of ${id}`).toHaveLength(1);
  expect(runs[0]!.end, `end of ${id}`).toBeDefined();
  return runs[0] as Required<Interval>;
}

describe('guild with the markdown plugin', () => {
  it('plans a spec-kit list: stages, conflicts, and the list\'s warnings', async () => {
    const dir = await testdir({ 'guild.config.json': config({ run: 'sh record.sh' }), 'tasks.md': SPEC_KIT });
    const r = await runGuild(['plan', 'tasks.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan tasks.md: 9 tasks in 5 stages');
    expect(r.stdout).toMatch(/^\s+1\s+T002$/m);
    expect(r.stdout).toMatch(/^\s+2\s+T003 T004$/m);
    expect(r.stdout).toMatch(/^\s+3\s+T005 T006 T008 T009$/m);
    expect(r.stdout).toContain('T008 <> T009: both write src/beta/model.ts');
    expect(r.stdout).toMatch(/^warnings \(1\):\n {2}tasks\.md:18: T009 and T008 \(line 17\) are both \[P\] but both write src\/beta\/model\.ts/m);
    const json = await runGuild(['plan', 'tasks.md', '--json'], { cwd: dir });
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringMatching(/^tasks\.md:18: T009 and T008/)]);
    expect(r.stderr).toContain('[guild:markdown] tasks.md: 1 task already checked off, not run: T001');
  });

  it('runs it in order, stories side by side, [P] tasks together unless they share a file', async () => {
    const dir = await testdir({
      'guild.config.json': config({ run: 'sh record.sh' }),
      'tasks.md': SPEC_KIT,
      'record.sh': RECORD_SH,
      // T003/T004 ([P]) and T005/T008 (different stories) each wait for the other to start.
      'wait/T003': 'T004',
      'wait/T004': 'T003',
      'wait/T005': 'T008',
      'wait/T008': 'T005',
    });
    const r = await runGuild(['run', 'tasks.md'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const records = await readRecords(path.join(dir, 'rec'));
    expect([...records.keys()].sort()).toEqual(['T002', 'T003', 'T004', 'T005', 'T006', 'T007', 'T008', 'T009', 'T010']);
    const run = (id: string) => once(records, id);
    const before = (a: string, b: string) => expect(run(a).end, `${a} ends before ${b} starts`).toBeLessThanOrEqual(run(b).start);
    for (const [a, bs] of [
      ['T002', ['T003', 'T004']],
      ['T003', ['T005', 'T006', 'T008', 'T009']],
      ['T004', ['T005', 'T006', 'T008', 'T009']],
      ['T005', ['T007']],
      ['T006', ['T007']],
      ['T007', ['T010']],
      ['T008', ['T010']],
      ['T009', ['T010']],
    ] as const) {
      for (const b of bs) before(a, b);
    }
    expect(overlaps(run('T003'), run('T004'))).toBe(true);
    expect(overlaps(run('T005'), run('T008'))).toBe(true);
    // Same file: the conflict checker kept them apart.
    expect(overlaps(run('T008'), run('T009'))).toBe(false);
    // The title reached the task as data; nothing in it ran.
    expect(await readFile(path.join(dir, 'rec/T010.title'), 'utf8')).toBe('Say "$(touch pwned)" and `touch pwned2` in docs/notes.md');
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(dir, 'pwned2'))).toBe(false);
  });

  it('runs a [P:Group-name] checklist: the group together, between what comes before and after', async () => {
    const dir = await testdir({
      'guild.config.json': config({ run: 'sh record.sh' }),
      'todo.md': md('- [ ] Prepare', '- [ ] [P:Group-build] Left', '- [ ] [P:Group-build] Right', '- [ ] Finish'),
      'record.sh': RECORD_SH,
      'wait/left': 'right',
      'wait/right': 'left',
    });
    const r = await runGuild(['run', 'todo.md'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const records = await readRecords(path.join(dir, 'rec'));
    const run = (id: string) => once(records, id);
    expect(run('prepare').end).toBeLessThanOrEqual(Math.min(run('left').start, run('right').start));
    expect(overlaps(run('left'), run('right'))).toBe(true);
    expect(Math.max(run('left').end, run('right').end)).toBeLessThanOrEqual(run('finish').start);
  });

  it('refuses an unfilled template with exit code 2 and file:line:column, no stack trace', async () => {
    const dir = await testdir({
      'guild.config.json': config({ run: 'sh record.sh' }),
      'tasks.md': md('# Tasks: Login', '', '- [ ] T001 Create [Entity1] model in src/models/[entity1].py', '- [ ] TXXX Clean up'),
    });
    const r = await runGuild(['run', 'tasks.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('guild: tasks.md:3:19: unfilled template text "[Entity1]" in T001');
    expect(r.stderr).toContain('guild: tasks.md:4:7: unfilled template text: the task id "TXXX" is a placeholder');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dir, '.guild/runs'))).toBe(false);
  });

  it('--from with --update-source ticks the boxes of the tasks that succeeded, and changes nothing else', async () => {
    const list = '# Tasks: Tick\r\n\r\n- [ ] T001 First  \r\n- [ ] T002 Second\r\n- [ ] T003 Third (depends on T002)\r\n- [ ] T004 Fourth';
    const dir = await testdir({
      'guild.config.json': config({ run: 'test "$GUILD_TASK_ID" != T002' }),
      'tasks.md': list,
    });
    const r = await runGuild(['run', '--from', 'tasks.md', '--update-source', '--reporter', 'plain'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    // T001 succeeded; T002 failed, so T003 and T004 (which waits for everything before it) were skipped.
    expect(r.stdout).toMatch(/T004 skipped: dependency T003 was skipped \(T002 failed\)/);
    expect(await readFile(path.join(dir, 'tasks.md'), 'utf8')).toBe(list.replace('[ ] T001', '[x] T001'));
  });

  it('without --update-source the list is left as it was', async () => {
    const list = md('# Tasks: Keep', '', '- [ ] T001 Only');
    const dir = await testdir({ 'guild.config.json': config({ run: 'true' }), 'tasks.md': list });
    const r = await runGuild(['run', '--from', 'tasks.md'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'tasks.md'), 'utf8')).toBe(list);
  });
});
