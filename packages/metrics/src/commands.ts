import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { GuildError, pickRun, writeAtomic, type CommandSpec } from '@guild/core';
import { toPrometheus } from './prometheus';
import { renderReport } from './report';
import { readRunMetrics, reportFile } from './run-files';
import { metricsText } from './text';

/** Where commands print, and the folder relative paths are taken from. */
export interface CommandIo {
  stdout: (text: string) => void;
  cwd: string;
}

const FORMATS = ['text', 'json', 'prometheus'] as const;
type Format = (typeof FORMATS)[number];

/** `--json` or `--format <f>` (not both); text by default. */
function formatOf(options: Record<string, unknown>): Format {
  const { json, format } = options;
  if (json && format !== undefined) {
    throw new GuildError('USAGE', 'guild metrics takes --json or --format <format>, not both; --json is --format json');
  }
  if (json) return 'json';
  if (format === undefined) return 'text';
  if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
    throw new GuildError('USAGE', `--format takes ${FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
  }
  return format as Format;
}

/**
 * `guild metrics [run-id] [--json | --format text|json|prometheus]`: a run's metrics (the
 * newest run's by default; a unique prefix of an id will do). Bad flags or an unknown run
 * throw a {@link GuildError}.
 */
export function metricsCommand(projectRoot: string, io: CommandIo): CommandSpec {
  return {
    name: 'metrics [run-id]',
    description: "a run's metrics: speedup, efficiency, lower bound, waits, conflicts, per-task times (default: the newest run)",
    options: [
      { flags: '--json', description: 'print the metrics as JSON (the "metrics" of summary.json)' },
      { flags: '--format <format>', description: 'text (default), json, or prometheus (text exposition format)' },
    ],
    async action(args, options) {
      const format = formatOf(options);
      const { metrics } = readRunMetrics(projectRoot, pickRun(projectRoot, args[0]));
      if (format === 'json') io.stdout(`${JSON.stringify(metrics, null, 2)}\n`);
      else if (format === 'prometheus') io.stdout(await toPrometheus(metrics));
      else io.stdout(metricsText(metrics));
      return 0;
    },
  };
}

/**
 * `guild report [run-id] [--out file.html]`: writes a run's HTML timeline report (the newest
 * run's by default) into its run folder, or to `--out`, and prints where.
 */
export function reportCommand(projectRoot: string, io: CommandIo): CommandSpec {
  return {
    name: 'report [run-id]',
    description: "write a run's self-contained HTML timeline report (default: the newest run, into its folder)",
    options: [{ flags: '-o, --out <file>', description: 'write it here instead of .guild/runs/<run-id>/report.html' }],
    action(args, options) {
      const { out } = options;
      if (out !== undefined && (typeof out !== 'string' || out === '')) {
        throw new GuildError('USAGE', '--out takes a file name, e.g. --out report.html');
      }
      const { paths, stored, metrics } = readRunMetrics(projectRoot, pickRun(projectRoot, args[0]));
      const file = out === undefined ? reportFile(paths.dir) : path.resolve(io.cwd, out);
      mkdirSync(path.dirname(file), { recursive: true });
      writeAtomic(file, renderReport(metrics, stored.source !== undefined ? { source: stored.source } : {}));
      io.stdout(`report: ${file}\n`);
      return 0;
    },
  };
}
