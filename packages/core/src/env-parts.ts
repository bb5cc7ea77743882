/**
 * A task's environment as the scheduler made it: the run's environment (one object, shared by
 * all tasks of the run) plus what this task adds. The shell runner hands these parts to the
 * launcher, which then sends only what differs from its own environment, without copying the
 * whole environment for every task. Internal to core: runners from plugins see `ctx.env`.
 */
export interface EnvParts {
  /** Shared by every task of a run; never changed. */
  readonly base: Readonly<Record<string, string>>;
  /** The task's own variables, which win over `base`. */
  readonly overlay: Readonly<Record<string, string>>;
}

/** The parts of the contexts the scheduler made, by context object (a derived context has none). */
const parts = new WeakMap<object, EnvParts>();

/** Records that `ctx.env` is `base` with `overlay` on top. */
export function setEnvParts(ctx: object, envParts: EnvParts): void {
  parts.set(ctx, envParts);
}

/** The parts of `ctx.env`, when the scheduler made `ctx` itself. */
export function envPartsOf(ctx: object): EnvParts | undefined {
  return parts.get(ctx);
}
