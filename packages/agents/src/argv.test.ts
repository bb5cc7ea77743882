import { describe, expect, it } from 'vitest';
import { renderArgv, templateProblem } from './argv.js';

const values = { prompt: 'do it', files: ['src/a.ts', '-odd.ts'], workdir: '/w', task: 't1' };

describe('renderArgv', () => {
  it('fills placeholders, each value staying one argument', () => {
    const prompt = 'line 1\nline "2" $(x) {workdir}';
    expect(renderArgv(['tool', '--cwd', '{workdir}', '--message={prompt}', '--id', 'task-{task}'], { ...values, prompt })).toEqual([
      'tool',
      '--cwd',
      '/w',
      `--message=${prompt}`,
      '--id',
      'task-t1',
    ]);
  });

  it('expands {files} to one element per file and keeps a leading dash from reading as an option', () => {
    expect(renderArgv(['aider', '{files}', '--', '{prompt}'], values)).toEqual(['aider', 'src/a.ts', './-odd.ts', '--', 'do it']);
    expect(renderArgv(['aider', '{files}', '{prompt}'], { ...values, files: [] })).toEqual(['aider', 'do it']);
  });

  it('drops "--model {model}" as a pair without a model, and fills it with one', () => {
    const t = ['claude', '-p', '--model', '{model}', '--', '{prompt}'];
    expect(renderArgv(t, values)).toEqual(['claude', '-p', '--', 'do it']);
    expect(renderArgv(t, { ...values, model: 'opus' })).toEqual(['claude', '-p', '--model', 'opus', '--', 'do it']);
    expect(renderArgv(['g', '--model={model}', '{prompt}'], values)).toEqual(['g', 'do it']);
  });
});

describe('templateProblem', () => {
  it('accepts the usual shapes', () => {
    expect(templateProblem(['claude', '-p', '--', '{prompt}'])).toBeUndefined();
    expect(templateProblem(['aider', '--message={prompt}', '{files}'])).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(templateProblem([])).toBe('must start with the command to run');
    expect(templateProblem(['{prompt}'])).toMatch(/first element is the command/);
    expect(templateProblem(['x', '{promt}'])).toMatch(/unknown placeholder \{promt\}.*known: \{prompt\}, \{files\}/);
    expect(templateProblem(['x', '{prompt}', '--files={files}'])).toMatch(/"\{files\}" must be an element of its own/);
    expect(templateProblem(['x', '--go'])).toBe("never passes the task's {prompt}");
  });
});
