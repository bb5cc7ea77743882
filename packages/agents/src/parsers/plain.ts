import { LastWords, exitMessage, mentionsRateLimit, type OutputParser } from './parser.js';

/**
 * For CLIs without structured output (aider): every line of output is activity, exit code 0 is
 * success, and a failure's message is the last line the agent printed. Rate limiting is
 * recognised from the words agents print for it (`RateLimitError`, `429`, `quota`, ...).
 */
export function plainParser(): OutputParser {
  let rateLimited = false;
  const lastWords = new LastWords();
  return {
    line(text) {
      lastWords.see(text);
      if (mentionsRateLimit(text)) rateLimited = true;
      return { activity: true };
    },
    end(exit) {
      if (exit.code === 0) return { ok: true, rateLimited: false };
      return { ok: false, message: exitMessage(exit, lastWords.line), rateLimited };
    },
  };
}
