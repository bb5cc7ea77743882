import { claudeParser } from './claude.js';
import { codexParser } from './codex.js';
import { geminiParser } from './gemini.js';
import type { OutputParser, ParserName } from './parser.js';
import { plainParser } from './plain.js';

export type { AgentVerdict, LineReport, OutputParser, ParserName, ProcessExit } from './parser.js';
export { claudeParser, codexParser, geminiParser, plainParser };

/** Every parser by name. */
export const PARSERS: Readonly<Record<ParserName, () => OutputParser>> = {
  claude: claudeParser,
  codex: codexParser,
  gemini: geminiParser,
  plain: plainParser,
};
