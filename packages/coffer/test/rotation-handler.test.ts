import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { captureLogger, clientFor, createSecret, startProxy, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerUnavailableError } from '../src/index.js';
import { createRotationHandler, custom, RotationError } from '../src/rotation/index.js';

describe('createRotationHandler', () => {
  let server: LocalSecretsManager;
  let sm: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    sm = clientFor(server);
  });
  afterAll(() => server.close());

  /** A secret with a pending version staged as RotateSecret would leave it, and a rotator whose set quotes it. */
  async function setup(name: string) {
    const pending = `canary-${randomUUID()}`;
    const token = randomUUID();
    await createSecret(sm, { Name: name, SecretString: 'current-value' });
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: token,
        SecretString: pending,
        VersionStages: ['AWSPENDING'],
      }),
    );
    const rotator = custom({
      generate: async () => 'unused',
      set: async (value) => {
        throw new Error(`the API refused key ${value.reveal()}`);
      },
      test: async () => {},
    });
    return {
      pending,
      token,
      rotator,
      event: { SecretId: name, ClientRequestToken: token, Step: 'setSecret' },
    };
  }

  it("replaces a rotator's own error, which may quote a value, by a RotationError naming only its class", async () => {
    const { pending, rotator, event } = await setup('handler/quoting');
    const logger = captureLogger();
    const error = await createRotationHandler({ rotator, client: sm, logger })(event).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).step).toBe('setSecret');
    expect((error as Error).message).toMatch(/setSecret failed: Error \(message withheld\)/);
    for (const text of [
      (error as Error).message,
      inspect(error, { depth: 5 }),
      (error as Error).stack ?? '',
      JSON.stringify(logger.calls),
    ]) {
      expect(text).not.toContain(pending);
    }
  });

  it('rethrows the original error with exposeErrorMessages, for debugging', async () => {
    const { pending, rotator, event } = await setup('handler/exposed');
    const error = await createRotationHandler({ rotator, client: sm, logger: {}, exposeErrorMessages: true })(
      event,
    ).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RotationError);
    expect((error as Error).message).toContain(pending);
  });

  it("ends the step's calls to Secrets Manager just before Lambda's deadline, with a clear error", async () => {
    const { event } = await setup('handler/deadline');
    const proxy = await startProxy(server.endpoint);
    try {
      proxy.mode = 'hold'; // Secrets Manager accepts the connection and never answers
      const handler = createRotationHandler({
        rotator: custom({ generate: async () => 'x', set: async () => {}, test: async () => {} }),
        client: clientFor(server, { endpoint: proxy.endpoint }),
        logger: {},
      });
      // Lambda gives 1.3 s; the handler keeps its 1 s margin, so the calls end after about 0.3 s.
      const error = await handler(event, { getRemainingTimeInMillis: () => 1300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretsManagerUnavailableError);
      expect((error as Error).message).toMatch(/did not answer DescribeSecret/);
    } finally {
      await proxy.close();
    }
  });
});
