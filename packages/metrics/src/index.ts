import { definePlugin, type GuildPlugin } from '@guild/core';
import { metricsCommand, reportCommand } from './commands';
import { DurationHistory, historyFile } from './history';
import { parseMetricsOptions, type MetricsOptions } from './options';
import { finishRun } from './run-end';

export { computeMetrics, type MetricsInput } from './compute';
export { toPrometheus } from './prometheus';
export { renderReport, type ReportOptions } from './report';
export { metricsText } from './text';
export { DurationHistory, historyFile, commandHash, type DurationHistoryOptions } from './history';
export { readRunMetrics, type StoredRun } from './run-files';
export type { MetricsOptions } from './options';
export type * from './types';

/**
 * The `guild:metrics` plugin. When a run ends it adds the run's metrics to `summary.json`,
 * writes `report.html` beside it, and learns the durations of the tasks that succeeded in
 * `.guild/history.json`; tasks without an `estimate` are then estimated from that history.
 * It adds the commands `guild metrics [run-id] [--json | --format prometheus]` and
 * `guild report [run-id] [--out file.html]`. Use as `plugins: ['@guild/metrics']` or
 * `plugins: [['@guild/metrics', { report: false, historyDepth: 10 }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for an unknown option or
 *   a value of the wrong kind (naming it and the accepted options)
 */
export default definePlugin((options: MetricsOptions = {}): GuildPlugin => {
  const o = parseMetricsOptions(options);
  return {
    name: 'guild:metrics',
    apiVersion: 1,
    setup(api) {
      const warn = (message: string) => api.logger.warn(message);
      const history = o.history
        ? new DurationHistory({ file: historyFile(api.projectRoot), depth: o.historyDepth, limit: o.historyLimit, warn })
        : undefined;
      if (history) api.addEstimator((spec) => history.estimate(spec));
      api.onRunEnd((run) => {
        finishRun(run, { history, report: o.report, warn });
      });
      const io = { stdout: (text: string) => void process.stdout.write(text), cwd: process.cwd() };
      api.addCommand(metricsCommand(api.projectRoot, io));
      api.addCommand(reportCommand(api.projectRoot, io));
    },
  };
});
