import { GuildError, locationOf, type Plan } from '@guild/core';
import type { AgentRegistry } from './profiles.js';

/**
 * Checks a plan's agent tasks before anything runs: each has a prompt to give its agent, and
 * each of its `fallbackAgents` is a profile or role. Throws a `PLAN_INVALID` GuildError naming
 * the task (and its file:line) on the first problem.
 */
export function checkAgentTasks(plan: Plan, registry: AgentRegistry): void {
  for (const task of plan.tasks.values()) {
    const profile = registry.resolve(task.runner);
    if (!profile) continue;
    const location = locationOf(task.spec);
    if (task.prompt === undefined) {
      throw new GuildError('PLAN_INVALID', `task "${task.id}" runs the agent ${task.runner} but has no "prompt:" to give it; add one`, { location });
    }
    for (const name of task.spec.fallbackAgents ?? []) {
      if (!registry.resolve(name)) {
        throw new GuildError(
          'PLAN_INVALID',
          `task "${task.id}" has fallbackAgents "${name}", which is no agent profile or role; profiles: ${[...registry.profiles.keys()].join(', ')}`,
          { location },
        );
      }
    }
  }
}
