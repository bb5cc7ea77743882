import { describe, expect, it } from 'vitest';
import type { Plan } from '@guild/core';
import type { ListedTask, TaskList } from './task-list';
import { parseTaskList } from './task-list';
import { edges, fixture, guildErrorOf, md, planOf } from './test-support';

const SMALL = md(
  '# Tasks: Small login feature',
  '',
  '## Phase 1: Setup',
  '',
  '- [ ] T001 Create the layout',
  '- [ ] T002 [P] Configure lint in config/lint.json',
  '- [ ] T003 [P] Configure tests in config/test.json',
  '',
  '## Phase 2: Foundational',
  '',
  '- [ ] T004 Base model in src/models/base.ts',
  '',
  '## Phase 3: User Story 1 - Log in (Priority: P1)',
  '',
  '### Tests for User Story 1',
  '',
  '- [ ] T005 [P] [US1] Login test in tests/login.test.ts',
  '- [ ] T006 [P] [US1] Logout test in tests/logout.test.ts',
  '',
  '### Implementation for User Story 1',
  '',
  '- [ ] T007 [P] [US1] Session model in src/models/session.ts',
  '- [ ] T008 [US1] Login route in src/routes/login.ts (depends on T007)',
  '',
  '## Phase 4: User Story 2 - Sign up (Priority: P2)',
  '',
  '- [ ] T009 [US2] Signup route in src/routes/signup.ts',
  '- [ ] T010 [P] [US2] Signup form in web/Signup.tsx',
  '- [ ] T011 [P] [US2] Signup email in src/mail/signup.ts',
  '',
  '## Phase 5: Polish & Cross-Cutting Concerns',
  '',
  '- [ ] T012 [P] Docs in docs/auth.md',
  '- [ ] T013 Final check',
);

const byId = (list: TaskList, id: string): ListedTask => {
  const task = list.tasks.find((t) => t.id === id);
  if (task === undefined) throw new Error(`no task ${id}`);
  return task;
};

describe('spec-kit task lists', () => {
  it('orders a small list exactly as spec-kit says', () => {
    const { list, plan } = planOf(SMALL);
    expect(list.format).toBe('spec-kit');
    expect(list.title).toBe('Small login feature');
    expect(edges(plan)).toEqual({
      T001: [],
      T002: ['T001'],
      T003: ['T001'],
      T004: ['T002', 'T003'],
      // Stories wait for Foundational; tests before implementation.
      T005: ['T004'],
      T006: ['T004'],
      T007: ['T005', 'T006'],
      T008: ['T007'],
      // Story 2 runs alongside story 1.
      T009: ['T004'],
      T010: ['T009'],
      T011: ['T009'],
      // Polish waits for every story.
      T012: ['T008', 'T010', 'T011'],
      T013: ['T012'],
    });
  });

  it('keeps ids, titles, stories as groups, story priorities, files and origins', () => {
    const { plan } = planOf(SMALL);
    const t8 = plan.tasks.get('T008')!;
    expect(t8.title).toBe('Login route in src/routes/login.ts');
    expect(t8.group).toBe('US1');
    expect(t8.priority).toBe(1);
    expect(plan.tasks.get('T010')!.priority).toBe(2);
    expect(plan.tasks.get('T004')!.priority).toBe(2);
    expect(plan.tasks.get('T004')!.group).toBeUndefined();
    expect(t8.access).toEqual([{ kind: 'path', path: 'src/routes/login.ts', mode: 'write', glob: false }]);
    expect(plan.tasks.get('T013')!.access).toEqual([]);
    expect(t8.spec.origin).toEqual({ source: 'markdown', file: 'tasks.md', line: 23, column: 7 });
  });

  it('runs tests sections first even when written after the implementation, and says so', () => {
    const { list, plan } = planOf(
      md(
        '## Phase 3: User Story 1 - Export',
        '### Implementation for User Story 1',
        '- [ ] T001 [US1] Exporter in src/export.ts',
        '- [ ] T002 [US1] CLI flag in src/cli.ts',
        '### Tests for User Story 1',
        '- [ ] T003 [P] [US1] Export test in tests/export.test.ts',
        '- [ ] T004 [P] [US1] CLI test in tests/cli.test.ts',
      ),
    );
    expect(edges(plan)).toEqual({ T003: [], T004: [], T001: ['T003', 'T004'], T002: ['T001'] });
    expect(list.warnings).toEqual([
      { line: 6, message: expect.stringContaining('"Tests for User Story 1" comes after implementation tasks') },
    ]);
  });

  it('treats unknown phases (older spec-kit "Phase 3.x") as sequential', () => {
    const { plan } = planOf(fixture('cli-tool.tasks.md'), 'cli-tool.tasks.md');
    const e = edges(plan);
    expect(e.T004).toEqual(['T002', 'T003']);
    expect(e.T014).toEqual(['T013']);
    expect(e.T015).toEqual(['T013']);
    expect(e.T016).toEqual(['T014', 'T015']);
  });

  it('reads (depends on ...), (after: ...), after: and depends on: clauses and strips them from titles', () => {
    const { list } = planOf(
      md(
        '- [ ] T001 One',
        '- [ ] T002 [P] Two',
        '- [ ] T003 [P] Three (depends on T001 and T002)',
        '- [ ] T004 [P] Four (after: T001) in src/four.ts',
        '- [ ] T005 [P] Five, after: T002, T003',
        '- [ ] T006 [P] Six; Depends on: T001 & T004',
        '- [ ] T007 Seven (depends on T003 being merged)',
      ),
    );
    expect(list.tasks.map((t) => [t.id, t.title, t.after])).toEqual([
      ['T001', 'One', []],
      ['T002', 'Two', []],
      ['T003', 'Three', ['T001', 'T002']],
      ['T004', 'Four in src/four.ts', ['T001']],
      ['T005', 'Five', ['T002', 'T003']],
      ['T006', 'Six', ['T001', 'T004']],
      ['T007', 'Seven (depends on T003 being merged)', []],
    ]);
    expect(byId(list, 'T004').writes).toEqual(['src/four.ts']);
    expect(list.warnings).toEqual([
      { line: 7, message: '"(depends on T003 being merged)" was not read as a dependency list; write (depends on T003, T004) with ids only' },
    ]);
  });

  it('takes "T001: title" and "T001 - title", lower-case [p], and markers in any order', () => {
    const { list, plan } = planOf(
      md('- [ ] T001: Colon after the id', '- [ ] T002 - Dash after the id', '- [ ] T003 [p] Lower case', '- [ ] T004 [US1] [P] Story first'),
    );
    expect(list.tasks.map((t) => [t.title, t.parallel, t.story])).toEqual([
      ['Colon after the id', false, undefined],
      ['Dash after the id', false, undefined],
      ['Lower case', true, undefined],
      ['Story first', true, 'US1'],
    ]);
    expect(edges(plan).T004).toEqual(['T002']);
  });

  it('warns about [P] tasks that write the same file', () => {
    const { list, plan } = planOf(fixture('data-pipeline.tasks.md'), 'data-pipeline.tasks.md');
    expect(list.warnings).toEqual([
      {
        line: 36,
        message:
          'T013 and T012 (line 35) are both [P] but both write pipeline/models/order.py; they will not run at the same time (the conflict checker holds one back)',
      },
    ]);
    // Still unordered by the list itself: the conflict checker keeps them apart at run time.
    expect(plan.graph.reaches('T012', 'T013') || plan.graph.reaches('T013', 'T012')).toBe(false);
  });

  it('warns about a task labelled with another story than its phase', () => {
    const { list } = planOf(md('## Phase 3: User Story 1 - A', '- [ ] T001 [US1] One', '- [ ] T002 [US2] Two'));
    expect(list.warnings).toEqual([{ line: 3, message: expect.stringContaining('T002 is labelled [US2] but sits in the phase of US1') }]);
  });

  it('skips front matter, code blocks, HTML comments and the notes of the template', () => {
    const list = parseTaskList(
      md(
        '---',
        'description: "- [ ] T900 not a task"',
        '---',
        '<!--',
        '- [ ] T901 commented out',
        '-->',
        '- [ ] T001 Real <!-- - [ ] T902 --> task',
        '```bash',
        '- [ ] T903 in a code block',
        '```',
        '~~~',
        '- [ ] T904 in a tilde block',
        '~~~',
        '- [P] tasks = different files, no dependencies',
        '- **[Story]**: Which user story this task belongs to (e.g., US1, US2, US3)',
        '- T001, T002 before T003',
      ),
      'tasks.md',
    );
    expect(list.tasks.map((t) => [t.id, t.title])).toEqual([['T001', 'Real task']]);
  });

  it('accepts * and numbered bullets, [X], CRLF line endings, a BOM and indented notes under a task', () => {
    const text =
      '\uFEFF# Tasks: Mixed\r\n\r\n* [ ] T001 Star bullet\r\n1. [X] T002 Numbered and done\r\n2) [ ] T003 Other numbering in src/x.ts\r\n   - keep the old API\r\n   - log every call\r\n- [ ] T004 Last';
    const list = parseTaskList(text, 'tasks.md');
    expect(list.tasks.map((t) => [t.id, t.done, t.title])).toEqual([
      ['T001', false, 'Star bullet'],
      ['T002', true, 'Numbered and done'],
      ['T003', false, 'Other numbering in src/x.ts'],
      ['T004', false, 'Last'],
    ]);
    expect(byId(list, 'T003').details).toEqual(['- keep the old API', '- log every call']);
    expect(byId(list, 'T003').writes).toEqual(['src/x.ts']);
  });
});

describe('done tasks', () => {
  it('are left out, and what waited for them waits for what they waited for', () => {
    const { plan } = planOf(
      md(
        '## Phase 1: Setup',
        '- [ ] T001 One',
        '- [x] T002 Two, done',
        '- [ ] T003 Three',
        '- [ ] T004 [P] Four',
        '- [X] T005 [P] Five, done',
        '- [ ] T006 Six (depends on T005)',
        '## Phase 2: Foundational',
        '- [x] T007 Seven, done',
        '- [x] T008 Eight, done',
        '## Phase 3: User Story 1 - A',
        '- [ ] T009 [US1] Nine',
      ),
    );
    expect(edges(plan)).toEqual({
      T001: [],
      T003: ['T001'],
      T004: ['T003'],
      T006: ['T003', 'T004'],
      T009: ['T006'],
    });
  });

  it('do not block their dependents, also across phases', () => {
    const { plan } = planOf(fixture('cli-tool.tasks.md'), 'cli-tool.tasks.md');
    expect([...plan.tasks.keys()]).not.toContain('T001');
    expect(plan.tasks.get('T002')!.dependsOn).toEqual([]);
    // T006 (done) sat in T008's block of tests; T011 (done) stood between T010 and T012.
    expect([...plan.tasks.get('T008')!.dependsOn].sort()).toEqual(['T002', 'T003', 'T004', 'T005', 'T007']);
    expect(plan.tasks.get('T012')!.dependsOn).toEqual(['T010']);
  });
});

describe('[P:Group-name] checklists', () => {
  it('runs a group together, after what came before and before what follows', () => {
    const { list, plan } = planOf(fixture('coordinator.md'), 'coordinator.md');
    expect(list.format).toBe('checklist');
    expect(edges(plan)).toEqual({
      'add-the-cart-items-migration-in-db': [],
      'implement-get-cart-in-api-src-routes': ['add-the-cart-items-migration-in-db'],
      'implement-post-checkout-in-api-src': ['add-the-cart-items-migration-in-db'],
      'add-stripe-webhooks-in-api-src-routes': ['add-the-cart-items-migration-in-db', 'implement-post-checkout-in-api-src'],
      'update-the-openapi-document-in-api': [
        'add-stripe-webhooks-in-api-src-routes',
        'implement-get-cart-in-api-src-routes',
        'implement-post-checkout-in-api-src',
      ],
      // The done group member is left out; the other two still run together.
      'build-the-checkout-page-in-web-src-pages': ['update-the-openapi-document-in-api'],
      'build-the-order-summary-in-web-src': ['update-the-openapi-document-in-api'],
      'wire-the-pages-to-the-api-client-in-web': [
        'build-the-checkout-page-in-web-src-pages',
        'build-the-order-summary-in-web-src',
        'update-the-openapi-document-in-api',
      ],
      'add-analytics-events-p-group-ui-in-web': ['wire-the-pages-to-the-api-client-in-web'],
      'rate-limit-the-checkout-endpoint-in-api': ['add-analytics-events-p-group-ui-in-web'],
      'write-the-release-notes-in-changelog-md': ['rate-limit-the-checkout-endpoint-in-api'],
    });
    expect(plan.tasks.get('implement-get-cart-in-api-src-routes')!.group).toBe('api');
    expect(plan.tasks.get('build-the-order-summary-in-web-src')!.group).toBe('ui');
    expect(plan.tasks.get('add-analytics-events-p-group-ui-in-web')!.group).toBeUndefined();
  });

  it('warns about a marker in the middle of a title and a group split by other tasks', () => {
    const { list } = planOf(fixture('coordinator.md'), 'coordinator.md');
    expect(list.warnings).toEqual([
      {
        line: 19,
        message: 'the marker "[P:Group-ui]" in the middle of the title is ignored; put it right after the checkbox',
      },
      {
        line: 20,
        message:
          "group api continues here after other tasks (it started at line 8); these tasks wait for the tasks in between instead of running with the group's first ones",
      },
    ]);
  });

  it('accepts [P:name] and group markers after a spec-kit id', () => {
    const { plan } = planOf(
      md('- [ ] T001 [P:Group-db] One', '- [ ] T002 [P:db] Two', '- [ ] T003 [P:Group-web] Three', '- [ ] T004 Four'),
    );
    expect(edges(plan)).toEqual({ T001: [], T002: [], T003: ['T001', 'T002'], T004: ['T003'] });
    expect(plan.tasks.get('T002')!.group).toBe('db');
  });

  it('finds a checklist dependency written with capitals', () => {
    const { list } = planOf(md('- [ ] [P:Group-a] Build', '- [ ] [P:Group-a] Ship it (after: Build)'));
    expect(list.tasks[1]!.after).toEqual(['build']);
    expect(list.tasks[1]!.dependsOn).toEqual(['build']);
  });

  it('makes repeated titles unique ids and runs unmarked tasks one after another', () => {
    const { plan } = planOf(md('- [ ] Deploy', '- [ ] Deploy', '- [ ] Check the logs'));
    expect(edges(plan)).toEqual({ deploy: [], 'deploy-2': ['deploy'], 'check-the-logs': ['deploy-2'] });
  });
});

describe('properties of the sample lists', () => {
  for (const name of ['web-auth.tasks.md', 'data-pipeline.tasks.md', 'cli-tool.tasks.md']) {
    it(`${name}: phases in order, stories side by side, [P] blocks unordered, the rest in order`, () => {
      const { list, plan } = planOf(fixture(name), name);
      checkOrder(list, plan);
    });
  }
});

/**
 * Checks every pair of pending tasks against the rules, using the plan's own reachability:
 * - a later sequential phase waits for everything before it;
 * - tasks of different story phases of one run are ordered exactly when a written
 *   dependency between the stories connects them;
 * - tasks of one [P] run are not ordered among themselves;
 * - a task without [P] waits for everything before it in its phase (tests sections first).
 */
function checkOrder(list: TaskList, plan: Plan): void {
  const reaches = (a: string, b: string) => a === b || plan.graph.reaches(a, b);
  const phases = [...new Set(list.tasks.map((t) => t.phase))];
  const storyRun = new Map<(typeof phases)[number], number>();
  let run = 0;
  phases.forEach((p, i) => {
    if (p.kind === 'story') storyRun.set(p, phases[i - 1]?.kind === 'story' ? run : ++run);
  });
  const isTests = (t: ListedTask) => /^\W*tests?\b/i.test(t.section ?? '');
  const inPhaseOrder = (t: ListedTask) => (isTests(t) ? 0 : 1e6) + t.line;
  const pending = list.tasks.filter((t) => !t.done);
  const cross = pending.flatMap((t) =>
    t.after.map((dep) => ({ from: dep, to: t.id })).filter((e) => list.tasks.find((x) => x.id === e.from)!.phase !== t.phase),
  );
  let checked = 0;
  for (const a of pending) {
    for (const b of pending) {
      if (a === b) continue;
      const pa = phases.indexOf(a.phase);
      const pb = phases.indexOf(b.phase);
      const ordered = plan.graph.reaches(a.id, b.id);
      const sameRun = storyRun.has(a.phase) && storyRun.get(a.phase) === storyRun.get(b.phase);
      if (pa < pb && !sameRun) {
        expect(ordered, `${b.id} should wait for ${a.id}`).toBe(true);
      } else if (pa !== pb && sameRun) {
        const linked = cross.some((e) => reaches(a.id, e.from) && reaches(e.to, b.id));
        expect(ordered, `${a.id} -> ${b.id} across stories`).toBe(linked);
      } else if (pa === pb && inPhaseOrder(a) < inPhaseOrder(b)) {
        const between = list.tasks.filter((t) => t.line >= a.line && t.line <= b.line);
        const oneRun = a.section === b.section && between.every((t) => t.parallel && t.section === a.section);
        if (oneRun) expect(ordered || plan.graph.reaches(b.id, a.id), `${a.id} and ${b.id} are one [P] run`).toBe(false);
        if (!b.parallel) expect(ordered, `${b.id} (no [P]) should wait for ${a.id}`).toBe(true);
      } else {
        continue;
      }
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(100);
}

describe('problems', () => {
  it('reports unfilled template text with file:line:column, all at once', () => {
    const e = guildErrorOf(() => parseTaskList(fixture('unfilled.tasks.md'), 'specs/001/tasks.md'));
    expect(e.code).toBe('PLAN_INVALID');
    expect(e.location).toEqual({ file: 'specs/001/tasks.md', line: 1, column: 10 });
    expect(e.message).toBe(
      'specs/001/tasks.md:1:10: unfilled template text "[FEATURE NAME]" in the heading "Tasks: [FEATURE NAME]"; replace it with the real value (or put it in backticks if the brackets are meant literally)',
    );
    const where = e.more.map((m) => m.replace(/: .*$/, ''));
    expect(where).toEqual([
      'specs/001/tasks.md:6:23',
      'specs/001/tasks.md:6:47',
      'specs/001/tasks.md:9:28',
      'specs/001/tasks.md:11:11',
      'specs/001/tasks.md:13:40',
      'specs/001/tasks.md:13:74',
      'specs/001/tasks.md:14:16',
      'specs/001/tasks.md:14:31',
      'specs/001/tasks.md:14:61',
      'specs/001/tasks.md:15:7',
      'specs/001/tasks.md:16:44',
    ]);
    expect(e.more[0]).toContain('"[language]" in T002');
    expect(e.more[2]).toContain('"[Title]" in the heading "Phase 3: User Story 1 - [Title] (Priority: P1)"');
    expect(e.more[3]).toContain('"[Brief description of what this story delivers]" in the Goal line');
    expect(e.more[6]).toContain('"[Story]" in T005');
    expect(e.more[9]).toContain('the task id "TXXX" is a placeholder');
    expect(e.more[10]).toContain('open question "[NEEDS CLARIFICATION: session length not specified]" in T006');
  });

  it('reports every malformed line that looks like a task, with its line', () => {
    const e = guildErrorOf(() => parseTaskList(fixture('malformed.tasks.md'), 'malformed.tasks.md'));
    const all = [e.message, ...e.more];
    expect(all).toEqual([
      'malformed.tasks.md:5:6: put a space after the checkbox: "- [ ] T001 Missing space after the box"',
      'malformed.tasks.md:6:1: a checkbox is "[ ]" (one space) or "[x]", not "[]": write "- [ ] T002 Empty box"',
      'malformed.tasks.md:7:1: put a space between "-" and the checkbox: write "- [ ] T003 No space after the bullet"',
      'malformed.tasks.md:8:1: a task line needs a list bullet: write "- [ ] T004 No bullet at all"',
      'malformed.tasks.md:9:1: a checkbox is "[ ]" (one space) or "[x]", not "[  ]": write "- [ ] T005 Two spaces in the box"',
      'malformed.tasks.md:10:7: this checkbox item has no task id; in a spec-kit task list every task starts with one, e.g. "- [ ] T001 Create the project without an id"',
      'malformed.tasks.md:12:7: duplicate task id T006: line 11 already uses it; give each task its own id',
      'malformed.tasks.md:13:3: this task has no text after its checkbox; describe the task or remove the line',
      'malformed.tasks.md:14:41: T007 depends on T099, which is not a task in this file (tasks here: T006, T007, T008, T009); fix the id or add a task T099',
      'malformed.tasks.md:15:12: cannot read the group marker "[P:Group-]"; write [P:Group-name] (letters, digits, ".", "_", "-")',
      'malformed.tasks.md:16:7: a task is either [P] or in a [P:Group-name] group, not both; keep one marker',
    ]);
    expect(e.code).toBe('PLAN_SYNTAX');
  });

  it('names the line of an unknown dependency, and of a task that depends on itself', () => {
    const unknown = guildErrorOf(() => parseTaskList(md('- [ ] Build', '- [ ] Ship it after: buidl'), 'todo.md'));
    expect(unknown.code).toBe('PLAN_UNKNOWN_DEPENDENCY');
    expect(unknown.message).toBe(
      'todo.md:2:22: ship-it depends on buidl, which is not a task in this file (tasks here: build, ship-it); fix the id or add a task buidl',
    );
    const self = guildErrorOf(() => parseTaskList(md('- [ ] T001 One (depends on T001)'), 'tasks.md'));
    expect(self).toMatchObject({ code: 'PLAN_CYCLE', location: { line: 1 } });
  });

  it('needs ids on every task once a file is spec-kit, also when only a Phase heading says so', () => {
    const e = guildErrorOf(() => parseTaskList(md('## Phase 1: Setup', '- [ ] Create the project'), 'tasks.md'));
    expect(e.message).toContain('tasks.md:2:7: this checkbox item has no task id');
  });

  it('reports a file without any task', () => {
    const e = guildErrorOf(() => parseTaskList(md('# Notes', '', '- just a list', '- [P] tasks run together'), 'notes.md'));
    expect(e.code).toBe('PLAN_EMPTY');
    expect(e.message).toContain('notes.md: no tasks found');
  });

  it('lets a cycle of written dependencies reach core, which names it', () => {
    const e = guildErrorOf(() => planOf(md('- [ ] T001 [P] One (depends on T002)', '- [ ] T002 [P] Two (depends on T001)')));
    expect(e.code).toBe('PLAN_CYCLE');
    expect(e.message).toMatch(/^tasks\.md:1:7: dependency cycle: T001 -> T002 -> T001/);
  });
});
