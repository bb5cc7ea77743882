import type { TaskSpec } from '@guild/core';

/** The kinds of work detection tells apart; each maps to a profile (option `roles`). */
export const ROLES = ['backend', 'frontend', 'tests', 'database', 'security'] as const;
/** A kind of work detection tells apart. */
export type Role = (typeof ROLES)[number];

/**
 * Words that point at each role, matched as whole words, case-insensitively. A role scores one
 * point per pattern found in the task's text.
 */
export const ROLE_PATTERNS: Readonly<Record<Role, readonly RegExp[]>> = {
  backend: [/\bapis?\b/i, /\bback-?end\b/i, /\bservers?\b/i, /\bendpoints?\b/i, /\bdatabases?\b/i],
  frontend: [/\bui\b/i, /\bcomponents?\b/i, /\bfront-?end\b/i, /\breact\b/i, /\bcss\b/i],
  tests: [/\btests?\b/i, /\btesting\b/i, /\bpytest\b/i, /\bcoverage\b/i],
  database: [/\bmigrations?\b/i, /\bschemas?\b/i, /\bsql\b/i],
  security: [/\bsecurity\b/i, /\bauth(?:entication|orization)?\b/i, /\baudit(?:s|ing)?\b/i, /\bvulnerabilit(?:y|ies)\b/i],
};

/** On equal scores the more specific role wins: the first in this list. */
const TIE_ORDER: readonly Role[] = ['security', 'database', 'tests', 'frontend', 'backend'];

/** The text detection reads: title, prompt, description and acceptance criteria. */
export function taskText(spec: TaskSpec): string {
  return [spec.title, spec.prompt, spec.description, ...(spec.acceptance ?? [])].filter(Boolean).join('\n');
}

/** How many of `patterns` occur in `text`. */
export function score(patterns: readonly RegExp[], text: string): number {
  return patterns.reduce((n, p) => n + (p.test(text) ? 1 : 0), 0);
}

/**
 * The role whose words occur most in `text` (ties go to the more specific role: security,
 * database, tests, frontend, backend), or undefined when none occurs.
 */
export function detectRole(text: string): Role | undefined {
  let best: Role | undefined;
  let bestScore = 0;
  for (const role of TIE_ORDER) {
    const s = score(ROLE_PATTERNS[role], text);
    if (s > bestScore) {
      best = role;
      bestScore = s;
    }
  }
  return best;
}

/** Who detection may pick: profiles with their own `match` patterns, checked before the roles. */
export interface DetectionTargets {
  /** Profiles with `match` patterns, in the order they were declared. */
  matchers: ReadonlyArray<{ name: string; match: readonly RegExp[] }>;
  /** The runner for anything no pattern matches. */
  defaultAgent: string;
}

/**
 * A runner resolver for tasks that have a prompt and name no agent: the profile whose own
 * `match` patterns score highest (first declared on a tie), else the detected role (its runner
 * name is the role: `backend`, `tests`, ...), else the default agent.
 */
export function createDetector(targets: DetectionTargets): (spec: TaskSpec) => string {
  return (spec) => {
    const text = taskText(spec);
    let best: string | undefined;
    let bestScore = 0;
    for (const m of targets.matchers) {
      const s = score(m.match, text);
      if (s > bestScore) {
        best = m.name;
        bestScore = s;
      }
    }
    return best ?? detectRole(text) ?? targets.defaultAgent;
  };
}
