export { main, EXIT, type Io } from './cli.js';
export { loadConfig, resolvePlugins, findProjectRoot, loadTs, SEARCH_PLACES, type LoadedConfig } from './config.js';
export { lineReporter, type LineReporter } from './reporter.js';
