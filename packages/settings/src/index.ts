/**
 * @coffer/settings: one validated, typed, frozen config object from overrides, environment variables, .env
 * files and AWS Secrets Manager, with secret fields as masked `Secret` values.
 */
export type { SecretMapping } from './contributions.js';
export { SettingsError, type SettingsIssue } from './errors.js';
export { type InferSettings, type SettingsSchema, type Shape, secret } from './schema.js';
export { changedPaths, defineSettings, Settings, type SettingsOptions } from './settings.js';
export type { DotenvOptions, EnvOptions } from './sources.js';
