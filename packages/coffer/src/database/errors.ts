import { CofferError } from '../errors.js';

/**
 * The database refused the secret's credentials, also after the pool re-read AWSCURRENT and tried AWSPENDING.
 * `cause` is the driver's error; the message names the user, never a password.
 */
export class DatabaseAuthenticationError extends CofferError {
  override readonly name = 'DatabaseAuthenticationError' as const;
  readonly code = 'DATABASE_AUTHENTICATION_FAILED' as const;
  /**
   * The SQLSTATE: PostgreSQL's `28P01` (invalid_password) or `28000` (invalid_authorization_specification);
   * MySQL's `28000` for access denied.
   */
  readonly sqlState: string | undefined;
  /** MySQL's error number (`1045` access denied, `1698`); undefined for PostgreSQL. */
  readonly errno: number | undefined;

  constructor(
    message: string,
    options: {
      secretId?: string;
      cause?: unknown;
      sqlState?: string | undefined;
      errno?: number | undefined;
    },
  ) {
    super(message, options);
    this.sqlState = options.sqlState;
    this.errno = options.errno;
  }
}
