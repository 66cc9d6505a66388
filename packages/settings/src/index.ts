/**
 * @coffer/settings: one validated, typed, frozen config object from overrides, environment variables, .env
 * files and AWS Secrets Manager, with secret fields as masked `Secret` values.
 */
export { SettingsError, type SettingsIssue } from './errors.js';
export { parseReference, type SecretReference } from './reference.js';
export { type InferSettings, type SettingsSchema, type Shape, secret } from './schema.js';
export {
  changedPaths,
  defineSettings,
  type SecretMapping,
  Settings,
  type SettingsOptions,
} from './settings.js';
export { type DotenvOptions, type EnvOptions, toEnvName } from './sources.js';
