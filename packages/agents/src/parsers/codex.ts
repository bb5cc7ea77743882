import { LastWords, exitMessage, jsonObject, mentionsRateLimit, num, obj, str, type OutputParser } from './parser.js';

/**
 * Reads `codex exec --json` output: one event per line (`thread.started`, `turn.started`,
 * `item.started`/`item.completed` with command executions, file changes and messages,
 * `turn.completed` with token usage, `turn.failed`, and top-level `error` events). Success is a
 * completed turn, no failed one, and exit code 0. Top-level `error` events are retry notices
 * (`Reconnecting... 2/5`, `Reconnecting... waiting for network`): they are not progress, so a
 * Codex that retries forever without network counts as stalled.
 */
export function codexParser(): OutputParser {
  let completed = false;
  let failure: string | undefined;
  let lastError: string | undefined;
  let rateLimited = false;
  let turns = 0;
  let tokens = 0;
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
        case 'error':
          lastError = str(event.message) ?? lastError;
          if (lastError && mentionsRateLimit(lastError)) rateLimited = true;
          return { activity: false };
        case 'turn.started':
          turns++;
          return { activity: true, progress: `turn ${turns}` };
        case 'turn.completed': {
          completed = true;
          const usage = obj(event.usage);
          tokens += (num(usage?.input_tokens) ?? 0) + (num(usage?.output_tokens) ?? 0);
          return { activity: true };
        }
        case 'turn.failed':
          failure = str(obj(event.error)?.message) ?? lastError ?? 'the turn failed';
          if (mentionsRateLimit(failure)) rateLimited = true;
          return { activity: true };
        case 'item.started':
        case 'item.completed':
          return itemReport(obj(event.item), event.type === 'item.started');
        default:
          return { activity: true };
      }
    },
    end(exit) {
      const usage = `${turns} turn${turns === 1 ? '' : 's'}, ${tokens} tokens`;
      if (failure !== undefined) return { ok: false, message: failure, rateLimited, usage };
      if (completed && exit.code === 0) return { ok: true, rateLimited: false, usage };
      const message = exitMessage(exit, lastError ?? stderr.line);
      return { ok: false, message, rateLimited: rateLimited || mentionsRateLimit(message), usage };
    },
  };
}

/** Progress for the items that show work: commands run, files changed, tools called. */
function itemReport(item: Record<string, unknown> | undefined, started: boolean): { activity: boolean; progress?: string } {
  switch (item?.type) {
    // The transport's own notices ("Falling back from WebSockets to HTTPS") are not the agent's work.
    case 'error':
      return { activity: false };
    case 'command_execution':
      return started ? { activity: true, progress: `run ${str(item.command) ?? ''}`.trim() } : { activity: true };
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? item.changes : [];
      const paths = changes.map((c) => str(obj(c)?.path)).filter((p): p is string => p !== undefined);
      return started ? { activity: true } : { activity: true, progress: `edit ${paths.join(', ')}`.trim() };
    }
    case 'mcp_tool_call':
      return started ? { activity: true, progress: `tool ${str(item.server) ?? ''}/${str(item.tool) ?? ''}` } : { activity: true };
    default:
      return { activity: true };
  }
}
