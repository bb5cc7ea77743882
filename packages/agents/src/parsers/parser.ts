/** Which structured output a profile's CLI prints, and so which parser reads it. */
export type ParserName = 'claude' | 'codex' | 'gemini' | 'plain';

/** What one line of an agent's output told us. */
export interface LineReport {
  /** The agent made progress (an event of its work, not a retry notice or a log line): resets stall detection. */
  activity: boolean;
  /** A short description worth showing as the task's progress (a tool call, a new turn). */
  progress?: string;
}

/** How an agent run ended, judged from what the agent said and its exit status. */
export interface AgentVerdict {
  ok: boolean;
  /** The agent's own words when it failed (e.g. `Invalid API key · Please run /login`). */
  message?: string;
  /** The agent reported rate limiting or an exhausted usage quota. */
  rateLimited: boolean;
  /** Turns, tokens and cost when the agent reported them, e.g. `3 turns, $0.0123`. */
  usage?: string;
}

/** How the agent's process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Reads one agent run's output, line by line, and judges the end. One parser per process: it
 * keeps state (the final result event, the last error) between lines.
 */
export interface OutputParser {
  line(text: string, stream: 'stdout' | 'stderr'): LineReport;
  end(exit: ProcessExit): AgentVerdict;
}

/**
 * Words agents and their APIs use for rate limits and exhausted quotas: HTTP 429, Anthropic's
 * `rate_limit_error` and usage limits, OpenAI's "Too Many Requests" and "usage limit",
 * Google's `RESOURCE_EXHAUSTED` and quotas, litellm's `RateLimitError`.
 */
const RATE_LIMIT =
  /rate[ _-]?limit|usage limit|too many requests|\b429\b|quota|resource[_ ]exhausted|hit your (?:usage )?limit|(?:5-hour|weekly|session) limit reached/i;

/** Whether a message speaks of rate limiting or an exhausted quota. */
export function mentionsRateLimit(text: string): boolean {
  return RATE_LIMIT.test(text);
}

/** A JSON object from one line of output, or undefined when the line is not one. */
export function jsonObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `value` if it is a string, else undefined. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `value` if it is a finite number, else undefined. */
export const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** `value` if it is a plain object, else undefined. */
export const obj = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Remembers the last meaningful stderr line (skipping stack frames and blank lines), the best
 * words for a failure when an agent printed nothing structured.
 */
export class LastWords {
  private last: string | undefined;

  see(line: string): void {
    const text = line.trim();
    if (text !== '' && !/^at\s/.test(text)) this.last = text;
  }

  get line(): string | undefined {
    return this.last;
  }
}

/** `exited with code 1`, `was killed by SIGTERM`. */
export function howItEnded(exit: ProcessExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
}

/** The message for a run that ended without a structured result. */
export function exitMessage(exit: ProcessExit, lastWords: string | undefined): string {
  return lastWords ? `${lastWords} (${howItEnded(exit)})` : `${howItEnded(exit)} without reporting a result`;
}

/** A short name and argument for a tool call: `Edit src/a.ts`, `Bash npm test`. */
export function describeTool(name: string, input: Record<string, unknown> | undefined): string {
  const arg =
    str(input?.file_path) ?? str(input?.path) ?? str(input?.command) ?? str(input?.pattern) ?? str(input?.url) ?? '';
  const short = arg.length > 80 ? `${arg.slice(0, 77)}...` : arg;
  return short ? `${name} ${short}` : name;
}
