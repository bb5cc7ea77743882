import {
  LastWords,
  describeTool,
  exitMessage,
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
 * Reads Gemini CLI's headless output in either format:
 * - `--output-format stream-json`: one event per line (`init`, `message`, `tool_use`,
 *   `tool_result`, `error` with a severity, and a final `result` whose `status` is `success` or
 *   `error`);
 * - `--output-format json`: one (pretty-printed) object at the end, `{ session_id, response,
 *   stats }`, or `{ session_id, error: { type, message, code } }` with the exit code `code`
 *   (41 when no auth method is set).
 * Without auth in stream-json mode Gemini prints only a plain stderr line and exits 41; that
 * line becomes the message.
 */
export function geminiParser(): OutputParser {
  let result: Record<string, unknown> | undefined;
  let lastError: string | undefined;
  let rateLimited = false;
  let tools = 0;
  let jsonText = '';
  const stderr = new LastWords();
  return {
    line(text, stream) {
      if (stream === 'stderr') {
        stderr.see(text);
        return { activity: false };
      }
      const event = jsonObject(text);
      if (!event || typeof event.type !== 'string') {
        // A line of the json format's single document (or stray text).
        jsonText += `${text}\n`;
        return { activity: false };
      }
      switch (event.type) {
        case 'tool_use':
          tools++;
          return { activity: true, progress: `tool ${tools}: ${describeTool(str(event.tool_name) ?? 'tool', obj(event.parameters))}` };
        case 'error': {
          const message = str(event.message);
          if (message && event.severity === 'error') lastError = message;
          if (message && mentionsRateLimit(message)) rateLimited = true;
          return { activity: false };
        }
        case 'result':
          result = event;
          return { activity: true };
        default:
          return { activity: true };
      }
    },
    end(exit) {
      if (result) return judgeEvent(result, exit, lastError, rateLimited);
      // The document starts at the first line that opens an object (stray lines may precede it).
      const start = jsonText.search(/^\{/m);
      const doc = start >= 0 ? jsonObject(jsonText.slice(start)) : undefined;
      if (doc) return judgeDocument(doc, exit);
      const message = exitMessage(exit, lastError ?? stderr.line);
      return { ok: false, message, rateLimited: rateLimited || mentionsRateLimit(message) };
    },
  };
}

function usageOf(stats: Record<string, unknown> | undefined): string | undefined {
  const tokens = num(stats?.total_tokens);
  const calls = num(stats?.tool_calls);
  if (tokens === undefined && calls === undefined) return undefined;
  return `${calls ?? 0} tool call${calls === 1 ? '' : 's'}, ${tokens ?? 0} tokens`;
}

function judgeEvent(result: Record<string, unknown>, exit: ProcessExit, lastError: string | undefined, rateLimited: boolean): AgentVerdict {
  const usage = usageOf(obj(result.stats));
  if (result.status === 'success' && exit.code === 0) return { ok: true, rateLimited: false, usage };
  const message =
    str(obj(result.error)?.message) ?? lastError ?? (result.status === 'success' ? exitMessage(exit, undefined) : 'reported an error');
  return { ok: false, message, rateLimited: rateLimited || mentionsRateLimit(message), usage };
}

function judgeDocument(doc: Record<string, unknown>, exit: ProcessExit): AgentVerdict {
  const error = obj(doc.error);
  const usage = usageOf(obj(doc.stats));
  if (!error && exit.code === 0) return { ok: true, rateLimited: false, usage };
  const message = str(error?.message) ?? exitMessage(exit, undefined);
  return { ok: false, message, rateLimited: mentionsRateLimit(message), usage };
}
