import type { Access } from '@guild/core';
import { globLiteralPrefix, globOverlapsPath, globsOverlap, pathSegments } from './paths';

/** Something held (or reserved, or declared) by an owner. */
export interface IndexEntry {
  readonly owner: string;
  readonly access: Access;
}

/** Entries of one mode; read/read never conflicts, so reads are kept apart from writes. */
interface Bucket<E> {
  readonly reads: Set<E>;
  readonly writes: Set<E>;
}

interface TrieNode<E> {
  readonly parent: TrieNode<E> | undefined;
  readonly segment: string;
  /** The path this node stands for (`.` at the root). */
  readonly path: string;
  children: Map<string, TrieNode<E>> | undefined;
  /** Plain-path entries for exactly this path. */
  paths: Bucket<E> | undefined;
  /** Glob entries whose literal prefix is this path, grouped by glob so each is checked once. */
  globs: Map<string, Bucket<E>> | undefined;
  /** Entries in this node and below. */
  count: number;
  /** Write entries in this node and below: a read only needs to look where this is non-zero. */
  writes: number;
}

interface ResourceUsers<E> {
  readonly exclusive: Set<E>;
  readonly shared: Set<E>;
}

const newBucket = <E>(): Bucket<E> => ({ reads: new Set(), writes: new Set() });
const isEmpty = <E>(b: Bucket<E>): boolean => b.reads.size === 0 && b.writes.size === 0;

/**
 * Accesses indexed by path segment, so finding what conflicts with an access costs about
 * the depth of its path plus the entries found, not a scan of every entry.
 *
 * A plain path is stored at its own node; a glob at the node of its literal prefix (every
 * match lies below it). An access can only overlap entries on the way down to its node
 * (ancestors cover it) and entries in its node's subtree; subtrees holding nothing relevant
 * are skipped using the per-node counts.
 */
export class AccessIndex<E extends IndexEntry> {
  private readonly root: TrieNode<E> = makeNode(undefined, '');
  private readonly resources = new Map<string, ResourceUsers<E>>();
  private entries = 0;

  /** Number of entries held. */
  get size(): number {
    return this.entries;
  }

  /** Adds an entry. The same object must be passed to {@link delete}. */
  add(entry: E): void {
    this.entries++;
    const access = entry.access;
    if (access.kind === 'resource') {
      let users = this.resources.get(access.name);
      if (users === undefined) {
        users = { exclusive: new Set(), shared: new Set() };
        this.resources.set(access.name, users);
      }
      (access.shared ? users.shared : users.exclusive).add(entry);
      return;
    }
    const write = access.mode === 'write' ? 1 : 0;
    let node = this.root;
    node.count++;
    node.writes += write;
    for (const segment of this.segmentsOf(access)) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = makeNode(node, segment);
        node.children.set(segment, child);
      }
      node = child;
      node.count++;
      node.writes += write;
    }
    let bucket: Bucket<E> | undefined;
    if (access.glob) {
      node.globs ??= new Map();
      bucket = node.globs.get(access.path);
      if (bucket === undefined) {
        bucket = newBucket();
        node.globs.set(access.path, bucket);
      }
    } else {
      bucket = node.paths ??= newBucket();
    }
    (write ? bucket.writes : bucket.reads).add(entry);
  }

  /** Removes an entry added earlier; unknown entries are ignored. */
  delete(entry: E): void {
    const access = entry.access;
    if (access.kind === 'resource') {
      const users = this.resources.get(access.name);
      if (users === undefined || !(access.shared ? users.shared : users.exclusive).delete(entry)) return;
      this.entries--;
      if (users.shared.size === 0 && users.exclusive.size === 0) this.resources.delete(access.name);
      return;
    }
    let node: TrieNode<E> | undefined = this.root;
    for (const segment of this.segmentsOf(access)) {
      node = node.children?.get(segment);
      if (node === undefined) return;
    }
    const bucket = access.glob ? node.globs?.get(access.path) : node.paths;
    const write = access.mode === 'write' ? 1 : 0;
    if (bucket === undefined || !(write ? bucket.writes : bucket.reads).delete(entry)) return;
    this.entries--;
    if (isEmpty(bucket)) {
      if (access.glob) node.globs?.delete(access.path);
      else node.paths = undefined;
    }
    // Prune emptied nodes so a long run does not accumulate a trie of every path ever held.
    for (let n: TrieNode<E> | undefined = node; n !== undefined; n = n.parent) {
      n.count--;
      n.writes -= write;
      if (n.count === 0 && n.parent !== undefined) n.parent.children?.delete(n.segment);
    }
  }

  /**
   * Calls `visit` for every entry whose access conflicts with `access` (overlapping paths
   * with at least one write, or the same resource used exclusively by either side).
   * Entries of every owner are visited, including the caller's own.
   */
  forEachConflict(access: Access, visit: (entry: E) => void): void {
    if (access.kind === 'resource') {
      const users = this.resources.get(access.name);
      if (users === undefined) return;
      users.exclusive.forEach(visit);
      if (!access.shared) users.shared.forEach(visit);
      return;
    }
    const write = access.mode === 'write';
    const relevant = (n: TrieNode<E>): number => (write ? n.count : n.writes);
    const visitBucket = (bucket: Bucket<E>): void => {
      bucket.writes.forEach(visit);
      if (write) bucket.reads.forEach(visit);
    };
    const visitGlobs = (node: TrieNode<E>): void => {
      if (node.globs === undefined) return;
      for (const [glob, bucket] of node.globs) {
        const overlaps = access.glob ? globsOverlap(access.path, glob) : globOverlapsPath(glob, access.path);
        if (overlaps) visitBucket(bucket);
      }
    };

    let node = this.root;
    for (const segment of this.segmentsOf(access)) {
      if (relevant(node) === 0) return;
      // An ancestor's plain path covers everything below it; a glob still gets the exact
      // check so the index never disagrees with the pairwise rules.
      if (node.paths !== undefined && (!access.glob || globOverlapsPath(access.path, node.path))) {
        visitBucket(node.paths);
      }
      visitGlobs(node);
      const child = node.children?.get(segment);
      if (child === undefined) return;
      node = child;
    }
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop() as TrieNode<E>;
      if (relevant(n) === 0) continue;
      // Below a plain path everything overlaps it; below a glob's literal prefix it may not.
      if (n.paths !== undefined && (!access.glob || globOverlapsPath(access.path, n.path))) visitBucket(n.paths);
      visitGlobs(n);
      if (n.children !== undefined) {
        // Reversed so the walk meets children in insertion order and blockers read naturally.
        const children = [...n.children.values()];
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as TrieNode<E>);
      }
    }
  }

  private segmentsOf(access: Extract<Access, { kind: 'path' }>): readonly string[] {
    // A task's accesses are the same objects at every grant and release: split each path once.
    let segments = segmentCache.get(access);
    if (segments === undefined) {
      segments = access.glob ? globLiteralPrefix(access.path) : pathSegments(access.path);
      segmentCache.set(access, segments);
    }
    return segments;
  }
}

const segmentCache = new WeakMap<Access, readonly string[]>();

function makeNode<E>(parent: TrieNode<E> | undefined, segment: string): TrieNode<E> {
  const path = parent === undefined ? '.' : parent.path === '.' ? segment : `${parent.path}/${segment}`;
  return { parent, segment, path, children: undefined, paths: undefined, globs: undefined, count: 0, writes: 0 };
}
