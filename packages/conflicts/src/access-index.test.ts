import { describe, expect, it } from 'vitest';
import { AccessIndex, type IndexEntry } from './access-index';
import { r, res, w } from './test-support';

/** The trie's root, read through the private field to check bookkeeping. */
const rootOf = (index: AccessIndex<IndexEntry>): { count: number; writes: number; children?: Map<string, unknown> } =>
  (index as unknown as { root: { count: number; writes: number; children?: Map<string, unknown> } }).root;

describe('AccessIndex', () => {
  it('counts entries and prunes emptied branches, so a long run does not grow the trie', () => {
    const index = new AccessIndex<IndexEntry>();
    const entries: IndexEntry[] = [];
    for (let i = 0; i < 2000; i++) {
      entries.push({ owner: `t${i}`, access: i % 2 ? w(`src/m${i % 37}/f${i}.ts`) : r(`lib/**/x${i}.ts`) });
    }
    entries.push({ owner: 'db', access: res('db') });
    for (const e of entries) index.add(e);
    expect(index.size).toBe(2001);
    expect(rootOf(index).count).toBe(2000);
    expect(rootOf(index).writes).toBe(1000);
    for (const e of entries) index.delete(e);
    index.delete(entries[0] as IndexEntry);
    expect(index.size).toBe(0);
    expect(rootOf(index)).toMatchObject({ count: 0, writes: 0 });
    expect(rootOf(index).children?.size ?? 0).toBe(0);
  });

  it('finds nothing once entries are gone', () => {
    const index = new AccessIndex<IndexEntry>();
    const e = { owner: 'a', access: w('src/a.ts') };
    index.add(e);
    const seen: string[] = [];
    index.forEachConflict(w('src'), (x) => seen.push(x.owner));
    index.delete(e);
    index.forEachConflict(w('src'), (x) => seen.push(x.owner));
    expect(seen).toEqual(['a']);
  });
});
