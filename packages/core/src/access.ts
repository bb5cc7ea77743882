import type { AccessControl, Blocker, Conflict, Grant, Plan, Task } from './types.js';

interface ResourceHold {
  exclusive?: string;
  shared: Set<string>;
}

interface Reservation {
  seq: number;
  names: Array<{ name: string; shared: boolean }>;
}

/**
 * Core's own access control: exclusive and shared named resources only (`db`, `db:shared`).
 * `@guild/conflicts` adds paths and globs and takes over resources too.
 */
export class ResourceLocks implements AccessControl {
  readonly name = 'resources';
  readonly covers = ['resources'] as const;
  private readonly holds = new Map<string, ResourceHold>();
  private readonly held = new Map<string, Array<{ name: string; shared: boolean }>>();
  private readonly reservations = new Map<string, Reservation>();
  private seq = 0;

  tryGrant(task: Task): { grant: Grant } | { blockers: Blocker[] } {
    const wants = resourcesOf(task);
    const blockers: Blocker[] = [];
    for (const { name, shared } of wants) {
      const hold = this.holds.get(name);
      if (hold?.exclusive !== undefined) blockers.push({ kind: 'lock', key: `resource:${name}`, heldBy: hold.exclusive });
      if (!shared && hold) for (const h of hold.shared) blockers.push({ kind: 'lock', key: `resource:${name}`, heldBy: h });
    }
    const own = this.reservations.get(task.id)?.seq ?? Infinity;
    for (const [by, r] of this.reservations) {
      if (by === task.id || r.seq > own) continue;
      for (const want of wants) {
        if (r.names.some((n) => n.name === want.name && !(n.shared && want.shared))) {
          blockers.push({ kind: 'reserved', key: `resource:${want.name}`, by });
        }
      }
    }
    if (blockers.length > 0) return { blockers };
    for (const { name, shared } of wants) {
      let hold = this.holds.get(name);
      if (!hold) this.holds.set(name, (hold = { shared: new Set() }));
      if (shared) hold.shared.add(task.id);
      else hold.exclusive = task.id;
    }
    if (wants.length > 0) this.held.set(task.id, wants);
    return { grant: { taskId: task.id } };
  }

  release(grant: Grant): void {
    for (const { name, shared } of this.held.get(grant.taskId) ?? []) {
      const hold = this.holds.get(name);
      if (!hold) continue;
      if (shared) hold.shared.delete(grant.taskId);
      else if (hold.exclusive === grant.taskId) hold.exclusive = undefined;
      if (hold.exclusive === undefined && hold.shared.size === 0) this.holds.delete(name);
    }
    this.held.delete(grant.taskId);
  }

  reserve(task: Task): void {
    const names = resourcesOf(task);
    if (names.length > 0 && !this.reservations.has(task.id)) this.reservations.set(task.id, { seq: this.seq++, names });
  }

  unreserve(taskId: string): void {
    this.reservations.delete(taskId);
  }

  conflicts(plan: Plan): Conflict[] {
    const users = new Map<string, Array<{ id: string; shared: boolean }>>();
    for (const task of plan.tasks.values()) {
      for (const r of resourcesOf(task)) {
        let list = users.get(r.name);
        if (!list) users.set(r.name, (list = []));
        list.push({ id: task.id, shared: r.shared });
      }
    }
    const out: Conflict[] = [];
    for (const [name, list] of users) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i]!;
          const b = list[j]!;
          if (a.shared && b.shared) continue;
          if (plan.graph.reaches(a.id, b.id) || plan.graph.reaches(b.id, a.id)) continue;
          const how = !a.shared && !b.shared ? 'both use' : 'one shares, the other needs exclusively,';
          out.push({ a: a.id, b: b.id, key: `resource:${name}`, reason: `${how} resource ${name}` });
        }
      }
    }
    return out;
  }
}

function resourcesOf(task: Task): Array<{ name: string; shared: boolean }> {
  const out: Array<{ name: string; shared: boolean }> = [];
  for (const a of task.access) if (a.kind === 'resource') out.push({ name: a.name, shared: a.shared });
  return out;
}

/**
 * Combines access controls into one that grants only if every part grants (all-or-nothing:
 * grants already taken from earlier parts are released when a later part refuses).
 */
export function composeAccess(controls: readonly AccessControl[]): AccessControl {
  if (controls.length === 1) return controls[0]!;
  const grants = new Map<string, Grant[]>();
  return {
    name: controls.map((c) => c.name).join('+'),
    covers: [...new Set(controls.flatMap((c) => c.covers ?? []))],
    prepare(plan, ctx) {
      for (const c of controls) c.prepare?.(plan, ctx);
    },
    finish() {
      for (const c of controls) c.finish?.();
    },
    tryGrant(task) {
      const taken: Array<[AccessControl, Grant]> = [];
      const blockers: Blocker[] = [];
      for (const c of controls) {
        const r = c.tryGrant(task);
        if ('grant' in r) taken.push([c, r.grant]);
        else blockers.push(...r.blockers);
      }
      if (blockers.length > 0) {
        for (const [c, g] of taken) c.release(g);
        return { blockers };
      }
      grants.set(task.id, taken.map(([, g]) => g));
      return { grant: { taskId: task.id } };
    },
    release(grant) {
      const parts = grants.get(grant.taskId) ?? [];
      controls.forEach((c, i) => {
        if (parts[i]) c.release(parts[i]);
      });
      grants.delete(grant.taskId);
    },
    reserve(task) {
      for (const c of controls) c.reserve?.(task);
    },
    unreserve(taskId) {
      for (const c of controls) c.unreserve?.(taskId);
    },
    conflicts(plan) {
      return controls.flatMap((c) => c.conflicts?.(plan) ?? []);
    },
  };
}

/**
 * The access control a run uses: every registered control, plus core's resource locks unless
 * one of them already covers resources.
 */
export function accessFor(registered: readonly AccessControl[]): AccessControl {
  const coversResources = registered.some((c) => c.covers?.includes('resources'));
  return composeAccess(coversResources ? registered : [new ResourceLocks(), ...registered]);
}
