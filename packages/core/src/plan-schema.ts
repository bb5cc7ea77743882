import * as z from './zod.js';
import { parseDuration } from './duration.js';

/** Task ids become file names (logs) and appear in messages: keep them plain. */
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const duration = z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== undefined, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a duration: use seconds (90) or a string like "500ms", "2s", "5m", "1h"`,
});

const priority = z.int({ error: 'priority must be a whole number from 0 (most urgent) to 4' }).min(0, {
  error: 'priority must be from 0 (most urgent) to 4',
}).max(4, { error: 'priority must be from 0 (most urgent) to 4' });

const text = (field: string, what = 'text (a string)') =>
  z.string({ error: `"${field}" must be ${what}` }).min(1, { error: `"${field}" is empty` });

const stringList = (what: string) =>
  z.array(z.string({ error: `each entry of ${what} must be a string` }).min(1, { error: `${what} has an empty entry` }), {
    error: `${what} must be a list of strings`,
  });

const envValue = z.union([z.string(), z.number(), z.boolean()], {
  error: 'env values must be strings, numbers or booleans',
});

const resource = z.union(
  [z.string().min(1), z.strictObject({ name: z.string().min(1), shared: z.boolean().optional() })],
  { error: 'a resource is a name ("db", "db:shared") or { name, shared }' },
);

/** Fields a task and the `defaults` block share. */
const common = {
  agent: text('agent', 'a runner or agent name').optional(),
  cwd: text('cwd', 'a folder path').optional(),
  env: z.record(z.string(), envValue).optional(),
  writes: stringList('writes').optional(),
  reads: stringList('reads').optional(),
  resources: z.array(resource, { error: 'resources must be a list' }).optional(),
  priority: priority.optional(),
  estimate: duration.optional(),
  timeout: duration.optional(),
  retries: z.int({ error: 'retries must be a whole number' }).min(0, { error: 'retries cannot be negative' }).optional(),
  group: text('group').optional(),
  /** Agents to try, in order, when the task's own agent is missing or rate-limited. */
  fallbackAgents: stringList('fallbackAgents').optional(),
  /** Skills the agent should use (passed to agent runners). */
  skills: stringList('skills').optional(),
  /** Free loopback ports the task gets (GUILD_PORT, GUILD_PORT_1, ...); never shared with a concurrent task. */
  ports: z.int({ error: 'ports must be a whole number' }).min(0, { error: 'ports cannot be negative' }).max(64, { error: 'ports: at most 64' }).optional(),
};

/** One task in a plan file. */
export const taskSchema = z.strictObject({
  id: z
    .string({ error: 'every task needs an "id" (a string)' })
    .regex(TASK_ID, { error: 'a task id may hold letters, digits, ".", "_", ":" and "-", and starts with a letter or digit' }),
  title: z.string({ error: '"title" must be text (a string)' }).optional(),
  run: text('run', 'a shell command (a string)').optional(),
  prompt: text('prompt').optional(),
  /** Longer text for an agent: what to do and why (with \`title\` and \`acceptance\`, it makes the prompt). */
  description: text('description').optional(),
  /** Acceptance criteria an agent's work must meet. */
  acceptance: stringList('acceptance').optional(),
  dependsOn: stringList('dependsOn').optional(),
  meta: z.record(z.string(), z.unknown(), { error: '"meta" must be a mapping' }).optional(),
  ...common,
});

/** The `defaults` block: fills fields a task leaves out (env is merged). */
export const defaultsSchema = z.strictObject(common);

/** A plan file (YAML or JSON). */
export const planFileSchema = z.strictObject({
  version: z
    .literal(1, { error: (issue) => `version must be 1, the only plan format there is (got ${JSON.stringify(issue.input)})` })
    .optional(),
  defaults: defaultsSchema.optional(),
  tasks: z.array(taskSchema, { error: '"tasks" must be a list of tasks' }),
});

/** A plan file as written. */
export type PlanFile = z.input<typeof planFileSchema>;
/** The `defaults` block as written. */
export type PlanDefaults = z.input<typeof defaultsSchema>;

/** Field names a task may have, for "did you mean" suggestions. */
export const TASK_FIELDS = Object.keys(taskSchema.shape);
/** Field names the top level of a plan may have. */
export const PLAN_FIELDS = Object.keys(planFileSchema.shape);
/** Field names the defaults block may have. */
export const DEFAULTS_FIELDS = Object.keys(defaultsSchema.shape);
