/*
 * Agent output in the real formats, for the parser tests. CLAUDE_NOT_LOGGED_IN is what Claude
 * Code 2.0.54 printed here (`claude -p ... --output-format stream-json --verbose`, no login, exit
 * code 1); GEMINI_NO_AUTH_JSON and CODEX_OFFLINE are what Gemini CLI 0.61.0 and codex-cli 0.169.0
 * printed without auth or network. The others follow the same event shapes for runs that cannot
 * be recorded without an account (a success, a rate limit, an error result).
 */

const lines = (events: readonly object[]): string[] => events.map((e) => JSON.stringify(e));

/** Claude Code without a login: init, an assistant message with `error`, and `is_error: true` under `subtype: "success"`. */
export const CLAUDE_NOT_LOGGED_IN = lines([
  {"type": "system", "subtype": "init", "cwd": "/tmp/tmp.UT4znjFQNf", "session_id": "2a74fd38-997b-4d14-aff3-919ddf94435a", "tools": ["Task", "Bash", "Glob", "Grep", "ExitPlanMode", "Read", "Edit", "Write", "NotebookEdit", "WebFetch", "TodoWrite", "WebSearch", "BashOutput", "KillShell", "Skill", "SlashCommand", "EnterPlanMode"], "mcp_servers": [], "model": "claude-sonnet-4-5-20250929", "permissionMode": "acceptEdits", "slash_commands": ["compact", "context", "cost", "init", "pr-comments", "release-notes", "todos", "review", "security-review"], "apiKeySource": "none", "claude_code_version": "2.0.54", "output_style": "default", "agents": ["general-purpose", "statusline-setup", "Explore", "Plan"], "skills": [], "plugins": [], "uuid": "e8cbdfc0-1cee-4326-812c-b35b86caa410"},
  {"type": "assistant", "message": {"id": "d5e74588-2219-45c7-ab45-6083a7baffe6", "container": null, "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence", "stop_sequence": "", "type": "message", "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0}, "service_tier": null, "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}, "content": [{"type": "text", "text": "Invalid API key \u00b7 Please run /login"}], "context_management": null}, "parent_tool_use_id": null, "session_id": "2a74fd38-997b-4d14-aff3-919ddf94435a", "uuid": "571ce034-9fab-42f8-a6e9-2349898fc82e", "error": "authentication_failed"},
  {"type": "result", "subtype": "success", "is_error": true, "duration_ms": 2527, "duration_api_ms": 0, "num_turns": 1, "result": "Invalid API key \u00b7 Please run /login", "session_id": "2a74fd38-997b-4d14-aff3-919ddf94435a", "total_cost_usd": 0, "usage": {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0, "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0}, "service_tier": "standard", "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}, "modelUsage": {}, "permission_denials": [], "uuid": "ef8625cf-700b-47db-a942-2bd93ccd578e"},
]);

const claudeInit = {
  type: 'system',
  subtype: 'init',
  cwd: '/repo',
  session_id: '5b0a3c2e-6a51-4a8e-9d4b-1f9b0f3c2a11',
  tools: ['Task', 'Bash', 'Glob', 'Grep', 'Read', 'Edit', 'Write'],
  mcp_servers: [],
  model: 'claude-sonnet-4-5-20250929',
  permissionMode: 'acceptEdits',
  apiKeySource: 'ANTHROPIC_API_KEY',
  claude_code_version: '2.0.54',
  uuid: 'c1',
};
const usage = { input_tokens: 1520, cache_creation_input_tokens: 0, cache_read_input_tokens: 9000, output_tokens: 410 };
const assistant = (content: object[], extra: object = {}) => ({
  type: 'assistant',
  message: { model: 'claude-sonnet-4-5-20250929', id: 'msg_01', type: 'message', role: 'assistant', content, stop_reason: null, stop_sequence: null, usage },
  parent_tool_use_id: null,
  session_id: claudeInit.session_id,
  uuid: 'a1',
  ...extra,
});
const toolResult = (id: string, content: string) => ({
  type: 'user',
  message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content }] },
  parent_tool_use_id: null,
  session_id: claudeInit.session_id,
  uuid: 'u1',
});
const claudeResult = (fields: object) => ({
  type: 'result',
  subtype: 'success',
  is_error: false,
  duration_ms: 41200,
  duration_api_ms: 39000,
  num_turns: 3,
  result: '',
  session_id: claudeInit.session_id,
  total_cost_usd: 0.0731,
  usage,
  modelUsage: {},
  permission_denials: [],
  uuid: 'r1',
  ...fields,
});

/** A Claude Code session that edits a file, runs the tests and succeeds. */
export const CLAUDE_SUCCESS = lines([
  claudeInit,
  assistant([
    { type: 'text', text: "I'll add the endpoint." },
    { type: 'tool_use', id: 'toolu_1', name: 'Edit', input: { file_path: '/repo/src/api/login.ts', old_string: 'a', new_string: 'b' } },
  ]),
  toolResult('toolu_1', 'The file /repo/src/api/login.ts has been updated.'),
  assistant([{ type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'npm test', description: 'Run the tests' } }]),
  toolResult('toolu_2', 'Tests: 12 passed'),
  assistant([{ type: 'text', text: 'Added POST /login; the tests pass.' }]),
  claudeResult({ result: 'Added POST /login; the tests pass.' }),
]);

/** Rate limited: the assistant message says `error: "rate_limit"`, the result is an error. */
export const CLAUDE_RATE_LIMITED = lines([
  claudeInit,
  assistant([{ type: 'text', text: 'API Error: Rate limit reached' }], { error: 'rate_limit' }),
  claudeResult({ is_error: true, num_turns: 1, total_cost_usd: 0, result: 'API Error: Rate limit reached' }),
]);

/** A run that ends with `is_error: true` (and exit code 0): an API error mid-session. */
export const CLAUDE_IS_ERROR = lines([
  claudeInit,
  assistant([{ type: 'text', text: 'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}' }], {
    error: 'unknown',
  }),
  claudeResult({ is_error: true, num_turns: 2, result: 'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}' }),
]);

/** The turn limit: `subtype: "error_max_turns"`, no result text. */
export const CLAUDE_MAX_TURNS = lines([
  claudeInit,
  claudeResult({ subtype: 'error_max_turns', is_error: false, num_turns: 10, result: undefined }),
]);

/** Codex without network: it never ends and prints only retry notices (seen for minutes). */
export const CODEX_OFFLINE = lines([
  { type: 'thread.started', thread_id: '01a20b45-586f-7701-a237-307d6fdfb143' },
  { type: 'turn.started' },
  { type: 'error', message: 'Reconnecting... 2/5 (stream disconnected before completion: failed to lookup address information: Name does not resolve)' },
  { type: 'error', message: 'Reconnecting... 5/5 (stream disconnected before completion: failed to lookup address information: Name does not resolve)' },
  {
    type: 'item.completed',
    item: { id: 'item_0', type: 'error', message: 'Falling back from WebSockets to HTTPS transport. stream disconnected before completion: failed to lookup address information: Name does not resolve' },
  },
  { type: 'error', message: 'Reconnecting... waiting for network (Connection failed: error sending request)' },
]);

/** A Codex turn that runs a command, changes a file and completes. */
export const CODEX_SUCCESS = lines([
  { type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a53' },
  { type: 'turn.started' },
  { type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Looking at the handler**' } },
  { type: 'item.started', item: { id: 'item_1', type: 'command_execution', command: "bash -lc 'npm test'", aggregated_output: '', exit_code: null, status: 'in_progress' } },
  { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: "bash -lc 'npm test'", aggregated_output: 'ok\n', exit_code: 0, status: 'completed' } },
  { type: 'item.completed', item: { id: 'item_2', type: 'file_change', changes: [{ path: '/repo/src/api/login.ts', kind: 'update' }], status: 'completed' } },
  { type: 'item.completed', item: { id: 'item_3', type: 'agent_message', text: 'Added the endpoint.' } },
  { type: 'turn.completed', usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } },
]);

/** Codex out of quota: retry notices, then the turn fails (exit code 1). */
export const CODEX_RATE_LIMITED = lines([
  { type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a54' },
  { type: 'turn.started' },
  { type: 'error', message: 'Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)' },
  { type: 'error', message: "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours." },
  { type: 'turn.failed', error: { message: "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours." } },
]);

/** Gemini's json format without an auth method (exit code 41), pretty-printed over several lines. */
export const GEMINI_NO_AUTH_JSON = JSON.stringify(
  {
    session_id: 'aa379bf9-e3c9-4ef4-91fe-d3158a56a9ff',
    error: {
      type: 'Error',
      message:
        'Please set an Auth method in your /tmp/home/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA',
      code: 41,
    },
  },
  null,
  2,
).split('\n');

const at = '2026-11-24T01:57:45.049Z';
/** Gemini stream-json: a tool call and a successful result. */
export const GEMINI_SUCCESS = lines([
  { type: 'init', timestamp: at, session_id: '738054b2-c23e-4210-9487-93ec8e2556f8', model: 'auto' },
  { type: 'message', timestamp: at, role: 'user', content: 'Add a login form' },
  { type: 'tool_use', timestamp: at, tool_name: 'write_file', tool_id: 'write_file-1', parameters: { file_path: '/repo/src/ui/login.tsx', content: 'x' } },
  { type: 'tool_result', timestamp: at, tool_id: 'write_file-1', status: 'success', output: 'Successfully created and wrote to new file: /repo/src/ui/login.tsx.' },
  { type: 'message', timestamp: at, role: 'assistant', content: 'Added the form.', delta: true },
  { type: 'result', timestamp: at, status: 'success', stats: { total_tokens: 5210, input_tokens: 5000, output_tokens: 210, cached: 0, input: 5000, duration_ms: 8000, tool_calls: 1, models: {} } },
]);

/** Gemini stream-json out of quota: an error event, then a failed result. */
export const GEMINI_RATE_LIMITED = lines([
  { type: 'init', timestamp: at, session_id: '738054b2-c23e-4210-9487-93ec8e2556f9', model: 'auto' },
  { type: 'message', timestamp: at, role: 'user', content: 'Add a login form' },
  { type: 'error', timestamp: at, severity: 'error', message: '[API Error: You have exhausted your capacity on this model. (status: RESOURCE_EXHAUSTED)]' },
  {
    type: 'result',
    timestamp: at,
    status: 'error',
    error: { type: 'TerminalQuotaError', message: '[API Error: You have exhausted your capacity on this model. (status: RESOURCE_EXHAUSTED)]' },
    stats: { total_tokens: 0, input_tokens: 0, output_tokens: 0, cached: 0, input: 0, duration_ms: 900, tool_calls: 0, models: {} },
  },
]);

/** Gemini stream-json after an invalid stream: an error event, then `status: "error"` without details, exit code 0. */
export const GEMINI_INVALID_STREAM = lines([
  { type: 'init', timestamp: at, session_id: '738054b2-c23e-4210-9487-93ec8e2556fa', model: 'auto' },
  { type: 'error', timestamp: at, severity: 'error', message: 'Model stream ended with empty response text.' },
  { type: 'result', timestamp: at, status: 'error', stats: { total_tokens: 10, input_tokens: 10, output_tokens: 0, cached: 0, input: 10, duration_ms: 300, tool_calls: 0, models: {} } },
]);
