import { describe, expect, it } from 'vitest';
import { claudeParser, codexParser, geminiParser, plainParser, type LineReport, type OutputParser, type ProcessExit } from './index.js';
import {
  CLAUDE_IS_ERROR,
  CLAUDE_MAX_TURNS,
  CLAUDE_NOT_LOGGED_IN,
  CLAUDE_RATE_LIMITED,
  CLAUDE_SUCCESS,
  CODEX_OFFLINE,
  CODEX_RATE_LIMITED,
  CODEX_SUCCESS,
  GEMINI_INVALID_STREAM,
  GEMINI_NO_AUTH_JSON,
  GEMINI_RATE_LIMITED,
  GEMINI_SUCCESS,
} from './recorded-streams.js';

const exited = (code: number | null, signal: NodeJS.Signals | null = null): ProcessExit => ({ code, signal });

/** Feeds stdout lines, then stderr lines, to a parser and judges the end. */
function feed(parser: OutputParser, stdout: readonly string[], exit: ProcessExit, stderr: readonly string[] = []) {
  const reports: LineReport[] = [];
  for (const line of stdout) reports.push(parser.line(line, 'stdout'));
  for (const line of stderr) reports.push(parser.line(line, 'stderr'));
  return { reports, verdict: parser.end(exit), progress: reports.flatMap((r) => (r.progress ? [r.progress] : [])) };
}

describe('Claude Code stream-json', () => {
  it('succeeds on is_error false with exit 0, reporting tool calls, turns and cost', () => {
    const { verdict, progress, reports } = feed(claudeParser(), CLAUDE_SUCCESS, exited(0));
    expect(verdict).toEqual({ ok: true, rateLimited: false, usage: '3 turns, $0.0731' });
    expect(progress).toEqual(['tool 1: Edit /repo/src/api/login.ts', 'tool 2: Bash npm test']);
    expect(reports.every((r) => r.activity)).toBe(true);
  });

  it('fails with the agent\'s own message when not logged in (subtype "success" but is_error)', () => {
    const { verdict } = feed(claudeParser(), CLAUDE_NOT_LOGGED_IN, exited(1));
    expect(verdict).toMatchObject({ ok: false, message: 'Invalid API key · Please run /login', rateLimited: false });
  });

  it('fails on is_error even when the exit code is 0', () => {
    const { verdict } = feed(claudeParser(), CLAUDE_IS_ERROR, exited(0));
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(/^API Error: 500 .*Internal server error/);
    expect(verdict.rateLimited).toBe(false);
  });

  it('recognises rate limiting from the assistant event', () => {
    const { verdict } = feed(claudeParser(), CLAUDE_RATE_LIMITED, exited(1));
    expect(verdict).toMatchObject({ ok: false, message: 'API Error: Rate limit reached', rateLimited: true });
  });

  it('fails on an error subtype without result text, naming the subtype', () => {
    const { verdict } = feed(claudeParser(), CLAUDE_MAX_TURNS, exited(0));
    expect(verdict).toMatchObject({ ok: false, message: 'ended with error_max_turns' });
  });

  it('fails a run without a result, with its last stderr line', () => {
    const { verdict } = feed(claudeParser(), [], exited(1), ['Error: When using --print, --output-format=stream-json requires --verbose']);
    expect(verdict).toMatchObject({ ok: false, message: 'Error: When using --print, --output-format=stream-json requires --verbose (exited with code 1)' });
  });

  it('fails a successful result when the process still exits non-zero', () => {
    const { verdict } = feed(claudeParser(), CLAUDE_SUCCESS, exited(2));
    expect(verdict).toMatchObject({ ok: false, message: 'reported success but exited with code 2' });
  });

  it('ignores lines that are not events', () => {
    const { verdict, reports } = feed(claudeParser(), ['Warning: something', ...CLAUDE_SUCCESS], exited(0));
    expect(reports[0]).toEqual({ activity: false });
    expect(verdict.ok).toBe(true);
  });
});

describe('Codex exec --json', () => {
  it('succeeds on a completed turn with exit 0, reporting turns, commands and file changes', () => {
    const { verdict, progress } = feed(codexParser(), CODEX_SUCCESS, exited(0));
    expect(verdict).toEqual({ ok: true, rateLimited: false, usage: '1 turn, 24885 tokens' });
    expect(progress).toEqual(['turn 1', "run bash -lc 'npm test'", 'edit /repo/src/api/login.ts']);
  });

  it('treats retry notices as no progress: an offline Codex makes none after its first turn', () => {
    const { reports } = feed(codexParser(), CODEX_OFFLINE, exited(null, 'SIGTERM'));
    expect(reports.map((r) => r.activity)).toEqual([true, true, false, false, false, false]);
  });

  it('fails with the failed turn\'s message and marks a usage limit as rate limiting', () => {
    const { verdict } = feed(codexParser(), CODEX_RATE_LIMITED, exited(1));
    expect(verdict).toMatchObject({ ok: false, rateLimited: true });
    expect(verdict.message).toMatch(/^You've hit your usage limit/);
  });

  it('fails a failed turn even with exit code 0', () => {
    const failed = [...CODEX_SUCCESS.slice(0, 2), JSON.stringify({ type: 'turn.failed', error: { message: 'stream error: boom' } })];
    expect(feed(codexParser(), failed, exited(0)).verdict).toMatchObject({ ok: false, message: 'stream error: boom', rateLimited: false });
  });

  it('fails an exit 0 without a completed turn, with the last error event', () => {
    const { verdict } = feed(codexParser(), CODEX_OFFLINE, exited(0));
    expect(verdict).toMatchObject({ ok: false, message: 'Reconnecting... waiting for network (Connection failed: error sending request) (exited with code 0)' });
  });
});

describe('Gemini', () => {
  it('stream-json: succeeds on status success with exit 0 and reports tool calls', () => {
    const { verdict, progress } = feed(geminiParser(), GEMINI_SUCCESS, exited(0));
    expect(verdict).toEqual({ ok: true, rateLimited: false, usage: '1 tool call, 5210 tokens' });
    expect(progress).toEqual(['tool 1: write_file /repo/src/ui/login.tsx']);
  });

  it('stream-json: a quota error is rate limiting, with the agent\'s message', () => {
    const { verdict } = feed(geminiParser(), GEMINI_RATE_LIMITED, exited(1));
    expect(verdict).toMatchObject({ ok: false, rateLimited: true, message: '[API Error: You have exhausted your capacity on this model. (status: RESOURCE_EXHAUSTED)]' });
  });

  it('stream-json: status error with exit code 0 fails with the last error event', () => {
    const { verdict } = feed(geminiParser(), GEMINI_INVALID_STREAM, exited(0));
    expect(verdict).toMatchObject({ ok: false, message: 'Model stream ended with empty response text.', rateLimited: false });
  });

  it('json: the multi-line error document without auth (exit 41)', () => {
    const { verdict } = feed(geminiParser(), GEMINI_NO_AUTH_JSON, exited(41));
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(/^Please set an Auth method in your .*GEMINI_API_KEY/);
  });

  it('json: a response document with exit 0 succeeds', () => {
    const doc = JSON.stringify({ session_id: 's', response: 'Done.', stats: { models: {} } }, null, 2).split('\n');
    expect(feed(geminiParser(), doc, exited(0)).verdict.ok).toBe(true);
  });

  it('stream-json without auth prints only a stderr line and exits 41: that line is the message', () => {
    const line = 'Please set an Auth method in your /h/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY';
    const { verdict } = feed(geminiParser(), [], exited(41), [line]);
    expect(verdict).toMatchObject({ ok: false, message: `${line} (exited with code 41)` });
  });
});

describe('plain output (aider)', () => {
  it('judges by exit code and counts every line as activity', () => {
    const { verdict, reports } = feed(plainParser(), ['Aider v0.86.1', 'Applied edit to a.py'], exited(0));
    expect(verdict).toEqual({ ok: true, rateLimited: false });
    expect(reports.every((r) => r.activity)).toBe(true);
  });

  it('fails with the last line and recognises a rate limit error', () => {
    const { verdict } = feed(plainParser(), ['Aider v0.86.1'], exited(1), ['litellm.RateLimitError: AnthropicException - rate_limit_error']);
    expect(verdict).toMatchObject({ ok: false, rateLimited: true });
    expect(verdict.message).toMatch(/RateLimitError.*\(exited with code 1\)$/);
  });
});
