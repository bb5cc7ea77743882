/**
 * Every kind of bad input ends with exit code 2 and one clear message on stderr that says
 * where (file:line:column when there is one) and never a stack trace.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, runGuild, testdir } from '@guild/test-utils';
import { expectBadInput } from './support.js';

afterAll(removeTestdirs);

interface Case {
  name: string;
  files: Record<string, string>;
  args: string[];
  /** The first stderr line. */
  message: RegExp;
  /** How many lines stderr has in all (default 1). */
  lines?: number;
  /** Something the rest of stderr must say. */
  more?: RegExp;
}

const ok = 'tasks:\n  - id: a\n    run: "true"\n';

const planCases: Case[] = [
  {
    name: 'YAML syntax error: file:line:column',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: echo a\n   - id: b\n    run: echo b\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:4:4: .*\(fix the YAML syntax\)$/,
    lines: 2,
  },
  {
    name: 'JSON syntax error: file:line:column',
    files: { 'plan.json': '{\n  "tasks": [\n    {"id": "a" "run": "x"}\n  ]\n}\n' },
    args: ['plan', 'plan.json'],
    message: /^guild: plan\.json:3:\d+: .*\(fix the JSON syntax\)$/,
    lines: 2,
  },
  {
    name: 'unknown field, with a "did you mean"',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n  - id: b\n    run: "true"\n    dependOn: [a]\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:6:5: unknown field "dependOn" in task "b" — did you mean "dependsOn"\?$/,
  },
  {
    name: 'duplicate id, naming both lines',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n  - id: a\n    run: "true"\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:4:5: duplicate task id "a": .*plan\.yaml:2:5/,
  },
  {
    name: 'unknown dependency, naming both tasks',
    files: { 'plan.yaml': 'tasks:\n  - id: build\n    run: "true"\n    dependsOn: [setup]\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "build" depends on "setup", which is not a task in this plan/,
  },
  {
    name: 'dependency cycle, printed as a -> b -> c -> a',
    files: {
      'plan.yaml':
        'tasks:\n  - id: a\n    run: "true"\n    dependsOn: [b]\n  - id: b\n    run: "true"\n    dependsOn: [c]\n  - id: c\n    run: "true"\n    dependsOn: [a]\n',
    },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:\d+:\d+: dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)\b/,
  },
  {
    name: 'a task depending on itself',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    dependsOn: [a]\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "a" depends on itself/,
  },
  {
    name: 'malformed duration',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    estimate: 5 minutes\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:4:15: estimate: "5 minutes" is not a duration.*"5m"/,
  },
  {
    name: 'priority out of range',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    priority: 7\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:4:15: priority must be from 0 \(most urgent\) to 4 in task "a"$/,
  },
  {
    name: 'priority that is not a number',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    priority: high\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:4:15: priority must be a whole number.*in task "a"$/,
  },
  {
    name: 'empty plan file',
    files: { 'plan.yaml': '' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml: the plan is empty/,
  },
  {
    name: 'empty tasks list',
    files: { 'plan.yaml': 'tasks: []\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:1:8: the plan has no tasks/,
  },
  {
    name: 'no tasks key',
    files: { 'plan.yaml': 'version: 1\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:1:1: .*"tasks"/,
  },
  {
    name: 'a task with nothing to run',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    title: nothing\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "a" has nothing to do/,
  },
  {
    name: 'a task id that is not plain',
    files: { 'plan.yaml': 'tasks:\n  - id: "$(touch pwned)"\n    run: "true"\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:9: id: a task id may hold/,
  },
  {
    name: 'missing plan file',
    files: {},
    args: ['plan', 'nope.yaml'],
    message: /^guild: plan file not found: nope\.yaml \(looked for .*nope\.yaml\)/,
  },
  {
    name: 'a write escaping the plan folder',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    writes: [../x]\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "a" writes "\.\.\/x", which is outside the plan's folder/,
  },
  {
    name: 'bad input found by run, which then runs nothing',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    dependsOn: [a]\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "a" depends on itself/,
  },
  {
    name: 'bad input found by conflicts',
    files: { 'plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n    writes: [../../etc]\n' },
    args: ['conflicts', 'plan.yaml'],
    message: /^guild: plan\.yaml:2:5: task "a" writes "\.\.\/\.\.\/etc"/,
  },
];

const flagCases: Case[] = [
  { name: '-j 0', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '-j', '0'], message: /--concurrency takes a whole number of at least 1, got "0"/, lines: 2 },
  { name: '-j abc', files: { 'plan.yaml': ok }, args: ['plan', 'plan.yaml', '-j', 'abc'], message: /--concurrency takes a whole number of at least 1, got "abc"/, lines: 2 },
  { name: 'plan with neither a file nor --from', files: {}, args: ['plan'], message: /guild plan needs a plan file or --from <source>/ },
  { name: 'conflicts with a file and --from', files: { 'plan.yaml': ok }, args: ['conflicts', 'plan.yaml', '--from', 'beads'], message: /guild conflicts takes a plan file or --from <source>, not both/ },
  { name: '--from a source no plugin provides', files: {}, args: ['run', '--from', 'jira'], message: /--from jira: no task source takes it \(sources: beads, markdown, plan\)/ },
  { name: '--reporter unknown', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '--reporter', 'fancy'], message: /--reporter fancy: no such reporter; choose one of plain/ },
  { name: '--boost 1.5', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '--boost', '1.5'], message: /--boost takes a whole number of at least 1, got "1\.5"/, lines: 2 },
  { name: 'unknown option', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '--bogus'], message: /^guild: unknown option '--bogus'$/, lines: 2 },
  { name: 'missing argument', files: {}, args: ['logs', 'X'], message: /^guild: missing required argument 'task-id'$/, lines: 2 },
  { name: 'run without a plan or --resume', files: {}, args: ['run'], message: /^guild: guild run takes a plan file, --from <source>, or --resume <run-id> \(one of them\)/, lines: 1 },
  { name: 'run with both a plan and --resume', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '--resume', 'X'], message: /\(one of them\)/, lines: 1 },
  { name: '--retry-failed without --resume', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '--retry-failed'], message: /^guild: --retry-failed only goes with --resume/, lines: 1 },
  { name: 'missing option value', files: { 'plan.yaml': ok }, args: ['run', 'plan.yaml', '-j'], message: /^guild: option '-j, --concurrency <n>' argument missing$/, lines: 2 },
  { name: 'unknown command', files: {}, args: ['rnu', 'plan.yaml'], message: /^guild: unknown command 'rnu'$/, lines: 3, more: /^\(Did you mean run\?\)$/m },
];

const configCases: Case[] = [
  {
    name: 'unknown field in guild.config.json',
    files: { 'plan.yaml': ok, 'guild.config.json': '{\n  "concurency": 3\n}\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: guild\.config\.json:2:3: unknown field "concurency" — did you mean "concurrency"\?$/,
  },
  {
    name: 'bad concurrency type in .guildrc.yaml',
    files: { 'plan.yaml': ok, '.guildrc.yaml': 'boost: 8\nconcurrency: three\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: \.guildrc\.yaml:2:14: concurrency must be a whole number from 1 to 1024, got "three"$/,
  },
  {
    name: 'concurrency out of range in package.json "guild"',
    files: { 'plan.yaml': ok, 'package.json': '{\n  "name": "x",\n  "guild": { "concurrency": 0 }\n}\n' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: package\.json:3:29: concurrency must be a whole number from 1 to 1024, got 0$/,
  },
  {
    name: 'YAML syntax error in config',
    files: { 'plan.yaml': ok, '.guildrc.yaml': 'concurrency: 2\nplugins: [a\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: \.guildrc\.yaml:\d+:\d+: .*\(fix the YAML syntax\)$/,
  },
  {
    name: 'TypeScript syntax error in guild.config.ts',
    files: { 'plan.yaml': ok, 'guild.config.ts': 'const n: number = ;\nexport default { concurrency: n };\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: guild\.config\.ts:1:19: .*\(fix the TypeScript syntax\)$/,
  },
  {
    name: 'unknown plugin name in config',
    files: { 'plan.yaml': ok, 'guild.config.json': '{\n  "plugins": ["guild-plugin-nope"]\n}\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: guild\.config\.json:2:15: plugins\[0\]: cannot find plugin "guild-plugin-nope" .*npm i -D guild-plugin-nope/,
  },
  {
    name: 'misspelt built-in plugin',
    files: { 'plan.yaml': ok, '.guildrc.json': '{"plugins": [["guild:conflict", {}]]}' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: \.guildrc\.json:1:14: plugins\[0\]: cannot find plugin "guild:conflict" .*did you mean "guild:conflicts"\?/,
  },
  {
    name: 'plugin file that does not exist',
    files: { 'plan.yaml': ok, 'guild.config.json': '{"plugins": ["./nope.mjs"]}' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: guild\.config\.json:1:14: plugins\[0\]: plugin file "\.\/nope\.mjs" not found/,
  },
  {
    name: 'bad plugin options',
    files: { 'plan.yaml': ok, 'guild.config.json': '{"plugins": [["@guild/conflicts", {"mode": "bogus"}]]}' },
    args: ['plan', 'plan.yaml'],
    message: /^guild: guild\.config\.json:1:14: plugins\[0\] \(@guild\/conflicts\): bad options: .*"bogus"/,
  },
  {
    name: 'a plugin whose setup throws',
    files: {
      'plan.yaml': ok,
      'guild.config.json': '{"plugins": ["./boom.mjs"]}',
      'boom.mjs': "export default () => ({ name: 'boom-plugin', apiVersion: 1, setup() { throw new Error('boom'); } });\n",
    },
    args: ['run', 'plan.yaml'],
    message: /^guild: plugin boom-plugin failed in setup: boom$/,
  },
  {
    name: 'a plugin module that is not a plugin',
    files: { 'plan.yaml': ok, 'guild.config.json': '{"plugins": ["./five.mjs"]}', 'five.mjs': 'export default 5;\n' },
    args: ['run', 'plan.yaml'],
    message: /^guild: guild\.config\.json:1:14: plugins\[0\] \(\.\/five\.mjs\) is not a plugin .*expected a plugin object/,
  },
  {
    name: '--config naming a missing file',
    files: { 'plan.yaml': ok },
    args: ['run', 'plan.yaml', '--config', 'nope.json'],
    message: /^guild: config file not found: nope\.json/,
  },
];

describe.concurrent('bad input: exit 2, one message with its place, no stack trace', () => {
  it.each([...planCases, ...flagCases, ...configCases])('$name', async ({ files, args, message, lines = 1, more }) => {
    const dir = await testdir(files);
    const r = await runGuild(args, { cwd: dir });
    const first = expectBadInput(r);
    expect(first).toMatch(message);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(lines);
    if (more) expect(r.stderr).toMatch(more);
    // Commander's parsing errors end with a pointer to the help.
    if (lines > 1 && !first.includes('syntax')) expect(r.stderr.trimEnd()).toMatch(/\n\(run guild --help for usage\)$/);
    // Nothing ran: no run folder was made.
    expect(existsSync(path.join(dir, '.guild'))).toBe(false);
  });
});
