#!/usr/bin/env node
// A stand-in for Gemini CLI's headless mode (`gemini -p ... --output-format stream-json|json`),
// speaking its exact formats: stream-json events (init, message, tool_use, tool_result, error,
// result) or the json format's single pretty-printed object. Without auth (mode "auth") it
// behaves as the real one: exit code 41, the message as a JSON error (json) or a plain stderr
// line (stream-json). Modes: see fake-agent-lib.mjs.
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { applyWrite, delayMs, die, emit, exit, hang, mode, parseArgs, plannedWrites, record, recordCall, sleep } from './fake-agent-lib.mjs';

const args = parseArgs(
  process.argv.slice(2),
  {
    values: ['--prompt', '--output-format', '--approval-mode', '--model', '--include-directories'],
    flags: ['--yolo', '--skip-trust', '--version', '--help', '--debug', '--sandbox'],
    aliases: { '-p': '--prompt', '-o': '--output-format', '-m': '--model', '-y': '--yolo', '-v': '--version', '-h': '--help', '-d': '--debug', '-s': '--sandbox' },
  },
  (problem) => die(`Unknown argument: ${problem}`),
);

if (args.options['--version']) {
  process.stdout.write('0.61.0\n');
  exit(0);
} else {
  await main();
}

async function main() {
  const o = args.options;
  const format = o['--output-format'] ?? 'text';
  if (!['text', 'json', 'stream-json'].includes(format)) return die(`Invalid values:\n  Argument: output-format, Given: "${format}", Choices: "text", "json", "stream-json"`);
  const approval = o['--approval-mode'];
  if (approval !== undefined && !['default', 'auto_edit', 'yolo', 'plan'].includes(approval)) {
    return die(`Invalid values:\n  Argument: approval-mode, Given: "${approval}", Choices: "default", "auto_edit", "yolo", "plan"`);
  }
  if (o['--prompt'] !== undefined && args.positionals.length > 0) {
    return die('Cannot use both a positional prompt and the --prompt (-p) flag together');
  }
  if (o['--prompt'] === undefined) return die('fake gemini: interactive mode is not supported; use -p/--prompt');
  const prompt = o['--prompt'];
  recordCall('gemini', prompt);

  const session = randomUUID();
  const now = () => new Date().toISOString();
  const started = Date.now();
  const stats = (tools) => ({ total_tokens: 1500, input_tokens: 1200, output_tokens: 300, cached: 0, input: 1200, duration_ms: Date.now() - started, tool_calls: tools, models: {} });
  const stream = format === 'stream-json';
  const send = (event) => {
    if (stream) emit({ type: event.type, timestamp: now(), ...event });
  };
  const end = (code, { response, error, tools = 0 }) => {
    record('end');
    if (stream) {
      send({ type: 'result', status: error || code !== 0 ? 'error' : 'success', ...(error ? { error } : {}), stats: stats(tools) });
    } else if (format === 'json') {
      const doc = { session_id: session, ...(response !== undefined ? { response } : {}), ...(error ? { error: { ...error, code } } : { stats: stats(tools) }) };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      process.stdout.write(`${response ?? error?.message ?? ''}\n`);
    }
    exit(code);
  };

  const m = mode();
  if (m === 'auth') {
    const message = `Please set an Auth method in your ${process.env.HOME}/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA`;
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ session_id: session, error: { type: 'Error', message, code: 41 } }, null, 2)}\n`);
      return exit(41);
    }
    return die(message, 41);
  }
  record('start');
  send({ type: 'init', session_id: session, model: o['--model'] ?? 'auto' });
  send({ type: 'message', role: 'user', content: prompt });

  switch (m) {
    case 'rate-limit': {
      await sleep(delayMs());
      const message = '[API Error: You have exhausted your capacity on this model. Your quota will reset after 2h. (status: RESOURCE_EXHAUSTED)]';
      send({ type: 'error', severity: 'error', message });
      return end(1, { error: { type: 'TerminalQuotaError', message } });
    }
    case 'error-result': {
      // As Gemini does for an invalid stream: the error, then status "error" and exit code 0.
      await sleep(delayMs());
      const message = 'Model stream ended with empty response text.';
      send({ type: 'error', severity: 'error', message });
      record('end');
      if (stream) send({ type: 'result', status: 'error', stats: stats(0) });
      else if (format === 'json') {
        const doc = { session_id: session, response: '', stats: stats(0), error: { type: 'INVALID_STREAM', message } };
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
      return exit(0);
    }
    case 'fail':
      await sleep(delayMs());
      return end(1, { error: { type: 'FatalToolExecutionError', message: 'Error executing tool write_file: the fake agent was told to fail' } });
    case 'crash':
      return die('fake gemini: crashed (mode crash)', 3);
    case 'stall': {
      let attempt = 0;
      return hang(() => process.stderr.write(`Attempt ${++attempt} failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request\n`));
    }
    default:
      break;
  }

  const writes = plannedWrites(prompt);
  const step = delayMs() / (writes.length + 1);
  for (const write of writes) {
    await sleep(step);
    const id = `write_file-${Date.now()}-${randomUUID().slice(0, 8)}`;
    send({ type: 'tool_use', tool_name: 'write_file', tool_id: id, parameters: { file_path: write.file, content: write.content } });
    applyWrite(write);
    send({ type: 'tool_result', tool_id: id, status: 'success', output: `Successfully created and wrote to new file: ${write.file}.` });
  }
  await sleep(step);
  const response = writes.length ? `I wrote ${writes.length} file(s).` : 'Done.';
  send({ type: 'message', role: 'assistant', content: response, delta: true });
  end(0, { response, tools: writes.length });
}
