import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  GuildError,
  PluginHost,
  isGuildError,
  pickRun,
  readStoredPlan,
  runPaths,
  type CommandSpec,
  type ControlAction,
  type GuildConfig,
  type StoredPlan,
} from '@guild/core';
// Bundled at build time, so `--version` always matches the published package.
import { version } from '../package.json';
import { findProjectRoot, loadConfig, resolvePlugins } from './config.js';
import { conflictsCommand, planCommand, runCommand, type Context, type TaskRef } from './commands.js';
import { pruneCommand } from './prune.js';
import { controlCommand, logsCommand, runsCommand, statusCommand } from './runs-commands.js';

/** Streams and folder the CLI works with; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** The real terminal, when there is one: interactive reporters draw on it. */
  terminal?: { stdout: NodeJS.WriteStream; stdin?: NodeJS.ReadStream };
  /** Environment, for CI detection (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * A reader that goes away (`guild run | head`) destroys the stream; the run goes on and its
 * further output is dropped rather than crashing guild (bin.ts swallows the EPIPE error).
 */
const writeTo = (stream: NodeJS.WriteStream) => (text: string) => {
  if (!stream.destroyed) stream.write(text);
};

const processIo: Io = {
  stdout: writeTo(process.stdout),
  stderr: writeTo(process.stderr),
  cwd: process.cwd(),
  terminal: { stdout: process.stdout, stdin: process.stdin.isTTY ? process.stdin : undefined },
};

/**
 * Exit codes: 0 all succeeded, 1 a task failed or was skipped, 2 bad input or config, 130
 * interrupted by Ctrl-C, 143 stopped by SIGTERM.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least 1, got "${value}"`);
    }
    return Number(value);
  };
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number (0 or more), got "${value}"`);
    return Number(value);
  };
}

/** The options a stored run was started with (`ref`: a run id or a unique prefix of one). */
function storedOptions(projectRoot: string, ref: string): StoredPlan['options'] {
  return readStoredPlan(runPaths(projectRoot, pickRun(projectRoot, ref))).options;
}

/**
 * Runs the `guild` command line with `argv` (without `node` and the script) and returns the
 * exit code. Never throws: bad input becomes one message on stderr and exit code 2.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  let host: PluginHost | undefined;
  const program = new Command('guild');
  const context = async (opts: { config?: string }, overrides: Partial<GuildConfig> = {}): Promise<Context> => {
    const loaded = await loadConfig(io.cwd, opts.config);
    Object.assign(loaded.config, overrides);
    const plugins = await resolvePlugins(loaded.config.plugins, loaded.dir, (i) => loaded.describe(['plugins', i]));
    host = new PluginHost(loaded.config, plugins, { root: loaded.dir, projectRoot: loaded.projectRoot });
    await host.setup();
    return { io, host, config: loaded.config, projectRoot: loaded.projectRoot };
  };
  const slotsOptions = (cmd: Command) =>
    sourceOptions(cmd)
      .addOption(new Option('-j, --concurrency <n>', 'slots for tasks of any priority (default 5)').argParser(positiveInt('--concurrency')))
      .addOption(new Option('--boost <n>', 'total slots, the extra ones for priority-0 tasks only (default 8)').argParser(positiveInt('--boost')));
  const slots = (config: GuildConfig, o: { concurrency?: number; boost?: number }) => {
    const concurrency = o.concurrency ?? config.concurrency;
    const boost = Math.max(o.boost ?? config.boost, concurrency);
    return { concurrency, boost };
  };

  program
    .name('guild')
    .description('Run many tasks at once without letting them trip over each other.')
    .version(version, '-V, --version')
    .option('-c, --config <file>', 'use this config file instead of searching for one')
    .showHelpAfterError('(run guild --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`guild: ${s.replace(/^error: /, '')}`),
    });

  slotsOptions(
    program
      .command('plan')
      .description('validate a plan and show its stages, critical path and conflicts; --simulate predicts the run')
      .argument('[file]', 'plan file (YAML or JSON)')
      .option('--simulate', 'run the real scheduler on a virtual clock using each task\'s estimate')
      .option('--json', 'print one JSON object (includes the simulation)'),
  ).action(async (file: string | undefined, o: SourceFlags & { simulate?: boolean; json?: boolean; concurrency?: number; boost?: number }) => {
    const what = taskRef('plan', file, o);
    const ctx = await context(program.opts());
    exitCode = await planCommand(ctx, what, { ...o, ...slots(ctx.config, o) });
  });

  slotsOptions(
    program
      .command('run')
      .description('run a plan: dependencies first, conflicting tasks never at the same time')
      .argument('[file]', 'plan file (YAML or JSON)')
      .option('--update-source', 'write outcomes back to the source (tick markdown boxes, close beads issues)')
      .option('--fail-fast', 'start no new task after the first failure')
      .option('--resume <run-id>', 'continue a run that was interrupted (its plan is stored with it)')
      .option('--retry-failed', 'with --resume: run failed tasks (and what they held up) again')
      .option('--no-wait', 'refuse to start, or stop, rather than wait for another run of this project holding what a task needs')
      .addOption(
        new Option('--isolation <mode>', 'shared: tasks run in the project; worktree: each writing task in its own git worktree, merged back').choices([
          'shared',
          'worktree',
        ]),
      )
      .option('--reporter <name>', 'how to show the run: plain (lines), tui (live monitor; the default in a terminal), or one a plugin adds'),
  ).action(
    async (
      file: string | undefined,
      o: {
        failFast?: boolean;
        concurrency?: number;
        boost?: number;
        resume?: string;
        retryFailed?: boolean;
        wait?: boolean;
        reporter?: string;
        isolation?: 'shared' | 'worktree';
      } & SourceFlags,
    ) => {
      if ((file === undefined && o.from === undefined) === (o.resume === undefined)) {
        throw new GuildError('USAGE', 'guild run takes a plan file, --from <source>, or --resume <run-id> (one of them); see guild run --help');
      }
      const what = o.resume === undefined ? taskRef('run', file, o) : undefined;
      if (o.retryFailed && o.resume === undefined) {
        throw new GuildError('USAGE', '--retry-failed only goes with --resume <run-id>');
      }
      // A resumed run keeps the slots and --fail-fast it was started with, unless flags say
      // otherwise, and its isolation whatever the config says now: work that already landed in
      // worktrees is not taken up again in the project, nor the other way round.
      const stored = o.resume === undefined ? undefined : storedOptions(findProjectRoot(io.cwd), o.resume);
      if (stored?.isolation !== undefined && o.isolation !== undefined && o.isolation !== stored.isolation) {
        throw new GuildError(
          'USAGE',
          `run ${o.resume} was started with --isolation ${stored.isolation}, and a resumed run keeps it; drop --isolation ${o.isolation}`,
        );
      }
      const isolation = stored?.isolation ?? o.isolation;
      const ctx = await context(program.opts(), isolation ? { isolation } : {});
      exitCode = await runCommand(ctx, what, {
        failFast: o.failFast ?? stored?.failFast ?? false,
        ...slots(ctx.config, { concurrency: o.concurrency ?? stored?.concurrency, boost: o.boost ?? stored?.boost }),
        resume: o.resume,
        retryFailed: o.retryFailed,
        noWait: o.wait === false,
        reporter: o.reporter,
      });
    },
  );

  program
    .command('status')
    .description('state of a run (default: the newest): counts and a table of tasks; works on crashed runs too')
    .argument('[run-id]', 'a run id or a unique prefix of one')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, o: { json?: boolean }) => {
      const { projectRoot } = await loadConfig(io.cwd, program.opts<{ config?: string }>().config);
      exitCode = statusCommand(io, projectRoot, ref, o);
    });

  program
    .command('runs')
    .description('list the runs of this project, newest last; --prune removes old ended ones')
    .option('--json', 'print JSON')
    .option('--prune', 'remove the ended runs older than the newest --keep (their folders, checkpoints and merged branches)')
    .addOption(new Option('--keep <n>', 'with --prune: how many of the newest runs stay, whatever their state').default(10).argParser(wholeNumber('--keep')))
    .option('--crashed', 'with --prune: remove crashed and damaged runs too (otherwise they stay, to be resumed)')
    .option('--dry-run', 'with --prune: say what would be removed, remove nothing')
    .action(async (o: { json?: boolean; prune?: boolean; keep: number; crashed?: boolean; dryRun?: boolean }, cmd: Command) => {
      if (!o.prune) {
        const stray = ['keep', 'crashed', 'dryRun'].find((k) => cmd.getOptionValueSource(k) === 'cli');
        if (stray) throw new GuildError('USAGE', `--${stray === 'dryRun' ? 'dry-run' : stray} only goes with --prune`);
        const { projectRoot } = await loadConfig(io.cwd, program.opts<{ config?: string }>().config);
        exitCode = runsCommand(io, projectRoot, o);
        return;
      }
      if (o.json) throw new GuildError('USAGE', '--json does not go with --prune');
      const ctx = await context(program.opts());
      exitCode = await pruneCommand(io, ctx.host, ctx.projectRoot, o);
    });

  program
    .command('logs')
    .description("print a task's log; --follow keeps printing until the task ends")
    .argument('<run-id>', 'a run id or a unique prefix of one')
    .argument('<task-id>', 'the task')
    .option('-f, --follow', 'keep printing new output until the task ends')
    .action(async (ref: string, taskId: string, o: { follow?: boolean }) => {
      const { projectRoot } = await loadConfig(io.cwd, program.opts<{ config?: string }>().config);
      exitCode = await logsCommand(io, projectRoot, ref, taskId, o);
    });

  const controls: Array<[ControlAction, string]> = [
    ['pause', 'start no new task in a running run; running tasks go on'],
    ['resume', 'let a paused run start tasks again'],
    ['serialize', 'run one task at a time for the rest of the run'],
    ['abort', 'stop a running run: running tasks are stopped and marked cancelled'],
  ];
  for (const [action, description] of controls) {
    program
      .command(action)
      .description(description)
      .argument('[run-id]', 'a run id or a unique prefix of one (default: the newest)')
      .action(async (ref: string | undefined) => {
        const { projectRoot } = await loadConfig(io.cwd, program.opts<{ config?: string }>().config);
        exitCode = await controlCommand(io, projectRoot, action, ref);
      });
  }

  sourceOptions(
    program
      .command('conflicts')
      .description('list every pair of tasks that must not run at the same time and is not ordered by dependencies')
      .argument('[file]', 'plan file (YAML or JSON)')
      .option('--json', 'print JSON'),
  ).action(async (file: string | undefined, o: SourceFlags & { json?: boolean }) => {
    const what = taskRef('conflicts', file, o);
    const ctx = await context(program.opts());
    exitCode = await conflictsCommand(ctx, what, o);
  });

  try {
    await addPluginCommands(program, argv, async (configFile) => {
      const ctx = await context({ config: configFile });
      return ctx.host.commands;
    }, (code) => {
      exitCode = code;
    });
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    exitCode = handleError(e, io);
  } finally {
    if (host) {
      try {
        await host.teardown();
      } catch (e) {
        exitCode = Math.max(exitCode, handleError(e, io));
      }
    }
  }
  return exitCode;
}

/**
 * Commands from plugins (`api.addCommand`): only when the first word is no built-in command
 * are the config and plugins loaded to look for one, so a broken config never breaks
 * `guild --help` or the built-ins' own messages.
 */
async function addPluginCommands(
  program: Command,
  argv: readonly string[],
  load: (configFile: string | undefined) => Promise<ReadonlyArray<CommandSpec & { plugin: string }>>,
  setExit: (code: number) => void,
): Promise<void> {
  let configFile: string | undefined;
  let first: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') configFile = argv[++i];
    else if (a.startsWith('--config=')) configFile = a.slice('--config='.length);
    else if (!a.startsWith('-')) {
      first = a;
      break;
    }
  }
  if (first !== undefined && program.commands.some((c) => c.name() === first || c.aliases().includes(first!))) return;
  let specs: ReadonlyArray<CommandSpec & { plugin: string }>;
  if (first === undefined) {
    // `guild` or `guild --help`: list the plugins' commands too, if the config loads.
    try {
      specs = await load(configFile);
    } catch {
      return;
    }
  } else {
    specs = await load(configFile);
  }
  for (const spec of specs) {
    const cmd = program.command(spec.name).description(`${spec.description} (from ${spec.plugin})`);
    for (const opt of spec.options ?? []) cmd.option(opt.flags, opt.description, opt.default);
    cmd.action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      setExit(await spec.action(command.args, command.opts()));
    });
  }
}

/** `--from` and the source flags, on plan, run and conflicts. */
interface SourceFlags {
  from?: string;
  allOpen?: boolean;
  updateSource?: boolean;
}

function sourceOptions(cmd: Command): Command {
  return cmd
    .option('--from <source>', 'take the tasks from a source: beads, a markdown task list (tasks.md), or one a plugin adds')
    .option('--all-open', 'with --from beads: every open issue, not only those ready now');
}

/** The plan file or `--from` source a command works on; exactly one of them. */
function taskRef(command: string, file: string | undefined, o: SourceFlags): TaskRef {
  if (file !== undefined && o.from !== undefined) {
    throw new GuildError('USAGE', `guild ${command} takes a plan file or --from <source>, not both`);
  }
  if (file === undefined && o.from === undefined) {
    throw new GuildError('USAGE', `guild ${command} needs a plan file or --from <source>; see guild ${command} --help`);
  }
  return { ref: (file ?? o.from)!, from: o.from !== undefined, allOpen: o.allOpen, updateSource: o.updateSource };
}

function handleError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    // --help and --version end with code 0; every parsing error is bad input.
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (isGuildError(e)) {
    io.stderr(`guild: ${e.message}\n`);
    for (const more of e.more.slice(0, 9)) io.stderr(`guild: ${more}\n`);
    if (e.more.length > 9) io.stderr(`guild: ... and ${e.more.length - 9} more problems\n`);
    return EXIT.usage;
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.stderr(`guild: internal error (please report it): ${message}\n`);
  return 70;
}
