/*
 * File paths named in free text. This module imports nothing, so it can move into core (or be
 * copied by another source) unchanged.
 */

/** File names without an extension that are still clearly files. */
const KNOWN_NAMES = new Set([
  'makefile',
  'gnumakefile',
  'dockerfile',
  'containerfile',
  'jenkinsfile',
  'procfile',
  'gemfile',
  'rakefile',
  'vagrantfile',
  'brewfile',
  'justfile',
  'pipfile',
  'caddyfile',
  'codeowners',
  'license',
  'readme',
  'changelog',
]);

/**
 * Extensions accepted on a lone file name in backticks (`package.json`). A lone name needs a
 * known extension because code in backticks looks the same (`process.env`, `user.name`).
 */
const KNOWN_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs json jsonc json5 md mdx markdown rst txt adoc py pyi ipynb go mod sum rs java kt ' +
    'kts scala groovy gradle rb erb php cs fs vb c h cc cpp cxx hpp hh m mm swift dart lua pl ex exs erl hs ml clj ' +
    'sh bash zsh fish ps1 bat cmd sql prisma graphql gql proto yaml yml toml ini cfg conf properties xml html htm ' +
    'css scss sass less vue svelte astro tf tfvars hcl lock csv tsv svg png jpg jpeg gif webp ico pdf wasm ' +
    'dockerfile nix r jl zig sol tex'
  ).split(' '),
);

/** Framework and runtime names written like file names (`Node.js`); never files in prose. */
const TECH_NAMES = new Set(
  'node next nuxt vue express nest three d3 chart ember backbone alpine solid p5 deno bun'.split(' '),
);

const SEGMENT = /^[\w.*?-]+$/;
const EXTENSION = /\.([A-Za-z0-9]{1,12})$/;
const DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}$/i;
const VERSION = /^v?\d+(?:\.\d+)+/i;
const CODE_CHARS = /[()=,;:$%{}<>|'"!#^&+[\]\\]/;
const LEADING = /^[(["'<*_]+/;
const TRAILING = /[)\]"'>,;:!?*_.]+$/;

/**
 * Finds the file paths a piece of free text names, for a task's `writes`. Recognised:
 * - paths with at least one folder and a file with an extension: `src/components/Login.tsx`,
 *   `tests/unit/test_x.py` (also globs such as `src/**\/*.ts`), and folders written with a
 *   trailing slash: `docs/`;
 * - `./`-relative names: `./build.sh`, `./a/b.py`;
 * - in backticks, also lone file names with a common extension (`package.json`), dotfiles
 *   (`.env.example`) and well-known extensionless names (`Makefile`, `Dockerfile`).
 *
 * Never returned: URLs, domains (`example.com/a.js`), emails, versions (`v1.2.3`), `e.g.`,
 * `i.e.`, `etc.`, `N/A`, `and/or`, fractions (`1/2`), framework names (`Node.js`), absolute
 * paths, and paths that climb out with `..`. A sentence-final period or a `:line` suffix is not
 * part of a path.
 *
 * @returns the paths in the order they appear, each once, without a leading `./`
 */
export function extractPaths(text: string): string[] {
  const found: Array<{ at: number; path: string }> = [];
  let bare = text;
  for (const span of text.matchAll(/`([^`\n]+)`/g)) {
    const content = span[1]!.trim();
    if (isBacktickedPath(content)) found.push({ at: span.index, path: content });
    bare = bare.slice(0, span.index) + ' '.repeat(span[0].length) + bare.slice(span.index + span[0].length);
  }
  for (const word of bare.matchAll(/\S+/g)) {
    const token = trimToken(word[0]);
    if (isBarePath(token)) found.push({ at: word.index, path: token });
  }
  found.sort((a, b) => a.at - b.at);
  const paths = found.map((f) => f.path.replace(/^(?:\.\/)+/, ''));
  return [...new Set(paths)];
}

/** Strips the punctuation prose puts around a path: brackets, quotes, emphasis, a final period, `:12`. */
function trimToken(word: string): string {
  let token = word.replace(LEADING, '');
  for (;;) {
    const next = token.replace(/:\d+(?::\d+)?$/, '').replace(TRAILING, '');
    if (next === token) return token;
    token = next;
  }
}

function isBarePath(token: string): boolean {
  if (!isSafeRelative(token)) return false;
  const segments = token.split('/');
  if (token.endsWith('/')) return isFolder(segments.slice(0, -1));
  if (segments[0] === '.') return segments.length > 1 && validSegments(segments.slice(1)) && isFile(segments.at(-1)!);
  return segments.length > 1 && validSegments(segments) && !isDomain(segments[0]!) && isFile(segments.at(-1)!);
}

function isBacktickedPath(content: string): boolean {
  if (/\s/.test(content) || VERSION.test(content)) return false;
  if (isBarePath(content)) return true;
  if (content.includes('/') || !isSafeRelative(content)) return false;
  return isDotfile(content) || isKnownName(content) || knownExtension(content);
}

/** No scheme, email, backslash, absolute or home path, no `..`, no code punctuation. */
function isSafeRelative(token: string): boolean {
  if (token === '' || token.startsWith('/') || token.startsWith('~') || token.includes('://')) return false;
  if (token.includes('@') || CODE_CHARS.test(token) || /^www\./i.test(token)) return false;
  return !token.split('/').includes('..');
}

function validSegments(segments: readonly string[]): boolean {
  return segments.every((s) => SEGMENT.test(s) && /[A-Za-z0-9*]/.test(s));
}

function isFolder(segments: readonly string[]): boolean {
  const parts = segments[0] === '.' ? segments.slice(1) : segments;
  return parts.length > 0 && validSegments(parts) && !isDomain(parts[0]!) && parts.some((s) => /[A-Za-z]/.test(s));
}

function isFile(name: string): boolean {
  if (isDotfile(name) || isKnownName(name)) return true;
  const ext = EXTENSION.exec(name)?.[1];
  if (ext === undefined || !/[A-Za-z]/.test(ext) || name.length === ext.length + 1) return false;
  return !TECH_NAMES.has(name.slice(0, -ext.length - 1).toLowerCase());
}

function knownExtension(name: string): boolean {
  const ext = EXTENSION.exec(name)?.[1];
  return ext !== undefined && KNOWN_EXTENSIONS.has(ext.toLowerCase()) && isFile(name);
}

function isDotfile(name: string): boolean {
  return /^\.[A-Za-z0-9][\w.-]*$/.test(name);
}

/** `Makefile`, `Dockerfile`, and variants such as `Dockerfile.dev`. */
function isKnownName(name: string): boolean {
  return KNOWN_NAMES.has(name.toLowerCase().split('.')[0]!);
}

/** `example.com` as the first segment means a URL without its scheme. */
function isDomain(segment: string): boolean {
  return !segment.startsWith('.') && DOMAIN.test(segment);
}
