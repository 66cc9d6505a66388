import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A recognisable secret value; no error message may ever contain it. */
const MARKER = 'S3CRET-MARKER-d41d8cd98f00';
const oversized = (): string => MARKER + 'x'.repeat(65_537 - MARKER.length);
const FORMAT = /^[1-9]\d* validation errors? detected: Value/;

describe('validation errors', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  describe('message format', () => {
    it('a missing required member is "Value null ... Member must not be null"', async () => {
      const error = await errorOf(() => client.send(new GetSecretValueCommand({} as { SecretId: string })));
      expect(error.name).toBe('ValidationException');
      expect(error.$metadata?.httpStatusCode).toBe(400);
      expect(error.message).toBe(
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
      );
    });

    it('reports every violation in one message, counted and joined with "; "', async () => {
      const name = 'n'.repeat(513);
      const description = 'd'.repeat(2049);
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: name, Description: description })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        `2 validation errors detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 512; ` +
          `Value '${description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048`,
      );
    });

    it('a SecretId longer than 2048 characters', async () => {
      const id = 'i'.repeat(2049);
      const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: id })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        `1 validation error detected: Value '${id}' at 'secretId' failed to satisfy constraint: Member must have length less than or equal to 2048`,
      );
    });

    it('an empty SecretId', async () => {
      const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: '' })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value '' at 'secretId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    });

    it('an invalid secret name in SecretId uses the AWS name message', async () => {
      for (const SecretId of ['with space', 'star*', 'semi;colon']) {
        const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId })));
        expect(error.name).toBe('ValidationException');
        expect(error.message).toBe(
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
    });

    it('a member of the wrong JSON type is a SerializationException', async () => {
      const error = await errorOf(() =>
        client.send(
          new DeleteSecretCommand({ SecretId: 'x', RecoveryWindowInDays: 'seven' as unknown as number }),
        ),
      );
      expect(error.name).toBe('SerializationException');
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });
  });

  describe('SecretString is never echoed', () => {
    const assertHidden = (error: Error) => {
      expect(error.message).not.toContain(MARKER);
      expect(JSON.stringify(error)).not.toContain(MARKER);
    };

    it('in an over-long SecretString violation, alongside other violations', async () => {
      const name = 'v'.repeat(513);
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: name, SecretString: oversized() })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(/^2 validation errors detected: /);
      expect(error.message).toContain(
        "Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536",
      );
      assertHidden(error);
    });

    it('in PutSecretValue and UpdateSecret violations', async () => {
      await client.send(new CreateSecretCommand({ Name: 'hide/limits' }));
      for (const call of [
        () => client.send(new PutSecretValueCommand({ SecretId: 'hide/limits', SecretString: oversized() })),
        () => client.send(new UpdateSecretCommand({ SecretId: 'hide/limits', SecretString: oversized() })),
        () =>
          client.send(
            new PutSecretValueCommand({
              SecretId: 'hide/limits',
              SecretString: MARKER,
              VersionStages: Array.from({ length: 21 }, (_, i) => `l${i}`),
            }),
          ),
        () =>
          client.send(
            new PutSecretValueCommand({
              SecretId: 'hide/limits',
              SecretString: MARKER,
              ClientRequestToken: 'short',
            }),
          ),
      ]) {
        const error = await errorOf(call);
        expect(error.name).toBe('ValidationException');
        expect(error.message).toMatch(FORMAT);
        assertHidden(error);
      }
    });

    it('in a RotationToken violation (also sensitive)', async () => {
      await client.send(new CreateSecretCommand({ Name: 'hide/rotation-token' }));
      const error = await errorOf(() =>
        client.send(
          new PutSecretValueCommand({
            SecretId: 'hide/rotation-token',
            SecretString: 'x',
            RotationToken: MARKER,
          }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value at 'rotationToken' failed to satisfy constraint: Member must have length greater than or equal to 36",
      );
    });

    it('in service errors that carry a value in the request', async () => {
      const token = 'hide-token-000000000000000000000000000001';
      await client.send(
        new CreateSecretCommand({ Name: 'hide/service', SecretString: 'first', ClientRequestToken: token }),
      );
      await client.send(new CreateSecretCommand({ Name: 'hide/scheduled' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'hide/scheduled' }));
      const calls: Array<[string, () => Promise<unknown>]> = [
        [
          'ResourceExistsException',
          () => client.send(new CreateSecretCommand({ Name: 'hide/service', SecretString: MARKER })),
        ],
        [
          'ResourceExistsException',
          () =>
            client.send(
              new PutSecretValueCommand({
                SecretId: 'hide/service',
                SecretString: MARKER,
                ClientRequestToken: token,
              }),
            ),
        ],
        [
          'ValidationException',
          () => client.send(new CreateSecretCommand({ Name: 'bad name', SecretString: MARKER })),
        ],
        [
          'InvalidParameterException',
          () =>
            client.send(
              new CreateSecretCommand({
                Name: 'hide/both',
                SecretString: MARKER,
                SecretBinary: new Uint8Array([1]),
              }),
            ),
        ],
        [
          'ResourceNotFoundException',
          () => client.send(new PutSecretValueCommand({ SecretId: 'hide/missing', SecretString: MARKER })),
        ],
        [
          'InvalidRequestException',
          () => client.send(new UpdateSecretCommand({ SecretId: 'hide/scheduled', SecretString: MARKER })),
        ],
        [
          'SerializationException',
          () =>
            client.send(
              new PutSecretValueCommand({
                SecretId: 'hide/service',
                SecretString: [MARKER] as unknown as string,
              }),
            ),
        ],
      ];
      for (const [name, call] of calls) {
        const error = await errorOf(call);
        expect(error.name).toBe(name);
        assertHidden(error);
      }
    });

    it('nor in the audit log', async () => {
      await client.send(new CreateSecretCommand({ Name: 'hide/audit', SecretString: MARKER }));
      await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: 'hide/audit', SecretString: oversized() })),
      );
      const entries = JSON.stringify(server.audit.recent());
      expect(entries).toContain('CreateSecret');
      expect(entries).not.toContain(MARKER);
    });
  });
});
