import { Secret } from '../secret/secret.js';

/**
 * One version of a database secret in AWS's layout (`engine, host, port, username, password, dbname`, and
 * `masterarn` for alternating users), the layout of RDS-managed secrets and AWS's rotation templates. The
 * password stays wrapped; so does the whole object, which rotators copy into the next version.
 */
export interface DatabaseSecret {
  readonly engine: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly username: string;
  readonly password: Secret<string>;
  readonly dbname: string | undefined;
  /** The ARN of the secret holding a user that may change this one's password (alternating users). */
  readonly masterarn: string | undefined;
  /** The `ssl` field as stored (a boolean, `"true"`/`"false"`, or driver TLS options); each driver reads it. */
  readonly ssl: unknown;
  readonly fields: Secret<Readonly<Record<string, unknown>>>;
}

/** Fields that are missing or of the wrong type, in the layout's order; never their values. */
export interface InvalidDatabaseSecret {
  readonly invalid: readonly string[];
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The layout every driver's error message suggests. */
export const DATABASE_SECRET_LAYOUT = 'engine, host, port, username, password, dbname';

/**
 * Reads a parsed JSON secret in AWS's database layout. Optional fields may be absent, `null` or `""`; `port`
 * may be a number or a string of digits. What each engine requires beyond that is the caller's to check.
 */
export function parseDatabaseSecret(value: unknown): DatabaseSecret | InvalidDatabaseSecret {
  if (!isRecord(value)) return { invalid: [] };
  const invalid: string[] = [];
  const optionalText = (key: string): string | undefined => {
    const field = value[key];
    if (field === undefined || field === null || field === '') return undefined;
    if (typeof field === 'string') return field;
    invalid.push(key);
    return undefined;
  };
  const { username, password, port } = value;
  if (typeof username !== 'string' || username === '') invalid.push('username');
  if (typeof password !== 'string') invalid.push('password');
  const host = optionalText('host');
  const dbname = optionalText('dbname');
  let portNumber: number | undefined;
  if (port !== undefined && port !== null && port !== '') {
    portNumber =
      typeof port === 'number'
        ? port
        : typeof port === 'string' && /^\d+$/.test(port)
          ? Number(port)
          : Number.NaN;
    if (!Number.isInteger(portNumber) || portNumber <= 0 || portNumber > 65_535) invalid.push('port');
  }
  if (invalid.length > 0) return { invalid };
  return {
    engine: typeof value.engine === 'string' ? value.engine : undefined,
    host,
    port: portNumber,
    username: username as string,
    password: new Secret(password as string),
    dbname,
    masterarn: typeof value.masterarn === 'string' && value.masterarn !== '' ? value.masterarn : undefined,
    ssl: value.ssl,
    fields: new Secret(value),
  };
}

export const isInvalidDatabaseSecret = (
  parsed: DatabaseSecret | InvalidDatabaseSecret,
): parsed is InvalidDatabaseSecret => 'invalid' in parsed;

/**
 * Fields of AWS's secret layouts (RDS, Redshift, DocumentDB) that name where and as whom to connect, not how to
 * prove it. Masking them turns every host, port and user name in a log into `*****`, and an error that cannot
 * name them cannot be acted on. The user name is among them: it is an identity, not a credential.
 */
export const NON_SECRET_FIELDS: readonly string[] = [
  'engine',
  'host',
  'port',
  'dbname',
  'username',
  'masterarn',
  'dbClusterIdentifier',
  'dbInstanceIdentifier',
];

/**
 * The values in a JSON secret worth masking: every leaf except NON_SECRET_FIELDS and plain numbers (ports,
 * ids), with `mask` adding keys back and `unmask` taking more away.
 */
export function secretLeaves(
  value: unknown,
  options: { mask?: readonly string[]; unmask?: readonly string[] } = {},
): string[] {
  const mask = new Set(options.mask ?? []);
  const skipped = new Set([...NON_SECRET_FIELDS.filter((key) => !mask.has(key)), ...(options.unmask ?? [])]);
  const out: string[] = [];
  const walk = (key: string, field: unknown, depth: number): void => {
    if (depth > 32 || skipped.has(key) || (typeof field === 'number' && !mask.has(key))) return;
    if (field !== null && typeof field === 'object') {
      for (const [child, nested] of Object.entries(field)) walk(child, nested, depth + 1);
    } else if (field !== null && field !== undefined) {
      out.push(String(field));
    }
  };
  walk('', value, 0);
  return out;
}
