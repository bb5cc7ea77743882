import { GuildError, TASK_ID, type CommandSpec } from '@guild/core';
import type { BdClient } from './bd-client';
import { createIssue } from './bd-commands';

/** What `guild beads file` needs. */
export interface FileCommandOptions {
  /** The bd client, or `undefined` when bd is not installed. */
  bd: () => Promise<BdClient | undefined>;
  /** Who files the issue (`--actor`); inside a guild task, `<actor>/<run-id>`. */
  actor: string;
  /** Where the new issue's id goes (default: stdout). */
  print?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * `guild beads file <title> [--discovered-from <id>] [-d text] [-t type] [-p 0..4] [-l a,b]`:
 * files work found while doing an issue, linked to it with `discovered-from` (so it never blocks
 * it). Inside a guild task the issue defaults to the task's own (`$GUILD_TASK_ID`), so an agent
 * can run `guild beads file "Flaky test in api/login" -d "..."` as it goes. Prints the new id.
 */
export function fileCommand(o: FileCommandOptions): CommandSpec {
  return {
    name: 'beads <action> <title>',
    description: 'beads: "guild beads file <title>" files new work found while doing an issue (linked with discovered-from)',
    options: [
      { flags: '--discovered-from <id>', description: 'the issue whose work found this one (default: $GUILD_TASK_ID)' },
      { flags: '-d, --description <text>', description: 'what the new issue is about' },
      { flags: '-t, --type <type>', description: 'issue type', default: 'task' },
      { flags: '-p, --priority <0-4>', description: 'priority, 0 = most urgent', default: '2' },
      { flags: '-l, --labels <list>', description: 'comma-separated labels' },
    ],
    async action(args, flags) {
      const [action, title] = args;
      if (action !== 'file') throw new GuildError('USAGE', `guild beads: unknown action "${action}"; the one action is: guild beads file <title> --discovered-from <id>`);
      const env = o.env ?? process.env;
      const from = typeof flags.discoveredFrom === 'string' ? flags.discoveredFrom : env.GUILD_TASK_ID;
      if (!from) throw new GuildError('USAGE', 'guild beads file: say which issue found this work with --discovered-from <id> (inside a guild task it defaults to $GUILD_TASK_ID)');
      if (!TASK_ID.test(from)) throw new GuildError('USAGE', `guild beads file: --discovered-from ${JSON.stringify(from)} is not an issue id`);
      const priority = Number(flags.priority ?? 2);
      if (!Number.isInteger(priority) || priority < 0 || priority > 4) {
        throw new GuildError('USAGE', `guild beads file: --priority takes 0 to 4 (0 = most urgent), got ${JSON.stringify(flags.priority)}`);
      }
      const bd = await o.bd();
      if (!bd) throw new GuildError('USAGE', 'guild beads file needs bd on PATH (install beads)');
      const labels = typeof flags.labels === 'string' ? flags.labels.split(',').map((l) => l.trim()).filter(Boolean) : undefined;
      const issue = await createIssue(
        bd,
        {
          title: title!,
          description: typeof flags.description === 'string' ? flags.description : undefined,
          type: typeof flags.type === 'string' ? flags.type : undefined,
          priority,
          labels,
          discoveredFrom: from,
        },
        env.GUILD_RUN_ID ? `${o.actor}/${env.GUILD_RUN_ID}` : o.actor,
      );
      (o.print ?? ((line) => process.stdout.write(`${line}\n`)))(issue.id);
      return 0;
    },
  };
}
