import { describe, expect, test } from 'vitest';
import { ResourceLocks, accessFor, composeAccess } from './access.js';
import { planOf } from './test-plans.js';
import type { AccessControl } from './types.js';

const plan = planOf([
  { id: 'a', resources: ['db'] },
  { id: 'b', resources: ['db'] },
  { id: 'c', resources: ['db:shared'] },
  { id: 'd', resources: ['db:shared', 'cache'] },
]);
const t = (id: string) => plan.tasks.get(id)!;

describe('ResourceLocks', () => {
  test('exclusive vs exclusive, shared vs shared, shared vs exclusive', () => {
    const locks = new ResourceLocks();
    expect(locks.tryGrant(t('c'))).toEqual({ grant: { taskId: 'c' } });
    expect(locks.tryGrant(t('d'))).toEqual({ grant: { taskId: 'd' } });
    expect(locks.tryGrant(t('a'))).toEqual({
      blockers: [
        { kind: 'lock', key: 'resource:db', heldBy: 'c' },
        { kind: 'lock', key: 'resource:db', heldBy: 'd' },
      ],
    });
    locks.release({ taskId: 'c' });
    locks.release({ taskId: 'd' });
    expect('grant' in locks.tryGrant(t('a'))).toBe(true);
    expect(locks.tryGrant(t('b'))).toEqual({ blockers: [{ kind: 'lock', key: 'resource:db', heldBy: 'a' }] });
  });

  test('a reservation holds back later tasks and survives its own grant until unreserved', () => {
    const locks = new ResourceLocks();
    locks.reserve(t('a'));
    expect(locks.tryGrant(t('b'))).toEqual({ blockers: [{ kind: 'reserved', key: 'resource:db', by: 'a' }] });
    // granted, then rolled back because another control refused: still reserved
    expect('grant' in locks.tryGrant(t('a'))).toBe(true);
    locks.release({ taskId: 'a' });
    expect('blockers' in locks.tryGrant(t('b'))).toBe(true);
    locks.unreserve('a');
    expect('grant' in locks.tryGrant(t('b'))).toBe(true);
  });

  test('the static report lists pairs that conflict and are not ordered', () => {
    const ordered = planOf([
      { id: 'm', resources: ['db'] },
      { id: 'n', resources: ['db'], dependsOn: ['m'] },
      { id: 'o', resources: ['db:shared'] },
      { id: 'p', resources: ['db:shared'] },
    ]);
    expect(new ResourceLocks().conflicts(ordered).map((c) => `${c.a}-${c.b}`)).toEqual(['m-o', 'm-p', 'n-o', 'n-p']);
  });
});

describe('composeAccess', () => {
  test('all-or-nothing: a refusal by one control releases what the others granted', () => {
    const locks = new ResourceLocks();
    let refuse = true;
    const picky: AccessControl = {
      name: 'picky',
      tryGrant: (task) => (refuse && task.id === 'a' ? { blockers: [{ kind: 'slot' }] } : { grant: { taskId: task.id } }),
      release() {},
    };
    const both = composeAccess([locks, picky]);
    expect(both.tryGrant(t('a'))).toEqual({ blockers: [{ kind: 'slot' }] });
    // nothing of a is held, so b gets db
    expect('grant' in both.tryGrant(t('b'))).toBe(true);
    both.release({ taskId: 'b' });
    refuse = false;
    expect('grant' in both.tryGrant(t('a'))).toBe(true);
  });

  test('core adds its resource locks unless a registered control covers resources', () => {
    const other: AccessControl = { name: 'x', tryGrant: (task) => ({ grant: { taskId: task.id } }), release() {} };
    expect(accessFor([other]).name).toBe('resources+x');
    expect(accessFor([{ ...other, covers: ['resources'] }]).name).toBe('x');
  });
});
