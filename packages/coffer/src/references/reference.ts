/** A pointer to a value in Secrets Manager: a secret, optionally one version of it and one key of its JSON. */
export interface SecretReference {
  /** Name or ARN, as passed to GetSecretValue. */
  readonly secretId: string;
  /** A key of the JSON secret; absent means the whole value. */
  readonly key?: string;
  readonly versionStage?: string;
  readonly versionId?: string;
}

const ASM = 'asm://';
const SECRET_ARN = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)(.*)$/;

/**
 * Parses a secret reference, or returns undefined when `text` is not one:
 *
 * - `asm://prod/db`, `asm://prod/db#password`, `asm://prod/db?stage=AWSPREVIOUS#password`, `?version=<id>`
 * - a secret ARN, optionally with `#key`
 * - ECS's form `arn:...:secret:<name>:<json-key>:<version-stage>:<version-id>`, so task definitions carry over
 *
 * Throws a TypeError for text that starts like a reference but is malformed.
 *
 * @example
 * ```ts
 * parseSecretReference('asm://prod/db#password'); // { secretId: 'prod/db', key: 'password' }
 * parseSecretReference('8080'); // undefined
 * ```
 */
export function parseSecretReference(text: string): SecretReference | undefined {
  if (text.startsWith(ASM)) return parseAsm(text);
  const arn = SECRET_ARN.exec(text);
  if (!arn) return undefined;
  const [, base = '', rest = ''] = arn;
  if (rest.startsWith('#')) return withKey({ secretId: base }, rest.slice(1), text);
  if (rest === '') return { secretId: base };
  if (!rest.startsWith(':')) throw new TypeError(`Malformed secret ARN reference "${text}".`);
  // ECS: name:json-key:version-stage:version-id, each part optional but in that order.
  const [key = '', versionStage = '', versionId = '', ...extra] = rest.slice(1).split(':');
  if (extra.length > 0) throw new TypeError(`Malformed secret ARN reference "${text}": too many ':' parts.`);
  return {
    secretId: base,
    ...(key !== '' && { key }),
    ...(versionStage !== '' && { versionStage }),
    ...(versionId !== '' && { versionId }),
  };
}

/**
 * A reference where a secret is expected anyway (a `secrets` mapping, `coffer exec -s`): the forms above, or
 * a bare `<name>[#key]` such as `prod/db#password`. Throws a TypeError when it is none of them.
 */
export function toSecretReference(text: string): SecretReference {
  const parsed = parseSecretReference(text) ?? parseSecretReference(`${ASM}${text}`);
  if (parsed === undefined) throw new TypeError(`Invalid secret reference "${text}".`);
  return parsed;
}

function parseAsm(text: string): SecretReference {
  const body = text.slice(ASM.length);
  const hash = body.indexOf('#');
  const beforeKey = hash < 0 ? body : body.slice(0, hash);
  const question = beforeKey.indexOf('?');
  const secretId = decodeURIComponent(question < 0 ? beforeKey : beforeKey.slice(0, question));
  if (secretId === '')
    throw new TypeError(`Secret reference "${text}" names no secret: use asm://<name or ARN>[#key].`);
  const reference: { -readonly [K in keyof SecretReference]: SecretReference[K] } = { secretId };
  if (question >= 0) {
    for (const [name, value] of new URLSearchParams(beforeKey.slice(question + 1))) {
      if (name === 'stage' || name === 'versionStage') reference.versionStage = value;
      else if (name === 'version' || name === 'versionId') reference.versionId = value;
      else
        throw new TypeError(
          `Secret reference "${text}" has an unknown option "${name}": use stage= or version=.`,
        );
    }
  }
  return hash < 0 ? reference : withKey(reference, body.slice(hash + 1), text);
}

function withKey(reference: SecretReference, key: string, text: string): SecretReference {
  if (key === '') throw new TypeError(`Secret reference "${text}" has an empty key after '#'.`);
  return { ...reference, key: decodeURIComponent(key) };
}

/** `secret prod/db#password (AWSPREVIOUS)`, for messages: names, never values. */
export function describeSecretReference(reference: SecretReference): string {
  const version =
    reference.versionId !== undefined
      ? ` version ${reference.versionId}`
      : reference.versionStage !== undefined
        ? ` (${reference.versionStage})`
        : '';
  return `secret ${reference.secretId}${reference.key === undefined ? '' : `#${reference.key}`}${version}`;
}

/** References that read the same secret version (whatever key they pick) share this key. */
export const versionKey = (reference: SecretReference): string =>
  `${reference.secretId}\n${reference.versionStage ?? ''}\n${reference.versionId ?? ''}`;
