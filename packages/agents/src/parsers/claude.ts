import {
  LastWords,
  describeTool,
  exitMessage,
  howItEnded,
  jsonObject,
  mentionsRateLimit,
  num,
  obj,
  str,
  type AgentVerdict,
  type OutputParser,
  type ProcessExit,
} from './parser.js';

/**
 * Reads Claude Code's `--output-format stream-json --verbose` output: one JSON event per line
 * (`system`/`init`, `assistant` and `user` messages with `tool_use`/`tool_result` blocks, and a
 * final `result`). Success is the final result's `is_error: false` with exit code 0; note the
 * trap that a failed run may say `subtype: "success"` with `is_error: true`. An assistant
 * event's `error: "rate_limit"` or rate-limit words in the result mark rate limiting.
 */
export function claudeParser(): OutputParser {
  let result: Record<string, unknown> | undefined;
  let assistantError: string | undefined;
  let assistantText: string | undefined;
  let tools = 0;
  const stderr = new LastWords();
  return {
    line(text, stream) {
      if (stream === 'stderr') {
        stderr.see(text);
        return { activity: false };
      }
      const event = jsonObject(text);
      if (!event) return { activity: false };
      switch (event.type) {
        case 'assistant': {
          assistantError = str(event.error) ?? assistantError;
          const calls: string[] = [];
          for (const block of contentOf(event)) {
            if (block.type === 'tool_use') calls.push(describeTool(str(block.name) ?? 'tool', obj(block.input)));
            else if (block.type === 'text' && str(block.text)) assistantText = str(block.text);
          }
          tools += calls.length;
          return calls.length > 0 ? { activity: true, progress: `tool ${tools}: ${calls.join(', ')}` } : { activity: true };
        }
        case 'result':
          result = event;
          return { activity: true };
        default:
          return { activity: true };
      }
    },
    end(exit) {
      return result ? judgeResult(result, exit, assistantError) : noResult(exit, stderr.line ?? assistantText, assistantError);
    },
  };
}

function contentOf(event: Record<string, unknown>): Array<Record<string, unknown>> {
  const content = obj(event.message)?.content;
  return Array.isArray(content) ? content.flatMap((b) => (obj(b) ? [obj(b)!] : [])) : [];
}

function judgeResult(result: Record<string, unknown>, exit: ProcessExit, assistantError: string | undefined): AgentVerdict {
  const turns = num(result.num_turns);
  const cost = num(result.total_cost_usd);
  const usage = [turns !== undefined ? `${turns} turn${turns === 1 ? '' : 's'}` : '', cost !== undefined ? `$${cost.toFixed(4)}` : '']
    .filter(Boolean)
    .join(', ');
  const failed = result.is_error !== false || result.subtype !== 'success';
  if (failed) {
    const errors = Array.isArray(result.errors) ? result.errors.filter((e) => typeof e === 'string').join('; ') : '';
    const message = str(result.result) || errors || `ended with ${str(result.subtype) ?? 'an error'}`;
    return { ok: false, message, rateLimited: assistantError === 'rate_limit' || mentionsRateLimit(message), usage };
  }
  if (exit.code !== 0) {
    return { ok: false, message: `reported success but ${howItEnded(exit)}`, rateLimited: false, usage };
  }
  return { ok: true, rateLimited: false, usage };
}

function noResult(exit: ProcessExit, lastWords: string | undefined, assistantError: string | undefined): AgentVerdict {
  const message = exitMessage(exit, lastWords);
  return { ok: false, message, rateLimited: assistantError === 'rate_limit' || mentionsRateLimit(message) };
}
