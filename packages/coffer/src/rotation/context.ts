import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretNotFoundError } from '../errors.js';
import { type CofferLogger, silentLogger } from '../logger.js';
import { type ApiCallObserver, type ApiOptions, getSecretValue } from '../sdk/secrets-manager.js';
import { putSecretValue, randomPassword } from '../sdk/write-calls.js';
import { Secret } from '../secret/secret.js';
import { type AwsStage, CURRENT, PENDING, PREVIOUS } from '../stages.js';
import { rotationError } from './errors.js';

export { CURRENT, PENDING, PREVIOUS };

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
export const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/** The event Secrets Manager sends a rotation function. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: string;
  /** Sent by Secrets Manager for rotations started since 2024; passed back on PutSecretValue. */
  RotationToken?: string;
}

/** Options for the new passwords rotators generate, passed to GetRandomPassword. */
export interface PasswordOptions {
  /** @default 32 */
  length?: number;
  /** @default the characters AWS's templates exclude: / @ " ' \ */
  excludeCharacters?: string;
  excludePunctuation?: boolean;
}

/** AWS's rotation templates exclude these, as they break connection strings and shells. */
export const DEFAULT_EXCLUDED_CHARACTERS = '/@"\'\\';

export interface RotationContextOptions {
  /** The secret being rotated, as the event named it. */
  secretId: string;
  /** The event's ClientRequestToken: the version id of the pending secret. */
  token: string;
  step: RotationStep;
  client: SecretsManagerClient;
  /** @default silent */
  logger?: CofferLogger | undefined;
  /** The event's RotationToken, passed back on PutSecretValue. */
  rotationToken?: string | undefined;
  /** Ends every call to Secrets Manager the step makes (e.g. before the Lambda's own timeout). */
  signal?: AbortSignal | undefined;
  /** Called after every call to Secrets Manager, for metrics. */
  observe?: ApiCallObserver | undefined;
}

/** What each step of a rotator gets: the secret, the pending version's token, and safe ways to read and write. */
export class RotationContext {
  readonly secretId: string;
  /** The ClientRequestToken: the version id of the pending secret. */
  readonly token: string;
  readonly step: RotationStep;
  readonly client: SecretsManagerClient;
  readonly logger: CofferLogger;
  /** Aborts the step's calls to Secrets Manager; rotators pass it on to their own waits where they can. */
  readonly signal: AbortSignal | undefined;
  readonly #rotationToken: string | undefined;
  readonly #api: ApiOptions;

  constructor(options: RotationContextOptions) {
    this.secretId = options.secretId;
    this.token = options.token;
    this.step = options.step;
    this.client = options.client;
    this.logger = options.logger ?? silentLogger;
    this.signal = options.signal;
    this.#rotationToken = options.rotationToken;
    this.#api = { signal: options.signal, observe: options.observe };
  }

  /**
   * A version's value by stage (the pending one by its token); undefined when it has none yet. `secretId`
   * reads another secret (e.g. the master secret of alternating users) instead of the one being rotated.
   */
  async read(stage: AwsStage, options: { secretId?: string } = {}): Promise<Secret<string> | undefined> {
    const secretId = options.secretId ?? this.secretId;
    try {
      const raw = await getSecretValue(
        this.client,
        secretId,
        {
          versionStage: stage,
          ...(stage === PENDING && secretId === this.secretId && { versionId: this.token }),
        },
        this.#api,
      );
      if (raw.string !== undefined) return new Secret(raw.string);
      if (raw.binary !== undefined) return new Secret(new TextDecoder().decode(raw.binary));
      return undefined;
    } catch (error) {
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    }
  }

  /** A version's value parsed as a JSON object (database credentials and the like). */
  async readJson<T extends Record<string, unknown> = Record<string, unknown>>(
    stage: AwsStage,
    options: { secretId?: string } = {},
  ): Promise<Secret<T> | undefined> {
    const text = await this.read(stage, options);
    if (text === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(text.reveal());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return new Secret(parsed as T);
    } catch {
      throw rotationError(
        this,
        `The ${stage} version of secret ${options.secretId ?? this.secretId} is not a JSON object.`,
      );
    }
  }

  /** Stores the pending value under the token, labelled AWSPENDING; repeating it with the same value is a no-op. */
  async writePending(value: string | Record<string, unknown>): Promise<void> {
    await putSecretValue(
      this.client,
      {
        secretId: this.secretId,
        clientRequestToken: this.token,
        secretString: typeof value === 'string' ? value : JSON.stringify(value),
        versionStages: [PENDING],
        rotationToken: this.#rotationToken,
      },
      this.#api,
    );
  }

  /** A new password from Secrets Manager's GetRandomPassword. */
  async randomPassword(options: PasswordOptions = {}): Promise<Secret<string>> {
    const password = await randomPassword(
      this.client,
      {
        length: options.length ?? 32,
        excludeCharacters: options.excludeCharacters ?? DEFAULT_EXCLUDED_CHARACTERS,
        excludePunctuation: options.excludePunctuation,
      },
      this.#api,
    );
    if (password === undefined) {
      throw rotationError(this, 'GetRandomPassword returned no password.');
    }
    return new Secret(password);
  }
}
