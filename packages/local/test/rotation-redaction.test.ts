import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AuditEntry, LocalSecretsManager } from '@coffer/local';
import { canary, clientFor, lambdaArn, startTestServer, writeFakeFunction } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A rotation function is code the server does not control: its errors and its output may quote the secret in
 * any form. The audit log, the rotation's outcome and the output `coffer serve` passes on must hold none of
 * them, while still naming the user, host, port and database an operator needs to act.
 */
describe('rotation errors and output are masked, and only what is secret', () => {
  let dir: string;
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  const output: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-rotation-redaction-'));
    server = await startTestServer({
      rotationStepTimeoutMs: 15_000,
      onRotationOutput: (line) => output.push(line),
    });
    client = clientFor(server);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Rotates a database secret with a function that fails in setSecret with `message`, printing `lines`. */
  async function rotateLeaking(secret: Record<string, unknown>, message: string, lines: string[] = []) {
    const name = `leaky-${++counter}`;
    const apiDir = join(dir, name);
    mkdirSync(apiDir);
    const file = writeFakeFunction(dir, name, {
      log: join(apiDir, 'calls.log'),
      apiDir,
      leakStep: 'setSecret',
      leakValue: '{}',
      leakMessage: message,
      printLines: lines,
    });
    server.registerRotationFunction(lambdaArn(name), file);
    const created = await client.send(
      new CreateSecretCommand({ Name: `redaction/${name}`, SecretString: JSON.stringify(secret) }),
    );
    await client.send(new RotateSecretCommand({ SecretId: created.ARN, RotationLambdaARN: lambdaArn(name) }));
    const outcome = await server.waitForRotation(created.ARN as string, { timeoutMs: 60_000 });
    const audit = server.audit
      .recent()
      .filter((e: AuditEntry) => e.operation === 'RotationStep' && e.secretArn === created.ARN);
    return { outcome, audit: JSON.stringify(audit), error: outcome?.error ?? '' };
  }

  it('masks the password raw, URL-encoded, in base64, in hex and cut short, but names user, host, port, database', async () => {
    const password = `p/w@ ${canary()}`;
    const secret = {
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      username: 'app_user',
      password,
      dbname: 'orders',
    };
    const message = [
      `Could not connect to PostgreSQL as user "app_user" at db.internal:5432/orders: password authentication failed`,
      `url postgres://app_user:${encodeURIComponent(password)}@db.internal:5432/orders`,
      `header Basic ${Buffer.from(`app_user:${password}`).toString('base64')}`,
      `hex ${Buffer.from(password).toString('hex')}`,
      `raw ${password}`,
    ].join(' | ');
    // The runner keeps 497 characters of an error line ("Error: " + message) and adds "...": pad the message
    // so that the cut falls 10 characters into a last quote of the password.
    const lead = `${message} | cut `;
    const padded = `${lead}${'z'.repeat(497 - 'Error: '.length - lead.length - 10)}`;
    const { outcome, audit, error } = await rotateLeaking(secret, `${padded}${password}${'x'.repeat(600)}`);
    expect(error.endsWith('*****...')).toBe(true);
    expect(outcome).toMatchObject({ outcome: 'error', failedStep: 'setSecret' });
    expect(error).toContain('as user "app_user" at db.internal:5432/orders: password authentication failed');
    for (const text of [error, audit]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
      expect(text).not.toContain(Buffer.from(password).toString('hex'));
      expect(text).not.toContain(password.slice(5, 25));
      expect(text).not.toContain(Buffer.from(`app_user:${password}`).toString('base64').slice(12, 30));
    }
  });

  it("masks the function's own output, a short password as a whole token, and a value split across writes", async () => {
    const password = `output-${canary()}`;
    const short = 'x7q';
    const before = output.length;
    const { outcome } = await rotateLeaking(
      { username: 'svc', password, pin: short },
      `pin ${short} refused`,
      [
        `connecting with ${password}\n`,
        `JSON {"password":${JSON.stringify(password).slice(0, 10)}`,
        `${JSON.stringify(password).slice(10)}}\n`,
        `pin=${short}; xx7qy stays\n`,
      ],
    );
    expect(outcome?.error).toBe('Error: pin ***** refused');
    const printed = output.slice(before).join('\n');
    expect(printed).toContain('connecting with *****');
    expect(printed).toContain('pin=*****; xx7qy stays');
    expect(printed).toContain('JSON {"password":"*****"}');
    expect(printed).not.toContain(password);
    expect(readFileSync(join(dir, `leaky-${counter}`, 'calls.log'), 'utf8')).toContain('setSecret');
  });
});
