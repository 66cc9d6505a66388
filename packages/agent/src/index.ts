/**
 * @coffer/agent: a local HTTP endpoint for AWS Secrets Manager that AWS's Secrets Manager agent's clients use
 * unchanged, backed by Coffer's SecretCache (single flight, refresh-ahead, stale-if-error, version checks).
 */
export { type Agent, startAgent } from './agent.js';
export { type AgentConfig, type LogLevel, parseAgentConfig } from './config/file.js';
export { AGENT_ENV, type AgentFlags, agentConfig } from './config/sources.js';
export { AgentConfigError } from './errors.js';
export type { AccessLogEntry } from './http/access-log.js';
export { jsonLinesWriter } from './http/access-log.js';
export { AGENT_DEFAULTS, type AgentOptions, type PrefetchOptions } from './options.js';
export type { PrefetchReport } from './prefetch.js';
