import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { GuildError } from './errors.js';
import { parsePlanText, readPlanFile, suggest } from './plan-load.js';

function errorOf(fn: () => unknown): GuildError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GuildError);
    return e as GuildError;
  }
  throw new Error('expected a GuildError');
}

describe('parsePlanText', () => {
  test('reads tasks, applies defaults (env merged) and records each task\'s line', () => {
    const specs = parsePlanText(
      [
        'version: 1',
        'defaults: { timeout: 5m, retries: 1, env: { A: "1", B: 2 } }',
        'tasks:',
        '  - id: a',
        '    run: echo a',
        '  - id: b',
        '    run: echo b',
        '    retries: 3',
        '    env: { B: three }',
      ].join('\n'),
      'plan.yaml',
    );
    expect(specs).toHaveLength(2);
    expect(specs[0]).toMatchObject({ id: 'a', timeout: '5m', retries: 1, env: { A: '1', B: '2' } });
    expect(specs[1]).toMatchObject({ id: 'b', retries: 3, env: { A: '1', B: 'three' } });
    expect(specs[0]!.origin).toEqual({ source: 'plan', file: 'plan.yaml', line: 4, column: 5 });
    expect(specs[1]!.origin?.line).toBe(6);
  });

  test('JSON plans are read with positions too', () => {
    const specs = parsePlanText('{\n  "tasks": [\n    { "id": "x", "run": "true" }\n  ]\n}\n', 'p.json');
    expect(specs[0]!.origin).toMatchObject({ line: 3, column: 5 });
  });

  test('valid JSON takes the fast path and still records each task\'s line and column', () => {
    const compact = '{"defaults":{"retries":2},"tasks":[{"id":"a","run":"x"}, {"id":"b","run":"y [\\"{\\"]"}]}';
    const specs = parsePlanText(compact, 'c.json');
    expect(specs.map((s) => [s.id, s.retries, s.origin?.line])).toEqual([
      ['a', 2, 1],
      ['b', 2, 1],
    ]);
    for (const s of specs) expect(compact[s.origin!.column! - 1]).toBe('{');
    // the same positions the YAML parser reports for that text (the fast path must agree)
    expect(parsePlanText(compact, 'c.yaml').map((s) => s.origin)).toEqual(
      specs.map((s) => ({ ...s.origin, file: 'c.yaml' })),
    );
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    expect(parsePlanText(pretty, 'p.json').map((s) => s.origin)).toEqual(
      parsePlanText(pretty, 'p.yaml').map((s) => ({ ...s.origin, file: 'p.json' })),
    );
  });

  test('a YAML syntax error names file:line:column', () => {
    const e = errorOf(() => parsePlanText('tasks:\n  - id: a\n    run: [unclosed\n', 'plan.yaml'));
    expect(e.code).toBe('PLAN_SYNTAX');
    expect(e.message).toMatch(/^plan\.yaml:\d+:\d+: /);
    expect(e.message).toContain('YAML');
  });

  test('duplicate keys are a syntax error at the second key', () => {
    const e = errorOf(() => parsePlanText('tasks:\n  - id: a\n    run: x\n    run: y\n', 'plan.yaml'));
    expect(e.message).toMatch(/^plan\.yaml:4:5: /);
  });

  test('an unknown field suggests the near name and points at the key', () => {
    const e = errorOf(() =>
      parsePlanText('tasks:\n  - id: a\n    run: x\n  - id: b\n    run: y\n    dependOn: [a]\n', 'plan.yaml'),
    );
    expect(e.code).toBe('PLAN_INVALID');
    expect(e.message).toBe('plan.yaml:6:5: unknown field "dependOn" in task "b" — did you mean "dependsOn"?');
  });

  test('snake_case of a known field is recognised', () => {
    expect(suggest('depends_on', ['dependsOn', 'writes'])).toBe('dependsOn');
    expect(suggest('zzzzzz', ['dependsOn', 'writes'])).toBeUndefined();
  });

  test('an unknown top-level field lists the known ones when nothing is near', () => {
    const e = errorOf(() => parsePlanText('tasks: []\nflavour: mint\n', 'plan.yaml'));
    expect(e.message).toContain('unknown field "flavour"');
    expect(e.message).toContain('known fields: version, defaults, tasks');
  });

  test('a malformed duration names the value, the task and the line', () => {
    const e = errorOf(() => parsePlanText('tasks:\n  - id: a\n    run: x\n    estimate: 5 minutes\n', 'plan.yaml'));
    expect(e.message).toMatch(/^plan\.yaml:4:15: estimate: "5 minutes" is not a duration/);
    expect(e.message).toContain('in task "a"');
  });

  test.each([
    ['7', 'priority must be from 0 (most urgent) to 4'],
    ['high', 'priority must be a whole number from 0 (most urgent) to 4'],
    ['1.5', 'priority must be a whole number from 0 (most urgent) to 4'],
  ])('priority %s is refused', (value, message) => {
    const e = errorOf(() => parsePlanText(`tasks:\n  - id: a\n    run: x\n    priority: ${value}\n`, 'plan.yaml'));
    expect(e.message).toContain(message);
    expect(e.message).toMatch(/^plan\.yaml:4:15: /);
  });

  test('wrong types get our own wording, not the schema library\'s', () => {
    const e = errorOf(() => parsePlanText('version: 2\ntasks:\n  - id: a\n    run: 5\n', 'plan.yaml'));
    expect(e.message).toBe('plan.yaml:1:10: version must be 1, the only plan format there is (got 2)');
    expect(e.more).toEqual(['plan.yaml:4:10: "run" must be a shell command (a string) in task "a"']);
  });

  test('a .json plan must be strict JSON (no trailing commas)', () => {
    const e = errorOf(() => parsePlanText('{"tasks": [\n  {"id": "a", "run": "true",}\n]}\n', 'plan.json'));
    expect(e.code).toBe('PLAN_SYNTAX');
    expect(e.message).toMatch(/^plan\.json:2:\d+: .*\(fix the JSON syntax\)$/);
  });

  test('a missing id is named', () => {
    const e = errorOf(() => parsePlanText('tasks:\n  - run: x\n', 'plan.yaml'));
    expect(e.message).toContain("every task needs an \"id\"");
    expect(e.message).toMatch(/^plan\.yaml:2:5: /);
  });

  test('several problems are all reported', () => {
    const e = errorOf(() => parsePlanText('tasks:\n  - id: a\n    priority: 9\n  - id: b\n    retries: -1\n', 'p.yaml'));
    expect(e.more).toHaveLength(1);
    expect(e.more[0]).toContain('retries cannot be negative');
  });

  test.each([
    ['', 'the plan is empty'],
    ['# nothing here\n', 'the plan is empty'],
    ['tasks: []\n', 'the plan has no tasks'],
    ['- id: a\n', 'put the tasks under a top-level "tasks:" key'],
  ])('empty or misshapen plan %j', (text, message) => {
    const e = errorOf(() => parsePlanText(text, 'plan.yaml'));
    expect(e.message).toContain(message);
  });
});

describe('readPlanFile', () => {
  test('a missing file says so', async () => {
    await expect(readPlanFile('nope.yaml', os.tmpdir())).rejects.toMatchObject({
      code: 'PLAN_NOT_FOUND',
      message: expect.stringContaining('plan file not found: nope.yaml'),
    });
  });

  test('the root is the plan file\'s folder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'guild-plan-'));
    await writeFile(path.join(dir, 'p.yaml'), 'tasks:\n  - id: a\n    run: "true"\n');
    const parsed = await readPlanFile('p.yaml', dir);
    expect(parsed.root).toBe(dir);
    expect(parsed.specs[0]!.id).toBe('a');
  });
});

describe('the fast YAML path', () => {
  /** Each task's line and column as the yaml library's document places them. */
  const documentPositions = (text: string) => {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    const tasks = doc.get('tasks', true) as { items: Array<{ range?: [number, number, number] }> };
    return tasks.items.map((n) => {
      const { line, col } = lc.linePos(n.range![0]);
      return { line, column: col };
    });
  };
  const layouts: Record<string, string> = {
    'indented entries, comments and blank lines': [
      '# a plan',
      'version: 1',
      'defaults:',
      '  retries: 1',
      'tasks:',
      '  # first',
      '  - id: a',
      '    run: echo a',
      '',
      '  -   id: b   # odd spacing',
      '      run: echo b',
      '',
    ].join('\n'),
    'entries at column 1, and a block scalar holding dash lines': [
      'tasks:',
      '- id: a',
      '  run: |',
      '    - not a task',
      '    printf "%s\\n" "- nor this"',
      '- id: b',
      '  dependsOn:',
      '  - a',
      '  run: echo b',
      'version: 1',
    ].join('\n'),
    'a mapping on the line after the dash, anchors and aliases': [
      'version: 1',
      'tasks:',
      '  -',
      '    id: a',
      '    run: &cmd echo hi',
      '  - id: b',
      '    run: *cmd',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(layouts)) {
    test(`task lines match the full parser's: ${name}`, () => {
      const specs = parsePlanText(text, 'plan.yaml');
      expect(specs.map((s) => ({ line: s.origin!.line, column: s.origin!.column }))).toEqual(documentPositions(text));
      expect(specs.map((s) => s.id)).toEqual(['a', 'b']);
    });
  }

  test('a flow-style task list still parses (through the full parser), with lines', () => {
    const specs = parsePlanText('version: 1\ntasks: [{ id: a, run: echo a },\n  { id: b, run: echo b }]\n', 'plan.yaml');
    expect(specs.map((s) => [s.id, s.origin?.line])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
  });

  test('YAML 1.2 core scalars, as the full parser reads them: yes/no and dates stay text', () => {
    const specs = parsePlanText('tasks:\n  - id: a\n    title: 2024-01-01\n    run: echo yes\n    env: { FLAG: yes, N: 010 }\n', 'plan.yaml');
    expect(specs[0]).toMatchObject({ title: '2024-01-01', run: 'echo yes', env: { FLAG: 'yes', N: '10' } });
  });
});
