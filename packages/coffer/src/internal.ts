/**
 * coffer/internal: what Coffer's own packages (@coffer/settings, @coffer/cli, @coffer/local) share. Not a
 * public API: it may change in any release without notice. Applications import `coffer` and its documented
 * subpaths instead.
 */

export { abortable } from './abortable.js';
export { mysqlNativePasswordHash } from './database/mysql-password.js';
export { NON_SECRET_FIELDS, secretLeaves } from './database/secret.js';
export { toEnvName } from './env-name.js';
export { deepFreeze } from './freeze.js';
export { parseJsonQuietly } from './json.js';
export { describeSecretReference, toSecretReference, versionKey } from './references/reference.js';
export { MIN_FORM, Redactor, redact, secretForms, TRUNCATION_MARKERS } from './secret/redact.js';
export { isSecret, MASK } from './secret/secret.js';
export { shellQuote } from './shell-quote.js';
export { CURRENT, PENDING, PREVIOUS } from './stages.js';
export {
  isStandardSchema,
  issueKind,
  issuePath,
  issuePathKeys,
  validateStandard,
} from './standard-schema.js';
