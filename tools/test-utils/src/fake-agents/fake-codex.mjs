#!/usr/bin/env node
// A stand-in for `codex exec --json`, speaking its exact JSONL events: thread.started,
// turn.started, item.started/item.completed (reasoning, file_change, agent_message),
// turn.completed with usage, and error / turn.failed. Like the real one it refuses to run
// outside a git repository without --skip-git-repo-check, and in mode "stall" it retries a
// missing network forever ("Reconnecting... waiting for network"). Modes: see fake-agent-lib.mjs.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { applyWrite, delayMs, die, emit, exit, hang, mode, parseArgs, plannedWrites, record, recordCall, sleep } from './fake-agent-lib.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === '-V') {
  process.stdout.write('codex-cli 0.169.0\n');
  exit(0);
} else if (argv[0] !== 'exec') {
  die('fake codex: only `codex exec` is supported');
} else {
  await main(
    parseArgs(
      argv.slice(1),
      {
        values: ['--sandbox', '--model', '--cd', '--config', '--color', '--output-last-message', '--add-dir', '--profile'],
        flags: ['--json', '--skip-git-repo-check', '--ephemeral', '--dangerously-bypass-approvals-and-sandbox', '--oss'],
        aliases: { '-s': '--sandbox', '-m': '--model', '-C': '--cd', '-c': '--config', '-o': '--output-last-message', '-p': '--profile' },
      },
      (problem) => die(`error: ${problem.replace(/^unknown option '(.*)'$/, "unexpected argument '$1' found")}\n\nUsage: codex exec [OPTIONS] [PROMPT]`, 2),
    ),
  );
}

function insideGitRepo(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return true;
    if (path.dirname(d) === d) return false;
  }
}

async function main(args) {
  const o = args.options;
  const sandbox = o['--sandbox'];
  if (sandbox !== undefined && !['read-only', 'workspace-write', 'danger-full-access'].includes(sandbox)) {
    return die(`error: invalid value '${sandbox}' for '--sandbox <SANDBOX_MODE>'\n  [possible values: read-only, workspace-write, danger-full-access]`, 2);
  }
  if (o['--cd']) process.chdir(o['--cd']);
  if (args.positionals.length > 1) return die(`error: unexpected argument '${args.positionals[1]}' found`, 2);
  const prompt = args.positionals[0] ?? '';
  recordCall('codex', prompt);
  if (!o['--skip-git-repo-check'] && !insideGitRepo(process.cwd())) {
    return die('Not inside a trusted directory and --skip-git-repo-check was not specified.');
  }
  if (!o['--json']) return die('fake codex: only --json output is supported');

  record('start');
  emit({ type: 'thread.started', thread_id: randomUUID() });
  emit({ type: 'turn.started' });
  let item = 0;
  const nextId = () => `item_${item++}`;
  const failTurn = (message, code) => {
    emit({ type: 'error', message });
    emit({ type: 'turn.failed', error: { message } });
    record('end');
    exit(code);
  };

  switch (mode()) {
    case 'rate-limit':
      await sleep(delayMs());
      emit({ type: 'error', message: 'Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)' });
      return failTurn("You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 hours.", 1);
    case 'auth':
      return failTurn('unexpected status 401 Unauthorized: Missing bearer or basic authentication in header', 1);
    case 'fail':
      await sleep(delayMs());
      return failTurn('stream error: the fake agent was told to fail', 1);
    case 'error-result':
      // Exit code 0, and yet the turn failed.
      await sleep(delayMs());
      return failTurn('stream disconnected before completion: the fake agent reports an error', 0);
    case 'crash':
      return die('fake codex: crashed (mode crash)', 3);
    case 'stall':
      emit({ type: 'error', message: 'Reconnecting... 2/5 (stream disconnected before completion: failed to lookup address information: Name does not resolve)' });
      return hang(() => emit({ type: 'error', message: 'Reconnecting... waiting for network (Connection failed: error sending request)' }));
    default:
      break;
  }

  emit({ type: 'item.completed', item: { id: nextId(), type: 'reasoning', text: '**Planning the change**' } });
  const writes = plannedWrites(prompt);
  const step = delayMs() / (writes.length + 1);
  for (const write of writes) {
    await sleep(step);
    const id = nextId();
    emit({ type: 'item.started', item: { id, type: 'file_change', changes: [{ path: write.file, kind: 'add' }], status: 'in_progress' } });
    applyWrite(write);
    emit({ type: 'item.completed', item: { id, type: 'file_change', changes: [{ path: write.file, kind: 'add' }], status: 'completed' } });
  }
  await sleep(step);
  emit({ type: 'item.completed', item: { id: nextId(), type: 'agent_message', text: writes.length ? `Updated ${writes.length} file(s).` : 'Done.' } });
  emit({ type: 'turn.completed', usage: { input_tokens: 2048, cached_input_tokens: 1024, output_tokens: 128 } });
  record('end');
  exit(0);
}
