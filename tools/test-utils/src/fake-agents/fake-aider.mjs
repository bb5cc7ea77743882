#!/usr/bin/env node
// A stand-in for aider run unattended (`aider --yes-always --message "<prompt>" <files...>`):
// plain-text output and an exit code, as the real one. Modes: see fake-agent-lib.mjs.
import process from 'node:process';
import { applyWrite, delayMs, die, exit, hang, mode, parseArgs, plannedWrites, record, recordCall, sleep } from './fake-agent-lib.mjs';

const args = parseArgs(
  process.argv.slice(2),
  {
    values: ['--message', '--model', '--message-file'],
    flags: ['--yes-always', '--no-git', '--no-auto-commits', '--version'],
    aliases: { '-m': '--message' },
  },
  (problem) => die(`aider: error: unrecognized arguments: ${problem}`, 2),
);

if (args.options['--version']) {
  process.stdout.write('aider 0.86.1\n');
  exit(0);
} else {
  await main();
}

async function main() {
  const o = args.options;
  const prompt = o['--message'];
  if (prompt === undefined) return die('fake aider: only --message runs are supported');
  recordCall('aider', prompt);
  if (!o['--yes-always']) return die('fake aider: would ask for confirmation on a terminal; pass --yes-always');
  const out = (line) => process.stdout.write(`${line}\n`);
  record('start');
  out('Aider v0.86.1');
  out(`Main model: ${o['--model'] ?? 'sonnet'} with diff edit format`);
  out(`Added ${args.positionals.length} file(s) to the chat: ${args.positionals.join(' ')}`);
  switch (mode()) {
    case 'rate-limit':
      await sleep(delayMs());
      return die('litellm.RateLimitError: AnthropicException - {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}');
    case 'fail':
    case 'auth':
    case 'error-result':
      await sleep(delayMs());
      return die('litellm.AuthenticationError: AnthropicException - invalid x-api-key');
    case 'crash':
      return die('fake aider: crashed (mode crash)', 3);
    case 'stall':
      return hang();
    default:
      break;
  }
  for (const write of plannedWrites(prompt)) {
    await sleep(delayMs() / 2);
    applyWrite(write);
    out(`Applied edit to ${write.file}`);
  }
  await sleep(delayMs() / 2);
  out('Tokens: 1.2k sent, 300 received. Cost: $0.01 message, $0.01 session.');
  record('end');
  exit(0);
}
