import { CofferError } from 'coffer';

/** One field that failed: where it is, where its value came from, and what is wrong; never the value. */
export interface SettingsIssue {
  /** Dotted path, e.g. `database.password`. */
  readonly path: string;
  /** e.g. `env var APP_PORT`, `.env.local:3 (PORT)`, `secret prod/db#password`, `not set; looked for ...`. */
  readonly source: string;
  readonly message: string;
}

/** Every invalid or missing setting at once, so one failed start tells you everything to fix. */
export class SettingsError extends CofferError {
  override readonly name = 'SettingsError' as const;
  readonly code = 'INVALID_SETTINGS' as const;
  readonly issues: readonly SettingsIssue[];

  constructor(issues: readonly SettingsIssue[]) {
    const lines = issues.map((i) => `  - ${i.path} (${i.source}): ${i.message}`);
    super(`Invalid settings: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`);
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }
}
