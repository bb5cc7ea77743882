import picomatch from 'picomatch';
import type { Access } from '@guild/core';

/** A path access: a file, a directory (everything below it) or a glob. */
export type PathAccess = Extract<Access, { kind: 'path' }>;
/** A named resource: exclusive unless `shared`. */
export type ResourceAccess = Extract<Access, { kind: 'resource' }>;

/** One segment of a glob after brace expansion. */
type Segment =
  | { readonly kind: 'globstar' }
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'pattern';
      readonly text: string;
      readonly test: (segment: string) => boolean;
      /** Literal text every match starts with. */
      readonly prefix: string;
      /** Literal text every match ends with. */
      readonly suffix: string;
    };

/** A glob prepared for overlap checks. */
interface CompiledGlob {
  /** picomatch's own matcher: the exact answer for "does the glob match this path". */
  readonly match: (path: string) => boolean;
  /** The brace-expanded alternatives, each a list of segments. */
  readonly alternatives: readonly (readonly Segment[])[];
  /** Segments before the first one with any glob syntax: every match lies below them. */
  readonly literalPrefix: readonly string[];
}

/**
 * Dotfiles are matched by wildcards: a lock on `src/**` that let another task write
 * `src/.env` would be unsafe.
 */
const PICOMATCH_OPTIONS = { dot: true } as const;
/** Beyond this many brace alternatives a glob is treated as "anything below its literal prefix". */
const MAX_ALTERNATIVES = 256;
/** Characters that may give a segment glob meaning; erring towards "magic" only loses precision. */
const MAGIC = /[*?[\]{}()!+@\\]/;
const GLOBSTAR: Segment = { kind: 'globstar' };

const globCache = new Map<string, CompiledGlob>();
const GLOB_CACHE_LIMIT = 10_000;

/** The segments of a normalised path; `.` (the plan root) has none. */
export function pathSegments(path: string): string[] {
  return path === '.' || path === '' ? [] : path.split('/');
}

/** The key a lock or a conflict names: the path or glob, or `resource:<name>`. */
export function accessKey(access: Access): string {
  return access.kind === 'resource' ? `resource:${access.name}` : access.path;
}

/** Whether two plain paths overlap: equal, or one lies below the other (`.` covers all). */
export function pathsOverlap(a: string, b: string): boolean {
  if (a === b || a === '.' || b === '.') return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return long.startsWith(short) && long.charAt(short.length) === '/';
}

/** The segments under which every match of `glob` lies; the lock table indexes a glob there. */
export function globLiteralPrefix(glob: string): readonly string[] {
  return compileGlob(glob).literalPrefix;
}

/** Prepares (and caches) a glob for overlap checks. */
export function compileGlob(glob: string): CompiledGlob {
  let compiled = globCache.get(glob);
  if (compiled === undefined) {
    compiled = buildGlob(glob);
    // A plan has a bounded set of globs; the cap only guards long-lived processes.
    if (globCache.size >= GLOB_CACHE_LIMIT) globCache.clear();
    globCache.set(glob, compiled);
  }
  return compiled;
}

function buildGlob(glob: string): CompiledGlob {
  const literalPrefix: string[] = [];
  for (const segment of glob.split('/')) {
    if (MAGIC.test(segment) || segment === '' || segment === '.') break;
    literalPrefix.push(segment);
  }
  if (glob.startsWith('!')) {
    // A negated glob matches nearly everything; treating it as `**` is the safe reading.
    return { match: () => true, alternatives: [[GLOBSTAR]], literalPrefix: [] };
  }
  const matcher = picomatch(glob, PICOMATCH_OPTIONS);
  const expanded = expandBraces(glob, MAX_ALTERNATIVES);
  const alternatives =
    expanded === null
      ? [[...literalPrefix.map((text): Segment => ({ kind: 'literal', text })), GLOBSTAR]]
      : expanded.map((alt) => splitOutside(alt, '/').map(toSegment));
  return { match: (path) => matcher(path), alternatives, literalPrefix };
}

function toSegment(text: string): Segment {
  if (text === '**') return GLOBSTAR;
  if (!MAGIC.test(text)) return { kind: 'literal', text };
  const first = text.search(MAGIC);
  let last = text.length - 1;
  while (last >= 0 && !MAGIC.test(text.charAt(last))) last--;
  const matcher = picomatch(text, PICOMATCH_OPTIONS);
  return {
    kind: 'pattern',
    text,
    test: (segment) => matcher(segment),
    prefix: text.slice(0, first),
    suffix: text.slice(last + 1),
  };
}

/** Index just past the `]` closing a bracket expression opened at `open`, or -1 if it is literal. */
function bracketEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === '!' || s[i] === '^') i++;
  if (s[i] === ']') i++;
  for (; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ']') return i + 1;
  }
  return -1;
}

/** Splits on `sep` outside brackets, braces and escapes. */
function splitOutside(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      const end = bracketEnd(s, i);
      if (end > 0) i = end - 1;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (depth > 0) depth--;
    } else if (c === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * Expands `{a,b}` alternations (nested too) so each alternative has plain segments; braces
 * without a top-level comma (`{1..3}`, `{a}`) stay as they are for picomatch to interpret.
 * Returns null when the expansion would exceed `limit`.
 */
function expandBraces(glob: string, limit: number): string[] | null {
  const brace = findBrace(glob);
  if (brace === null) return [glob];
  const { open, close, options } = brace;
  const out: string[] = [];
  for (const option of options) {
    const rest = expandBraces(glob.slice(0, open) + option + glob.slice(close + 1), limit);
    if (rest === null) return null;
    out.push(...rest);
    if (out.length > limit) return null;
  }
  return out;
}

function findBrace(s: string): { open: number; close: number; options: string[] } | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      const end = bracketEnd(s, i);
      if (end > 0) i = end - 1;
    } else if (c === '{') {
      const close = matchingBrace(s, i);
      if (close < 0) return null;
      const options = splitOutside(s.slice(i + 1, close), ',');
      if (options.length > 1) return { open: i, close, options };
      // Not an alternation; look for one after it.
      i = close;
    }
  }
  return null;
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      const end = bracketEnd(s, i);
      if (end > 0) i = end - 1;
    } else if (c === '{') {
      depth++;
    } else if (c === '}' && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** Adds the states reachable without consuming a segment (a `**` may match nothing). */
function closure(alt: readonly Segment[], states: Set<number>): Set<number> {
  for (const i of states) {
    if (alt[i]?.kind === 'globstar') states.add(i + 1);
  }
  return states;
}

function segmentMatches(seg: Segment, text: string): boolean {
  if (seg.kind === 'globstar') return true;
  return seg.kind === 'literal' ? seg.text === text : seg.test(text);
}

/** Whether `path` lies strictly above something `alt` could match (`src` vs `src/models/**`). */
function isAncestorOfMatch(alt: readonly Segment[], segments: readonly string[]): boolean {
  let states = closure(alt, new Set([0]));
  for (const text of segments) {
    const next = new Set<number>();
    for (const i of states) {
      const seg = alt[i];
      if (seg === undefined) continue;
      if (seg.kind === 'globstar') next.add(i);
      else if (segmentMatches(seg, text)) next.add(i + 1);
    }
    if (next.size === 0) return false;
    states = closure(alt, next);
  }
  for (const i of states) if (i < alt.length) return true;
  return false;
}

/** How a glob and a path overlap: the glob matches the path or an ancestor, or the path contains matches. */
export function globPathRelation(glob: string, path: string): 'covers' | 'contains' | null {
  const compiled = compileGlob(glob);
  const segments = pathSegments(path);
  let prefix = '';
  for (const seg of segments) {
    prefix = prefix === '' ? seg : `${prefix}/${seg}`;
    if (compiled.match(prefix)) return 'covers';
  }
  for (const alt of compiled.alternatives) {
    if (isAncestorOfMatch(alt, segments)) return 'contains';
  }
  return null;
}

/** Whether a glob and a plain path overlap (exact, by picomatch's semantics). */
export function globOverlapsPath(glob: string, path: string): boolean {
  return globPathRelation(glob, path) !== null;
}

/** Whether two segments could both match one segment text; "maybe" counts as yes. */
function segmentsCompatible(a: Segment, b: Segment): boolean {
  if (a.kind === 'globstar' || b.kind === 'globstar') return true;
  if (a.kind === 'literal') return b.kind === 'literal' ? a.text === b.text : b.test(a.text);
  if (b.kind === 'literal') return a.test(b.text);
  if (a.text === b.text) return true;
  const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixes && suffixes;
}

/**
 * Walks both alternatives segment by segment (a product automaton); they overlap when one
 * can finish matching (covering everything below) while the other is still alive.
 */
function alternativesOverlap(a: readonly Segment[], b: readonly Segment[]): boolean {
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width);
  const stack: number[] = [];
  const push = (i: number, j: number): void => {
    const k = i * width + j;
    if (seen[k] === 1) return;
    seen[k] = 1;
    stack.push(k);
  };
  push(0, 0);
  while (stack.length > 0) {
    const k = stack.pop() as number;
    const i = Math.floor(k / width);
    const j = k % width;
    if (i === a.length || j === b.length) return true;
    const sa = a[i] as Segment;
    const sb = b[j] as Segment;
    if (sa.kind === 'globstar') push(i + 1, j);
    if (sb.kind === 'globstar') push(i, j + 1);
    if (!segmentsCompatible(sa, sb)) continue;
    push(sa.kind === 'globstar' ? i : i + 1, sb.kind === 'globstar' ? j : j + 1);
  }
  return false;
}

/**
 * Whether two globs may overlap. Conservative: true unless provably disjoint (different
 * literal segments at the same depth, or segment patterns whose literal prefixes or suffixes
 * cannot agree, such as `*.ts` vs `*.js`).
 */
export function globsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const ca = compileGlob(a);
  const cb = compileGlob(b);
  for (const altA of ca.alternatives) {
    for (const altB of cb.alternatives) {
      if (alternativesOverlap(altA, altB)) return true;
    }
  }
  return false;
}

/** A conflict between two accesses, described. */
export interface AccessConflict {
  reason: string;
  /** The path, glob or `resource:<name>` the conflict is about (the narrower side). */
  key: string;
}

const verb = (a: PathAccess): string => (a.mode === 'write' ? 'writes' : 'reads');

/**
 * Describes why two accesses conflict, naming their owners `names[0]` and `names[1]`;
 * null when they do not conflict.
 */
export function describeConflict(a: Access, b: Access, names: readonly [string, string]): AccessConflict | null {
  const [na, nb] = names;
  if (a.kind === 'resource' || b.kind === 'resource') {
    if (a.kind !== 'resource' || b.kind !== 'resource' || a.name !== b.name) return null;
    if (a.shared && b.shared) return null;
    const key = accessKey(a);
    if (!a.shared && !b.shared) return { reason: `both use resource ${a.name} exclusively`, key };
    const [excl, shar] = a.shared ? [nb, na] : [na, nb];
    return { reason: `${excl} uses resource ${a.name} exclusively while ${shar} shares it`, key };
  }
  if (a.mode === 'read' && b.mode === 'read') return null;
  const both = a.mode === 'write' && b.mode === 'write';
  const same = (text: string): string =>
    both ? `both write ${text}` : `${na} ${verb(a)} ${text} that ${nb} ${verb(b)}`;

  if (!a.glob && !b.glob) {
    if (!pathsOverlap(a.path, b.path)) return null;
    if (a.path === b.path) return { reason: same(a.path), key: a.path };
    const aIsDir = a.path === '.' || b.path.startsWith(`${a.path}/`);
    const [dir, dirName, file, fileName] = aIsDir ? [a, na, b, nb] : [b, nb, a, na];
    return {
      reason: `${dirName} ${verb(dir)} ${dir.path} (directory) that ${fileName} ${verb(file)} as ${file.path}`,
      key: file.path,
    };
  }
  if (a.glob && b.glob) {
    if (!globsOverlap(a.path, b.path)) return null;
    if (a.path === b.path) return { reason: same(`${a.path} (glob)`), key: a.path };
    return { reason: `${na} ${verb(a)} ${a.path} (glob) which may overlap ${nb}'s ${b.path} (glob)`, key: a.path };
  }
  const [glob, globName, path, pathName] = a.glob ? [a, na, b, nb] : [b, nb, a, na];
  const relation = globPathRelation(glob.path, path.path);
  if (relation === null) return null;
  if (relation === 'covers') {
    return {
      reason: `${globName} ${verb(glob)} ${glob.path} (glob) which covers ${pathName}'s ${path.path}`,
      key: path.path,
    };
  }
  return {
    reason: `${pathName} ${verb(path)} ${path.path} (directory) that ${globName} ${verb(glob)} as ${glob.path} (glob)`,
    key: glob.path,
  };
}
