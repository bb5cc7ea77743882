#!/usr/bin/env node
// A stand-in for Claude Code's headless mode (`claude -p ... --output-format stream-json
// --verbose`), speaking its exact stream-json format: system/init, assistant and user messages
// with tool_use/tool_result blocks, and a final result. Modes: see fake-agent-lib.mjs.
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { applyWrite, delayMs, die, emit, exit, hang, mode, parseArgs, plannedWrites, record, recordCall, sleep } from './fake-agent-lib.mjs';

const VERSION = '2.0.54';
const MODEL = 'claude-sonnet-4-5-20250929';

const args = parseArgs(
  process.argv.slice(2),
  {
    values: ['--output-format', '--permission-mode', '--model', '--allowedTools', '--disallowedTools', '--append-system-prompt', '--add-dir', '--input-format', '--max-turns'],
    flags: ['--print', '--verbose', '--dangerously-skip-permissions', '--version', '--help'],
    aliases: { '-p': '--print', '-v': '--version', '-h': '--help', '--allowed-tools': '--allowedTools', '--disallowed-tools': '--disallowedTools' },
  },
  (problem) => die(`error: ${problem}`),
);

if (args.options['--version']) {
  process.stdout.write(`${VERSION} (Claude Code)\n`);
  exit(0);
} else {
  await main();
}

async function main() {
  const o = args.options;
  if (!o['--print']) return die('fake claude: only the headless mode (-p/--print) is supported');
  const format = o['--output-format'] ?? 'text';
  if (!['text', 'json', 'stream-json'].includes(format)) {
    return die(`error: option '--output-format <format>' argument '${format}' is invalid. Allowed choices are text, json, stream-json.`);
  }
  const permissionMode = o['--permission-mode'] ?? 'default';
  if (!['acceptEdits', 'bypassPermissions', 'default', 'dontAsk', 'plan'].includes(permissionMode)) {
    return die(`error: option '--permission-mode <mode>' argument '${permissionMode}' is invalid.`);
  }
  if (format === 'stream-json' && !o['--verbose']) return die('Error: When using --print, --output-format=stream-json requires --verbose');
  if (args.positionals.length > 1) return die(`error: too many arguments. Expected 1 argument but got ${args.positionals.length}.`);
  const prompt = args.positionals[0] ?? '';
  recordCall('claude', prompt);
  if (!prompt) return die('Error: Input must be provided either through stdin or as a prompt argument when using --print');

  const session = randomUUID();
  const stream = format === 'stream-json';
  const send = (event) => {
    if (stream) emit(event);
  };
  const usage = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 34, server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 }, service_tier: 'standard' };
  const assistant = (content, extra = {}) =>
    send({
      type: 'assistant',
      message: { model: MODEL, id: `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`, type: 'message', role: 'assistant', content, stop_reason: null, stop_sequence: null, usage },
      parent_tool_use_id: null,
      session_id: session,
      uuid: randomUUID(),
      ...extra,
    });
  const started = Date.now();
  const finish = (code, fields) => {
    const result = {
      type: 'result',
      subtype: 'success',
      is_error: false,
      duration_ms: Date.now() - started,
      duration_api_ms: Date.now() - started,
      num_turns: 1,
      result: '',
      session_id: session,
      total_cost_usd: 0,
      usage,
      modelUsage: {},
      permission_denials: [],
      uuid: randomUUID(),
      ...fields,
    };
    record('end');
    if (format === 'text') process.stdout.write(`${result.result}\n`);
    else emit(result);
    exit(code);
  };

  record('start');
  send({
    type: 'system',
    subtype: 'init',
    cwd: process.cwd(),
    session_id: session,
    tools: ['Task', 'Bash', 'Glob', 'Grep', 'Read', 'Edit', 'Write', 'TodoWrite'],
    mcp_servers: [],
    model: o['--model'] ?? MODEL,
    permissionMode,
    slash_commands: ['compact', 'context', 'cost', 'init', 'review'],
    apiKeySource: 'none',
    claude_code_version: VERSION,
    output_style: 'default',
    agents: ['general-purpose', 'Explore', 'Plan'],
    skills: [],
    plugins: [],
    uuid: randomUUID(),
  });

  switch (mode()) {
    case 'auth': {
      const text = 'Invalid API key · Please run /login';
      assistant([{ type: 'text', text }], { error: 'authentication_failed' });
      return finish(1, { is_error: true, result: text, duration_api_ms: 0 });
    }
    case 'rate-limit': {
      const text = 'API Error: Rate limit reached';
      await sleep(delayMs());
      assistant([{ type: 'text', text }], { error: 'rate_limit' });
      return finish(1, { is_error: true, result: text });
    }
    case 'error-result': {
      // The trap: subtype "success", exit code 0, and yet is_error.
      const text = 'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}';
      await sleep(delayMs());
      assistant([{ type: 'text', text }], { error: 'unknown' });
      return finish(0, { is_error: true, result: text });
    }
    case 'fail':
      await sleep(delayMs());
      return finish(1, { subtype: 'error_during_execution', is_error: true, result: undefined, errors: ['Tool execution failed: the fake agent was told to fail'] });
    case 'crash':
      return die('fake claude: crashed (mode crash)', 3);
    case 'stall':
      return hang();
    default:
      break;
  }

  const writes = plannedWrites(prompt);
  const step = delayMs() / (writes.length + 1);
  for (const write of writes) {
    await sleep(step);
    const id = `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    assistant([{ type: 'tool_use', id, name: 'Write', input: { file_path: write.file, content: write.content } }]);
    applyWrite(write);
    send({
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: `File created successfully at: ${write.file}` }] },
      parent_tool_use_id: null,
      session_id: session,
      uuid: randomUUID(),
      tool_use_result: { type: 'create', filePath: write.file, content: write.content, structuredPatch: [] },
    });
  }
  await sleep(step);
  const summary = writes.length ? `Done: wrote ${writes.map((w) => w.file).join(', ')}.` : 'Done.';
  assistant([{ type: 'text', text: summary }]);
  finish(0, { num_turns: writes.length + 1, result: summary, total_cost_usd: 0.0123 });
}
