export type * from './types.js';
export * from './errors.js';
export * from './plugin.js';
export * from './config.js';
/** The schema library guild's packages share (a part of zod, see zod.ts): plugins may use it for their options. */
export * as z from './zod.js';
export { parseDuration, formatDuration } from './duration.js';
export { describeBlocker, logReference, summaryLine, stamp } from './describe.js';
export { taskSchema, planFileSchema, defaultsSchema, TASK_ID, type PlanFile, type PlanDefaults } from './plan-schema.js';
export { readPlanFile, parsePlanText, suggest, yamlLibrary, type ParsedPlanFile } from './plan-load.js';
export { createPlan, normalisePath, parseResource, locationOf, type CreatePlanOptions } from './plan.js';
export { buildGraph, findCycle } from './graph.js';
export { realClock, VirtualClock } from './clock.js';
export { EventBus } from './events.js';
export { ResourceLocks, composeAccess, accessFor } from './access.js';
export { Scheduler, rankTasks, checkRunners, type SchedulerOptions, type RetryPolicy, type TaskRecord, type RunSummary } from './scheduler.js';
export { shellRunner, createShellRunner, type ShellRunnerOptions } from './shell-runner.js';
export { prepareSharedLauncher } from './launcher.js';
export { findCommand, isExecutableFile } from './find-command.js';
export { simulatedRunner } from './sim-runner.js';
export { simulate, planBounds, seededRandom, type SimulateOptions, type SimulationResult, type PlanBounds } from './simulate.js';
export { newRunId } from './run-id.js';
export { Heap } from './heap.js';
export { PluginHost, planFileSource, stderrLogger } from './host.js';
export { runPlan, resumeRun, killLeftovers, type RunPlanOptions, type ResumeOptions, type RunOutcome } from './run.js';
export {
  RunStore,
  EventLog,
  runPaths,
  runsDir,
  listRuns,
  pickRun,
  lockRun,
  tryLock,
  readDriver,
  driverAlive,
  readEventLog,
  readStoredPlan,
  replayRun,
  writeAtomic,
  type RunPaths,
  type StoredPlan,
  type DriverInfo,
  type ReadLog,
} from './run-store.js';
export { applyEvent, initialRunState, countStates, runStateJson, type RunState, type TaskStatus } from './run-state.js';
export { isAlive, isSameProcess, startTimeOf, processesWithEnv, killGroup, sleepSync } from './proc.js';
export { serveControl, sendControl, controlSocketPath, type ControlAction, type ControlReply } from './control.js';
