import { createPlan, findCommand, readPlanFile, type CommandSpec, type TaskSpec } from '@guild/core';
import { commandVersion } from './installed.js';
import type { AgentRegistry } from './profiles.js';

/** Where the command writes and which folder a `--plan` path is relative to. */
export interface CommandIo {
  stdout(text: string): void;
  cwd(): string;
}

const processIo: CommandIo = { stdout: (text) => void process.stdout.write(text), cwd: () => process.cwd() };

/** One profile as `guild agents --json` shows it. */
export interface ProfileReport {
  name: string;
  description: string;
  command: string;
  /** Where the command was found, or null when it is not installed. */
  path: string | null;
  /** The first line of `<command> --version`, when installed. */
  version: string | null;
  roles: string[];
  maxConcurrent: number | null;
  singleton: boolean;
  fallbacks: string[];
  /** With `--plan`: the tasks this profile would run, and the runner name each was given. */
  tasks?: Array<{ id: string; runner: string }>;
}

/**
 * `guild agents [--plan file] [--json]`: every profile, whether its CLI is installed (and its
 * `--version`), the roles mapped to it, and with `--plan` which tasks each would take (the plan
 * is loaded with core's plan reader and agent detection). Returns exit code 0; a bad plan throws
 * core's GuildError (exit code 2).
 */
export function agentsCommand(registry: AgentRegistry, detect: (spec: TaskSpec) => string | undefined, io: CommandIo = processIo): CommandSpec {
  return {
    name: 'agents',
    description: 'list agent profiles, whether their CLIs are installed, and (with --plan) which tasks each would run',
    options: [
      { flags: '--plan <file>', description: 'show which tasks of this plan each agent would run' },
      { flags: '--json', description: 'print JSON' },
    ],
    async action(_args, options) {
      const planFile = typeof options.plan === 'string' ? options.plan : undefined;
      const tasks = planFile ? await planTasks(planFile, io.cwd(), detect) : undefined;
      const reports = await Promise.all(
        [...registry.profiles.values()].map(async (p): Promise<ProfileReport> => {
          const found = findCommand(p.argv[0]!);
          return {
            name: p.name,
            description: p.description,
            command: p.argv[0]!,
            path: found ?? null,
            version: found ? ((await commandVersion(found)) ?? null) : null,
            roles: [...registry.roles].filter(([, target]) => target === p.name).map(([role]) => role),
            maxConcurrent: p.maxConcurrent ?? null,
            singleton: p.singleton,
            fallbacks: [...p.fallbacks],
            ...(tasks ? { tasks: tasks.filter((t) => registry.resolve(t.runner)?.name === p.name) } : {}),
          };
        }),
      );
      const others = tasks?.filter((t) => !registry.resolve(t.runner));
      if (options.json) {
        const out = { profiles: reports, defaultAgent: registry.defaultAgent, ...(others ? { otherTasks: others } : {}) };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.stdout(text(reports, registry, planFile, others));
      }
      return 0;
    },
  };
}

async function planTasks(file: string, cwd: string, detect: (spec: TaskSpec) => string | undefined) {
  const parsed = await readPlanFile(file, cwd);
  const plan = createPlan(parsed.specs, { root: parsed.root, file, runnerFor: detect });
  return [...plan.tasks.values()].map((t) => ({ id: t.id, runner: t.runner }));
}

function text(reports: ProfileReport[], registry: AgentRegistry, planFile: string | undefined, others: Array<{ id: string; runner: string }> | undefined): string {
  const width = Math.max(...reports.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of reports) {
    const state = r.path ? `installed (${r.version ?? 'version unknown'})` : `not installed ("${r.command}" not found)`;
    const extras = [
      r.roles.length ? `roles: ${r.roles.join(', ')}` : '',
      r.maxConcurrent !== null ? `max ${r.maxConcurrent}` : '',
      r.singleton ? 'singleton' : '',
      r.fallbacks.length ? `fallbacks: ${r.fallbacks.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(`${r.name.padEnd(width)}  ${state}${extras.length ? ` · ${extras.join(' · ')}` : ''}`);
    if (r.tasks) {
      const shown = r.tasks.map((t) => (t.runner === r.name ? t.id : `${t.id} (as ${t.runner})`));
      lines.push(`${''.padEnd(width)}    tasks: ${shown.length ? shown.join(', ') : 'none'}`);
    }
  }
  lines.push(`default agent for prompts nothing is detected in: ${registry.defaultAgent}`);
  if (planFile && others) {
    lines.push(`${planFile}: ${others.length} other task${others.length === 1 ? '' : 's'}${others.length ? `: ${others.map((t) => `${t.id} (${t.runner})`).join(', ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
