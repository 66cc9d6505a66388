import {
  DATABASE_SECRET_LAYOUT,
  isInvalidDatabaseSecret,
  parseDatabaseSecret,
} from '../../database/secret.js';
import { type AwsStage, CURRENT, PENDING, PREVIOUS } from '../../stages.js';
import type { RotationContext } from '../context.js';
import { rotationError } from '../errors.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from './engine.js';

/** `user "u" at host:port/db`, for messages. */
export const describeLogin = (
  username: string,
  at: { readonly host: string; readonly port: number; readonly dbname?: string | undefined },
): string => `user ${JSON.stringify(username)} at ${at.host}:${at.port}${at.dbname ? `/${at.dbname}` : ''}`;

/** What reading credentials needs of an engine. */
type Reader<Ssl> = Pick<
  DatabaseEngine<unknown, Ssl, DatabaseRotatorOptions>,
  'name' | 'defaultPort' | 'defaultDatabase' | 'engines' | 'masterCan' | 'masterUsesUsersDatabase' | 'sslOf'
>;

/** Reads and checks a credential from a JSON object; `label` names it in errors (never a value). */
function parseCredential<Ssl>(
  ctx: RotationContext,
  engine: Reader<Ssl>,
  value: Readonly<Record<string, unknown>>,
  label: string,
  defaults: { host?: string; port?: number } = {},
): Credential<Ssl> {
  const parsed = parseDatabaseSecret(value);
  const missing = isInvalidDatabaseSecret(parsed) ? [...parsed.invalid] : [];
  const host = isInvalidDatabaseSecret(parsed) ? undefined : (parsed.host ?? defaults.host);
  if (!isInvalidDatabaseSecret(parsed)) {
    if (host === undefined) missing.push('host');
    if (parsed.password.reveal() === '') missing.push('password');
  }
  if (isInvalidDatabaseSecret(parsed) || host === undefined || missing.length > 0) {
    throw rotationError(
      ctx,
      `${label} is not a ${engine.name} credential: ${missing.map((key) => `"${key}"`).join(', ')} missing or invalid (expected AWS's layout: ${DATABASE_SECRET_LAYOUT}).`,
    );
  }
  const { engines } = engine;
  if (engines !== undefined && parsed.engine !== undefined && !engines.pattern.test(parsed.engine)) {
    throw rotationError(
      ctx,
      `${label} is for engine ${JSON.stringify(parsed.engine)}: the ${engine.name} rotators take ${engines.described}.`,
    );
  }
  return {
    host,
    port: parsed.port ?? defaults.port ?? engine.defaultPort,
    dbname: parsed.dbname ?? engine.defaultDatabase,
    username: parsed.username,
    password: parsed.password,
    ssl: engine.sslOf(parsed.ssl),
    masterarn: parsed.masterarn,
    fields: parsed.fields,
  };
}

/** The credential in a version of the rotated secret; undefined only for a missing AWSPREVIOUS. */
export async function credentialOf<Ssl>(
  ctx: RotationContext,
  engine: Reader<Ssl>,
  stage: typeof PREVIOUS,
): Promise<Credential<Ssl> | undefined>;
export async function credentialOf<Ssl>(
  ctx: RotationContext,
  engine: Reader<Ssl>,
  stage: typeof CURRENT | typeof PENDING,
): Promise<Credential<Ssl>>;
export async function credentialOf<Ssl>(
  ctx: RotationContext,
  engine: Reader<Ssl>,
  stage: AwsStage,
): Promise<Credential<Ssl> | undefined> {
  const json = await ctx.readJson(stage);
  if (json === undefined) {
    if (stage === PREVIOUS) return undefined;
    throw rotationError(
      ctx,
      stage === PENDING
        ? `The pending version ${ctx.token} of secret ${ctx.secretId} has no value: run createSecret first.`
        : `Secret ${ctx.secretId} has no AWSCURRENT value to rotate from.`,
    );
  }
  return parseCredential(ctx, engine, json.reveal(), `The ${stage} version of secret ${ctx.secretId}`);
}

/**
 * The user named by the secret's `masterarn`, read with GetSecretValue (AWSCURRENT), on the rotated user's
 * server whatever host its own secret names (an RDS-managed master secret holds only a username and password):
 * users must change on the server the rotated user connects to.
 */
export async function masterOf<Ssl>(
  ctx: RotationContext,
  engine: Reader<Ssl>,
  current: Credential<Ssl>,
): Promise<Credential<Ssl>> {
  const arn = current.masterarn;
  if (arn === undefined) {
    throw rotationError(
      ctx,
      `Secret ${ctx.secretId} has no "masterarn": alternatingUsers needs the ARN of a secret holding a user that can ${engine.masterCan}.`,
    );
  }
  const parsed = await ctx.readJson(CURRENT, { secretId: arn });
  if (parsed === undefined) {
    throw rotationError(
      ctx,
      `The master secret ${arn} has no AWSCURRENT value: check the "masterarn" of ${ctx.secretId}.`,
    );
  }
  const master = parseCredential(ctx, engine, parsed.reveal(), `The master secret ${arn}`, {
    host: current.host,
    port: current.port,
  });
  return {
    ...master,
    host: current.host,
    port: current.port,
    dbname: engine.masterUsesUsersDatabase ? current.dbname : master.dbname,
    ssl: master.ssl ?? current.ssl,
  };
}

/** Another version of the secret (`which`: `pending`, `AWSPREVIOUS`, ...) must be for the current one's server. */
export function checkSameServer<Ssl>(
  ctx: RotationContext,
  current: Credential<Ssl>,
  other: Credential<Ssl>,
  which: string,
): void {
  if (other.host !== current.host || other.port !== current.port) {
    throw rotationError(
      ctx,
      `The ${which} version of secret ${ctx.secretId} is for ${other.host}:${other.port}, the AWSCURRENT one for ${current.host}:${current.port}.`,
    );
  }
}
