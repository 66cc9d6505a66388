import {
  GetRandomPasswordCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type ApiOptions, sendOptions, timed } from './secrets-manager.js';

// The calls only rotation makes: writes, and a random password.

/** Stores a new version; repeating it with the same token and value is a no-op on Secrets Manager's side. */
export function putSecretValue(
  client: SecretsManagerClient,
  input: {
    secretId: string;
    clientRequestToken: string;
    secretString: string;
    versionStages: string[];
    rotationToken?: string | undefined;
  },
  options: ApiOptions = {},
): Promise<void> {
  return timed('PutSecretValue', input.secretId, options, async () => {
    await client.send(
      new PutSecretValueCommand({
        SecretId: input.secretId,
        ClientRequestToken: input.clientRequestToken,
        SecretString: input.secretString,
        VersionStages: input.versionStages,
        ...(input.rotationToken !== undefined && { RotationToken: input.rotationToken }),
      }),
      sendOptions(options),
    );
  });
}

/** Moves a staging label to a version (and off another). */
export function moveVersionStage(
  client: SecretsManagerClient,
  input: { secretId: string; stage: string; toVersionId: string; fromVersionId?: string | undefined },
  options: ApiOptions = {},
): Promise<void> {
  return timed('UpdateSecretVersionStage', input.secretId, options, async () => {
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: input.secretId,
        VersionStage: input.stage,
        MoveToVersionId: input.toVersionId,
        ...(input.fromVersionId !== undefined && { RemoveFromVersionId: input.fromVersionId }),
      }),
      sendOptions(options),
    );
  });
}

/** A random password from GetRandomPassword; undefined if Secrets Manager sent none. */
export function randomPassword(
  client: SecretsManagerClient,
  input: { length: number; excludeCharacters: string; excludePunctuation?: boolean | undefined },
  options: ApiOptions = {},
): Promise<string | undefined> {
  return timed('GetRandomPassword', undefined, options, async () => {
    const response = await client.send(
      new GetRandomPasswordCommand({
        PasswordLength: input.length,
        ExcludeCharacters: input.excludeCharacters,
        ...(input.excludePunctuation !== undefined && { ExcludePunctuation: input.excludePunctuation }),
      }),
      sendOptions(options),
    );
    return response.RandomPassword;
  });
}
