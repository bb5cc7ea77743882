import type { Access } from '@guild/core';

/** A declared path access: a file, a folder (everything below it) or a glob. */
export type PathAccess = Extract<Access, { kind: 'path' }>;

/** Beyond this many `{a,b}` alternatives a glob is not expanded further (it then matches less). */
const MAX_ALTERNATIVES = 1024;
const cache = new Map<string, RegExp[]>();

/**
 * Whether `glob` matches `file` (both `/`-separated, relative to the same folder), with the
 * semantics of picomatch with `dot: true` for what it supports: `*` and `?` within a segment,
 * `**` as a whole segment for any number of segments (none included), `[...]` and `[!...]`
 * classes, `{a,b}` alternatives (nested too) and `\` escapes. Wildcards match dotfiles.
 */
export function matchesGlob(glob: string, file: string): boolean {
  let compiled = cache.get(glob);
  if (compiled === undefined) {
    compiled = expandBraces(glob).map(toRegExp);
    cache.set(glob, compiled);
  }
  return compiled.some((re) => re.test(file));
}

/**
 * Whether a declared write covers `file`: the same path, a path below a declared folder (`.`
 * is the whole tree), or a glob matching the file or a folder above it (a glob covers
 * everything below what it matches). A negated glob (`!x/**`) is read as covering everything.
 */
export function covers(access: PathAccess, file: string): boolean {
  if (!access.glob) {
    return access.path === '.' || file === access.path || file.startsWith(`${access.path}/`);
  }
  if (access.path.startsWith('!')) return true;
  for (let at = file.length; at > 0; at = file.lastIndexOf('/', at - 1)) {
    if (matchesGlob(access.path, file.slice(0, at))) return true;
  }
  return false;
}

/**
 * The changed files no declared write covers, in the order given.
 *
 * @param changed repository-relative paths of the files a task changed
 * @param declared the task's write accesses, relative to the plan's root
 * @param planDir the plan's root relative to the repository (`''` when they are the same)
 */
export function undeclaredWrites(changed: readonly string[], declared: readonly PathAccess[], planDir: string): string[] {
  const prefix = planDir === '' ? '' : `${planDir}/`;
  return changed.filter((file) => {
    if (!file.startsWith(prefix)) return true; // outside the plan's folder: nothing declared there
    const rel = file.slice(prefix.length);
    return !declared.some((access) => covers(access, rel));
  });
}

/** The write accesses of a task's access list. */
export function writesOf(access: readonly Access[]): PathAccess[] {
  return access.filter((a): a is PathAccess => a.kind === 'path' && a.mode === 'write');
}

function toRegExp(glob: string): RegExp {
  const segments = glob.split('/').filter((s, i, all) => s !== '' || i < all.length - 1);
  let out = '';
  let joined = true; // the next segment needs no leading "/"
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      if (i === 0) out += last ? '.*' : '(?:.*/)?';
      else out += last ? '(?:/.*)?' : '(?:/.*)?/';
      joined = true;
      return;
    }
    out += (joined ? '' : '/') + segmentPattern(segment);
    joined = false;
  });
  return new RegExp(`^${out}$`);
}

function segmentPattern(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charAt(i);
    if (c === '\\' && i + 1 < segment.length) {
      out += escape(segment.charAt(++i));
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[' && bracketEnd(segment, i) > 0) {
      const end = bracketEnd(segment, i);
      let body = segment.slice(i + 1, end - 1);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `(?!/)[${negated ? '^' : ''}${body.replace(/\\(?!.)/g, '\\\\')}]`;
      i = end - 1;
    } else {
      out += escape(c);
    }
  }
  return out;
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Index just past the `]` closing a class opened at `open`, or -1 when the `[` is literal. */
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

/** Expands `{a,b}` alternatives; braces without a top-level comma stay literal. */
function expandBraces(glob: string): string[] {
  const brace = findBrace(glob);
  if (brace === undefined) return [glob];
  const out: string[] = [];
  for (const option of brace.options) {
    for (const alt of expandBraces(glob.slice(0, brace.open) + option + glob.slice(brace.close + 1))) {
      if (out.length >= MAX_ALTERNATIVES) return out;
      out.push(alt);
    }
  }
  return out;
}

function findBrace(s: string): { open: number; close: number; options: string[] } | undefined {
  for (let open = 0; open < s.length; open++) {
    if (s[open] === '\\') {
      open++;
      continue;
    }
    if (s[open] !== '{') continue;
    let depth = 0;
    let start = open + 1;
    const options: string[] = [];
    for (let i = open; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') i++;
      else if (c === '{') depth++;
      else if (c === ',' && depth === 1) {
        options.push(s.slice(start, i));
        start = i + 1;
      } else if (c === '}' && --depth === 0) {
        if (options.length === 0) break; // "{a}" has no alternatives: literal
        options.push(s.slice(start, i));
        return { open, close: i, options };
      }
    }
  }
  return undefined;
}
