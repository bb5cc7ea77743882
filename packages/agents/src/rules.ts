import type { AccessControl, Blocker, Conflict, Grant, Plan, Seconds, Task } from '@guild/core';
import { ANY_AGENT, WRITERS, type AgentProfile } from './profiles.js';

/** What the rules need to know about agents. */
export interface AgentRulesOptions {
  /** The profile a runner name stands for (profile or role name); undefined for other runners (`shell`). */
  resolve(runner: string): Pick<AgentProfile, 'name' | 'maxConcurrent' | 'singleton' | 'writes'> | undefined;
  /** Pairs never run at the same time: profile names, `*` (any agent) or `@writers`. */
  neverTogether?: ReadonlyArray<readonly [string, string]>;
  /** How long a limit lowered by rate limiting holds before it rises by one (default 60 s). */
  cooldown?: Seconds;
  /** Milliseconds now (default `Date.now`); tests pass a fake. */
  now?: () => number;
}

type RuleProfile = NonNullable<ReturnType<AgentRulesOptions['resolve']>>;
type AgentBlocker = Extract<Blocker, { kind: 'agent' }>;

/** A limit lowered after rate limiting: `cap` until `until`, then one more each cooldown up to `ceiling`. */
interface BackOff {
  cap: number;
  ceiling: number;
  until: number;
}

/**
 * The agent rules as an access control (`covers: ['agents']`): a per-agent maximum, singletons
 * (while one runs no other agent task does), never-together pairs, and an adaptive back-off
 * that halves an agent's limit when it reports rate limiting and raises it by one per
 * cooldown. Grants are all-or-nothing; a refused task gets `agent` blockers saying which rule
 * and which other agent hold it back. Tasks of other runners (`shell`) are always granted.
 */
export class AgentRules implements AccessControl {
  readonly name = 'agents';
  readonly covers = ['agents'] as const;
  private readonly holds = new Map<string, RuleProfile>();
  private readonly counts = new Map<string, number>();
  private readonly backOffs = new Map<string, BackOff>();
  private readonly reservations = new Map<string, { seq: number; profile: RuleProfile }>();
  private seq = 0;
  private readonly pairs: ReadonlyArray<readonly [string, string]>;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AgentRulesOptions) {
    this.pairs = options.neverTogether ?? [];
    this.cooldownMs = (options.cooldown ?? 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  tryGrant(task: Task): { grant: Grant } | { blockers: Blocker[] } {
    const profile = this.options.resolve(task.runner);
    if (!profile) return { grant: { taskId: task.id } };
    const blockers = [...this.blockers(task.id, profile), ...this.reservedAgainst(task.id, profile)];
    if (blockers.length > 0) return { blockers };
    this.hold(task.id, profile);
    return { grant: { taskId: task.id } };
  }

  release(grant: Grant): void {
    const profile = this.holds.get(grant.taskId);
    if (!profile) return;
    this.holds.delete(grant.taskId);
    this.counts.set(profile.name, (this.counts.get(profile.name) ?? 1) - 1);
  }

  reserve(task: Task): void {
    const profile = this.options.resolve(task.runner);
    if (profile && !this.reservations.has(task.id)) this.reservations.set(task.id, { seq: this.seq++, profile });
  }

  unreserve(taskId: string): void {
    this.reservations.delete(taskId);
  }

  /**
   * Moves a running task to another agent (a fallback): granted only if the rules allow that
   * agent now. Returns the blockers when they do not, and then the task keeps what it held.
   */
  switchTo(taskId: string, runner: string): Blocker[] {
    const profile = this.options.resolve(runner);
    if (!profile) return [];
    const held = this.holds.get(taskId);
    if (held) this.release({ taskId });
    const blockers = this.blockers(taskId, profile);
    if (blockers.length > 0) {
      if (held) this.hold(taskId, held);
      return blockers;
    }
    this.hold(taskId, profile);
    return [];
  }

  /**
   * The agent reported rate limiting: its limit drops to half of what it runs now (at least 1)
   * and rises by one per cooldown until it reaches its old value.
   */
  rateLimited(runner: string): void {
    const profile = this.options.resolve(runner);
    if (!profile) return;
    const running = Math.max(1, this.counts.get(profile.name) ?? 0);
    const current = Math.min(this.limit(profile.name) ?? Infinity, running);
    const ceiling = profile.maxConcurrent ?? Math.max(running, this.backOffs.get(profile.name)?.ceiling ?? 0);
    this.backOffs.set(profile.name, { cap: Math.max(1, Math.floor(current / 2)), ceiling, until: this.now() + this.cooldownMs });
  }

  /** How many tasks of `profile` may run now: its maximum, lowered while it backs off; undefined for no limit. */
  limit(profile: string): number | undefined {
    const max = this.options.resolve(profile)?.maxConcurrent;
    const b = this.backOffs.get(profile);
    if (!b) return max;
    const now = this.now();
    while (now >= b.until && b.cap < b.ceiling) {
      b.cap++;
      b.until += this.cooldownMs;
    }
    if (b.cap >= b.ceiling) {
      this.backOffs.delete(profile);
      return max;
    }
    return b.cap;
  }

  /** How many tasks of each agent hold a grant now. */
  running(): ReadonlyMap<string, number> {
    return new Map([...this.counts].filter(([, n]) => n > 0));
  }

  /** Pairs of agent tasks that may never overlap (never-together or singleton) and are not ordered by dependencies. */
  conflicts(plan: Plan): Conflict[] {
    const byProfile = new Map<string, { profile: RuleProfile; ids: string[] }>();
    for (const task of plan.tasks.values()) {
      const profile = this.options.resolve(task.runner);
      if (!profile) continue;
      let group = byProfile.get(profile.name);
      if (!group) byProfile.set(profile.name, (group = { profile, ids: [] }));
      group.ids.push(task.id);
    }
    const groups = [...byProfile.values()];
    const candidates: Array<{ a: string; b: string; key: string; reason: string }> = [];
    groups.forEach((g, i) => {
      for (const h of groups.slice(i)) {
        const why = this.exclusion(g.profile, h.profile);
        if (!why) continue;
        g.ids.forEach((a, k) => {
          for (const b of g === h ? g.ids.slice(k + 1) : h.ids) candidates.push({ a, b, key: why.key, reason: why.reason });
        });
      }
    });
    const ordered = plan.graph.orderedPairs(candidates.map((c) => [c.a, c.b] as const));
    return candidates.filter((_, k) => ordered[k] === 0);
  }

  private hold(taskId: string, profile: RuleProfile): void {
    this.holds.set(taskId, profile);
    this.counts.set(profile.name, (this.counts.get(profile.name) ?? 0) + 1);
  }

  /** Why a task of `profile` cannot start now, from the tasks running (other than `taskId`). */
  private blockers(taskId: string, profile: RuleProfile): Blocker[] {
    const out: Blocker[] = [];
    const limit = this.limit(profile.name);
    if (limit !== undefined && (this.counts.get(profile.name) ?? 0) >= limit) {
      out.push({ kind: 'agent', agent: profile.name, reason: 'limit' });
    }
    const seen = new Set<string>();
    for (const [other, held] of this.holds) {
      if (other === taskId) continue;
      const blocker = this.exclusion(profile, held)?.blocker;
      const key = `${blocker?.reason}:${held.name}`;
      if (!blocker || seen.has(key)) continue;
      seen.add(key);
      out.push(blocker);
    }
    return out;
  }

  /** Reservations made earlier than the task's own that starting it would get in the way of. */
  private reservedAgainst(taskId: string, profile: RuleProfile): Blocker[] {
    const own = this.reservations.get(taskId)?.seq ?? Infinity;
    const out: Blocker[] = [];
    for (const [by, r] of this.reservations) {
      if (by === taskId || r.seq > own) continue;
      const limit = this.limit(profile.name);
      const crowdsOut = r.profile.name === profile.name && limit !== undefined && (this.counts.get(profile.name) ?? 0) + 1 >= limit;
      if (crowdsOut || this.exclusion(profile, r.profile)) out.push({ kind: 'reserved', key: `agent:${r.profile.name}`, by });
    }
    return out;
  }

  /** Whether tasks of `a` and `b` may never run at the same time, and the blocker for `a`. */
  private exclusion(a: RuleProfile, b: RuleProfile): { blocker: AgentBlocker; key: string; reason: string } | undefined {
    if (a.singleton || b.singleton) {
      const single = a.singleton ? a : b;
      const other = a.singleton ? b : a;
      return {
        blocker: { kind: 'agent', agent: a.name, reason: 'singleton', with: b.name },
        key: `agent:${single.name}`,
        reason: `${single.name} is a singleton agent: no other agent (here ${other.name}) runs beside it`,
      };
    }
    for (const [x, y] of this.pairs) {
      if ((this.matches(x, a) && this.matches(y, b)) || (this.matches(x, b) && this.matches(y, a))) {
        return {
          blocker: { kind: 'agent', agent: a.name, reason: 'never-together', with: b.name },
          key: `agent:${a.name}`,
          reason: `agents ${a.name} and ${b.name} never run together (rule ${x} / ${y})`,
        };
      }
    }
    return undefined;
  }

  private matches(token: string, p: RuleProfile): boolean {
    return token === ANY_AGENT || (token === WRITERS ? p.writes : token === p.name);
  }
}
