import { CofferError } from '../errors.js';

/**
 * The database refused the secret's credentials, also after the pool re-read AWSCURRENT and tried AWSPENDING.
 * `cause` is pg's error (SQLSTATE in `sqlState`); the message names the user, never a password.
 */
export class DatabaseAuthenticationError extends CofferError {
  override readonly name = 'DatabaseAuthenticationError' as const;
  readonly code = 'DATABASE_AUTHENTICATION_FAILED' as const;
  /** PostgreSQL's SQLSTATE: `28P01` (invalid_password) or `28000` (invalid_authorization_specification). */
  readonly sqlState: string | undefined;

  constructor(
    message: string,
    options: { secretId?: string; cause?: unknown; sqlState?: string | undefined },
  ) {
    super(message, options);
    this.sqlState = options.sqlState;
  }
}
