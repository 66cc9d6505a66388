import {
  AgentConfigError,
  type AgentFlags,
  agentConfig,
  jsonLinesWriter,
  type LogLevel,
  startAgent,
} from '@coffer/agent';
import type { CofferLogger } from 'coffer';
import type { Command } from 'commander';
import { CliError, EXIT } from '../../errors.js';
import type { CliIo } from '../../io.js';

export interface AgentCommandOptions {
  config?: string;
  listen?: string;
  port?: number;
  tokenFile?: string;
  ttl?: number;
  cacheSize?: number;
  maxConn?: number;
  maxRoles?: number;
  maxStale?: number;
  versionAware: boolean;
  region?: string;
  prefetch?: string[];
  prefetchTag?: string[];
  logLevel?: string;
  accessLog: boolean;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, none: 4 };

/** JSON lines on stderr, at or above `level`; fields name secrets and codes, never values. */
function jsonLogger(io: CliIo, level: LogLevel): CofferLogger {
  const at =
    (name: Exclude<LogLevel, 'none'>) =>
    (fields: Record<string, unknown>, msg: string): void => {
      if (LEVELS[name] >= LEVELS[level])
        io.stderr(`${JSON.stringify({ time: new Date().toISOString(), level: name, msg, ...fields })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function run(io: CliIo, options: AgentCommandOptions, command: Command): Promise<void> {
  // Flags given on the command line win; commander's defaults for the --no-* flags must not.
  const given = (name: keyof AgentCommandOptions) => command.getOptionValueSource(name) === 'cli';
  const flags: AgentFlags = {
    config: options.config,
    listen: options.listen,
    port: options.port,
    tokenFile: options.tokenFile,
    ttl: options.ttl,
    cacheSize: options.cacheSize,
    maxConn: options.maxConn,
    maxRoles: options.maxRoles,
    maxStale: options.maxStale,
    region: options.region,
    prefetch: options.prefetch,
    prefetchTag: options.prefetchTag,
    logLevel: options.logLevel,
    ...(given('accessLog') && { accessLog: options.accessLog }),
    ...(given('versionAware') && { versionAware: options.versionAware }),
  };
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    const config = agentConfig(flags, io.env);
    const logger = jsonLogger(io, config.logLevel ?? 'info');
    for (const setting of config.ignored) logger.warn?.({ setting }, `coffer agent: ignoring ${setting}`);
    const accessLog = config.accessLog !== false && LEVELS[config.logLevel ?? 'info'] <= LEVELS.info;
    agent = await startAgent({
      ...config.options,
      env: io.env,
      logger,
      ...(accessLog && { accessLog: jsonLinesWriter(io.stderr) }),
    });
  } catch (error) {
    if (error instanceof AgentConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const started = agent;
  // Runs until Ctrl-C or SIGTERM, then stops listening and forgets every value.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void started.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
