/** Placeholders an argv template may use. */
export const PLACEHOLDERS = ['prompt', 'files', 'workdir', 'model', 'task'] as const;

/** What a template's placeholders stand for when a task starts. */
export interface ArgValues {
  /** The whole prompt, one argv element however many lines or quotes it has. */
  prompt: string;
  /** The task's declared files (writes that are paths, not globs), relative to its folder. */
  files: readonly string[];
  workdir: string;
  /** The profile's model; an element needing it is dropped when there is none. */
  model?: string;
  /** The task id. */
  task: string;
}

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/**
 * Checks an argv template: a command first (no placeholder in it), only known placeholders,
 * `{files}` only as a whole element, and `{prompt}` somewhere. Returns what is wrong, or
 * undefined when the template is fine.
 */
export function templateProblem(argv: readonly string[]): string | undefined {
  if (argv.length === 0 || argv[0] === '') return 'must start with the command to run';
  if (argv[0]!.includes('{')) return `its first element is the command and cannot hold a placeholder (got "${argv[0]}")`;
  for (const element of argv) {
    for (const [, name] of element.matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name!)) {
        return `has an unknown placeholder {${name}} in "${element}"; known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
      }
    }
    if (element.includes('{files}') && element !== '{files}') return `"{files}" must be an element of its own (got "${element}")`;
  }
  if (!argv.some((e) => e.includes('{prompt}'))) return 'never passes the task\'s {prompt}';
  return undefined;
}

/**
 * Renders an argv template for one task. Each element stays one argument whatever the values
 * hold (nothing is ever split or interpreted by a shell). `{files}` expands to one element per
 * file (a file starting with `-` is passed as `./-name`, so it cannot be read as an option). An
 * element needing `{model}` when there is none is dropped, together with the option right before
 * it when the element is `{model}` alone (`--model {model}` disappears as a pair).
 */
export function renderArgv(template: readonly string[], values: ArgValues): string[] {
  const out: string[] = [];
  template.forEach((element, i) => {
    if (element === '{files}') {
      for (const file of values.files) out.push(file.startsWith('-') ? `./${file}` : file);
      return;
    }
    if (element.includes('{model}') && values.model === undefined) {
      const before = template[i - 1];
      if (element === '{model}' && before !== undefined && before.startsWith('-') && !before.includes('{')) out.pop();
      return;
    }
    // One pass: text inside a value (a prompt mentioning "{workdir}") is never expanded again.
    out.push(element.replace(PLACEHOLDER, (_, name: string) => {
      const value = values[name as Exclude<keyof ArgValues, 'files'>];
      return value ?? '';
    }));
  });
  return out;
}

/** Linux's limit on one command-line argument (MAX_ARG_STRLEN: 32 pages), its closing NUL included. */
const MAX_ARG_BYTES = 128 * 1024;

/**
 * Why the system would refuse to start `argv`, when that can be told beforehand: on Linux, an
 * argument over 128 KiB (the prompt, usually). `undefined` otherwise.
 */
export function argvTooLong(argv: readonly string[], prompt: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const arg of argv) {
    const bytes = Buffer.byteLength(arg);
    if (bytes + 1 <= MAX_ARG_BYTES) continue;
    const what = prompt !== '' && arg.includes(prompt) ? 'the prompt' : 'an argument';
    return (
      `its command line is too long for the system (E2BIG): ${what} is ${Math.round(bytes / 1024)} KiB; Linux takes at most ` +
      '128 KiB in one argument. Put the long part in a file the task can read and have the prompt point to it'
    );
  }
  return undefined;
}
