import {
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mapSdkError } from '../client/map-error.js';
import { SecretNotFoundError } from '../errors.js';
import type { CofferLogger } from '../logger.js';
import { Secret } from '../secret.js';
import { RotationError } from './errors.js';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

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

/** What each step of a rotator gets: the secret, the pending version's token, and safe ways to read and write. */
export class RotationContext {
  constructor(
    readonly secretId: string,
    /** The ClientRequestToken: the version id of the pending secret. */
    readonly token: string,
    readonly step: RotationStep,
    readonly client: SecretsManagerClient,
    readonly logger: CofferLogger,
    private readonly rotationToken: string | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return call().catch((error: unknown) => {
      throw mapSdkError(error, this.secretId, operation);
    });
  }

  /** A version's value by stage (the pending one by its token); undefined when it has none yet. */
  async read(stage: typeof CURRENT | typeof PENDING | typeof PREVIOUS): Promise<Secret<string> | undefined> {
    try {
      const response = await this.send('GetSecretValue', () =>
        this.client.send(
          new GetSecretValueCommand({
            SecretId: this.secretId,
            VersionStage: stage,
            ...(stage === PENDING && { VersionId: this.token }),
          }),
          this.signal === undefined ? {} : { abortSignal: this.signal },
        ),
      );
      if (response.SecretString !== undefined) return new Secret(response.SecretString);
      if (response.SecretBinary !== undefined)
        return new Secret(new TextDecoder().decode(response.SecretBinary));
      return undefined;
    } catch (error) {
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    }
  }

  /** A version's value parsed as a JSON object (database credentials and the like). */
  async readJson<T extends Record<string, unknown> = Record<string, unknown>>(
    stage: typeof CURRENT | typeof PENDING | typeof PREVIOUS,
  ): Promise<Secret<T> | undefined> {
    const text = await this.read(stage);
    if (text === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(text.reveal());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return new Secret(parsed as T);
    } catch {
      throw new RotationError(`The ${stage} version of secret ${this.secretId} is not a JSON object.`, {
        secretId: this.secretId,
        step: this.step,
      });
    }
  }

  /** Stores the pending value under the token, labelled AWSPENDING; repeating it with the same value is a no-op. */
  async writePending(value: string | Record<string, unknown>): Promise<void> {
    await this.send('PutSecretValue', () =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          ClientRequestToken: this.token,
          SecretString: typeof value === 'string' ? value : JSON.stringify(value),
          VersionStages: [PENDING],
          ...(this.rotationToken !== undefined && { RotationToken: this.rotationToken }),
        }),
        this.signal === undefined ? {} : { abortSignal: this.signal },
      ),
    );
  }

  /** A new password from Secrets Manager's GetRandomPassword. */
  async randomPassword(options: PasswordOptions = {}): Promise<Secret<string>> {
    const response = await this.send('GetRandomPassword', () =>
      this.client.send(
        new GetRandomPasswordCommand({
          PasswordLength: options.length ?? 32,
          ExcludeCharacters: options.excludeCharacters ?? DEFAULT_EXCLUDED_CHARACTERS,
          ...(options.excludePunctuation !== undefined && { ExcludePunctuation: options.excludePunctuation }),
        }),
        this.signal === undefined ? {} : { abortSignal: this.signal },
      ),
    );
    if (response.RandomPassword === undefined) {
      throw new RotationError('GetRandomPassword returned no password.', {
        secretId: this.secretId,
        step: this.step,
      });
    }
    return new Secret(response.RandomPassword);
  }
}
