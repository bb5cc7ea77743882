import { definePlugin, parseDuration, type GuildPlugin } from '@guild/core';
import { agentsCommand } from './agents-command.js';
import { createAgentRunner } from './agent-runner.js';
import { createDetector } from './detect.js';
import { parseAgentsOptions, type AgentsOptions } from './options.js';
import { checkAgentTasks } from './plan-check.js';
import { AgentRegistry } from './profiles.js';
import { AgentRules } from './rules.js';

export { AgentRegistry, BUILT_IN_PROFILES, DEFAULT_AGENT, DEFAULT_STALL_TIMEOUT, type AgentProfile } from './profiles.js';
export { AgentRules, type AgentRulesOptions } from './rules.js';
export { createAgentRunner, type AgentRunnerDeps } from './agent-runner.js';
export { startAgentProcess, type AgentProcess, type AgentProcessOptions, type AgentEnd } from './agent-process.js';
export { createDetector, detectRole, taskText, ROLES, ROLE_PATTERNS, type Role, type DetectionTargets } from './detect.js';
export { renderArgv, templateProblem, PLACEHOLDERS, type ArgValues } from './argv.js';
export { buildPrompt, declaredFiles } from './prompt.js';
export { checkAgentTasks } from './plan-check.js';
export { agentsCommand, type CommandIo, type ProfileReport } from './agents-command.js';
export { commandVersion } from './installed.js';
export { findCommand } from '@guild/core';
export { parseAgentsOptions, agentsOptionsSchema, profileOptionsSchema, type AgentsOptions, type ProfileOptions } from './options.js';
export * from './parsers/index.js';

/**
 * The `guild:agents` plugin: coding-agent CLIs as runners. It registers a runner per profile
 * (built-ins `claude-code`, `codex`, `gemini`, `aider`, plus those in options) and per role
 * (`backend`, `frontend`, `tests`, `database`, `security`), the agent rules as an access
 * control, agent detection for prompt-only tasks, and the `guild agents` command. Use as
 * `plugins: ['@guild/agents']` or `plugins: [['@guild/agents', { profiles: { ... } }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for options that do not
 *   match the schema (naming the option, its value and what is accepted) and for profiles that
 *   cannot be resolved (unknown or circular `extends`, a bad argv template, unknown names)
 */
export default definePlugin((options: AgentsOptions = {}): GuildPlugin => {
  const parsed = parseAgentsOptions(options, 'guild:agents');
  // Profiles are resolved again in setup, relative to the config's folder; doing it here too
  // reports a bad profile as soon as the config is read.
  new AgentRegistry(parsed, process.cwd());
  return {
    name: 'guild:agents',
    apiVersion: 1,
    setup(api) {
      const registry = new AgentRegistry(parsed, api.root);
      const cooldown = parsed.backoff?.cooldown;
      const rules = new AgentRules({
        resolve: (runner) => registry.resolve(runner),
        neverTogether: registry.neverTogether,
        cooldown: cooldown === undefined ? undefined : parseDuration(cooldown),
      });
      let planRoot: string | undefined;
      api.onPlan((plan) => {
        checkAgentTasks(plan, registry);
        planRoot = plan.root;
      });
      for (const name of registry.runnerNames()) {
        api.addRunner(
          createAgentRunner(name, {
            resolve: (n) => registry.resolve(n),
            rules,
            planRoot: () => planRoot,
            retryAfter: cooldown === undefined ? undefined : parseDuration(cooldown),
          }),
        );
      }
      api.addAccessControl(rules);
      const detect = createDetector({
        matchers: [...registry.profiles.values()].filter((p) => p.match.length > 0),
        defaultAgent: registry.defaultAgent,
      });
      api.addRunnerResolver(detect);
      api.addCommand(agentsCommand(registry, detect));
    },
  };
});
