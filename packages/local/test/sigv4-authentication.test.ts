import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { HttpRequest } from '@smithy/protocol-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, signRequest, unsignedCall } from './signing.js';

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const AMZ_DATE = String.raw`\d{8}T\d{6}Z`;

describe('SigV4 authentication', () => {
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startTestServer();
    await clientFor(server).send(new CreateSecretCommand({ Name: 'auth/secret', SecretString: 'value' }));
  });
  afterAll(() => server.close());

  it('accepts the admin credential through the SDK', async () => {
    const got = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'auth/secret' }));
    expect(got.SecretString).toBe('value');
  });

  it('accepts a raw request signed with the SDK signer (the raw helper is sound)', async () => {
    const response = await send(
      await signRequest(server, { operation: 'GetSecretValue', body: '{"SecretId":"auth/secret"}' }),
    );
    expect(response.status).toBe(200);
    expect(response.json?.SecretString).toBe('value');
  });

  it('verifies whatever the SDK signer signs: odd paths and queries, header whitespace, unicode bodies', async () => {
    const cases = [
      { path: '/a%20b/./c/../d/', operation: 'ListSecrets', body: '{}' },
      { path: '/?b=2&a=1&a=0&c=%20x&d=', operation: 'ListSecrets', body: '{}' },
      {
        operation: 'ListSecrets',
        body: '{}',
        headers: { 'x-custom': '  spaced   out\tvalue ', 'user-agent': 'signed/1.0' },
      },
      {
        operation: 'CreateSecret',
        body: JSON.stringify({
          Name: 'auth/unicode',
          SecretString: 'pässwörd ✓ 🔑',
          ClientRequestToken: '0e2a2f4e-5a44-4f0c-9d5e-7f1b2c3d4e5f',
        }),
      },
      { operation: 'ListSecrets', body: '{}', headers: { 'x-amz-content-sha256': 'to be replaced' } },
    ];
    for (const request of cases) {
      const withHash = request.headers?.['x-amz-content-sha256']
        ? {
            ...request,
            headers: {
              'x-amz-content-sha256': createHash('sha256').update(request.body).digest('hex'),
            },
          }
        : request;
      const response = await send(await signRequest(server, withHash));
      expect(response.status, `${JSON.stringify(request)} ${response.text}`).toBe(200);
    }
    // The same whitespace collapsed differently is another canonical header: refused.
    const signed = await signRequest(server, {
      operation: 'ListSecrets',
      body: '{}',
      headers: { 'x-custom': 'a b' },
    });
    const changed = await send({ ...signed, headers: { ...signed.headers, 'x-custom': 'ab' } });
    expect(changed.json?.__type).toMatch(/InvalidSignatureException$/);
  });

  it('refuses an X-Amz-Date that is no real date, which would be signed as another day', async () => {
    const signed = await signRequest(server, { operation: 'ListSecrets', body: '{}' });
    const date = signed.headers['x-amz-date'] ?? '';
    const impossible = `${date.slice(0, 4)}0231${date.slice(8)}`;
    const response = await send({ ...signed, headers: { ...signed.headers, 'x-amz-date': impossible } });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/IncompleteSignatureException$/);
  });

  it('refuses a wrong secret access key with InvalidSignatureException', async () => {
    const client = clientFor(server, {
      credentials: {
        accessKeyId: server.credentials.accessKeyId,
        secretAccessKey: `${server.credentials.secretAccessKey}x`,
      },
    });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' })));
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toBe(MISMATCH);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const client = clientFor(server, {
      credentials: {
        accessKeyId: 'AKIAUNKNOWNUNKNOWN00',
        secretAccessKey: server.credentials.secretAccessKey,
      },
    });
    const error = await errorOf(() => client.send(new ListSecretsCommand({})));
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.message).toBe('The security token included in the request is invalid.');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('refuses a body changed after signing', async () => {
    const signed = await signRequest(server, {
      operation: 'GetSecretValue',
      body: '{"SecretId":"auth/secret"}',
    });
    // Same length, so only the signature can tell.
    const tampered = { ...signed, body: Buffer.from('{"SecretId":"auth/secreT"}', 'utf8') };
    expect(tampered.body.length).toBe(signed.body.length);
    const response = await send(tampered);
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/InvalidSignatureException$/);
    expect(response.json?.message).toBe(MISMATCH);
    expect(response.text).not.toContain('value');
  });

  it('refuses a body changed after signing even when x-amz-content-sha256 was signed', async () => {
    const original = '{"SecretId":"auth/secret"}';
    const { createHash } = await import('node:crypto');
    const signed = await signRequest(server, {
      operation: 'GetSecretValue',
      headers: { 'x-amz-content-sha256': createHash('sha256').update(original).digest('hex') },
      body: original,
    });
    const response = await send({ ...signed, body: Buffer.from('{"SecretId":"auth/other!"}', 'utf8') });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/InvalidSignatureException$/);
  });

  it('refuses a changed signed header (X-Amz-Target)', async () => {
    const signed = await signRequest(server, {
      operation: 'DescribeSecret',
      body: '{"SecretId":"auth/secret"}',
    });
    const response = await send({
      ...signed,
      headers: { ...signed.headers, 'x-amz-target': 'secretsmanager.GetSecretValue' },
    });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/InvalidSignatureException$/);
  });

  it('refuses a request signed more than five minutes ago (Signature expired)', async () => {
    const client = clientFor(server, { config: { systemClockOffset: -10 * 60_000 } });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' })));
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toMatch(
      new RegExp(
        `^Signature expired: ${AMZ_DATE} is now earlier than ${AMZ_DATE} \\(${AMZ_DATE} - 5 min\\.\\)$`,
      ),
    );
  });

  it('refuses a request signed more than five minutes ahead (Signature not yet current)', async () => {
    const client = clientFor(server, { config: { systemClockOffset: 10 * 60_000 } });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' })));
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toMatch(
      new RegExp(
        `^Signature not yet current: ${AMZ_DATE} is still later than ${AMZ_DATE} \\(${AMZ_DATE} \\+ 5 min\\.\\)$`,
      ),
    );
  });

  it('accepts a request within the five-minute window', async () => {
    const client = clientFor(server, { config: { systemClockOffset: -2 * 60_000 } });
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' }));
    expect(got.SecretString).toBe('value');
  });

  it('refuses a credential scoped to something that is no AWS region', async () => {
    const client = clientFor(server, { region: 'moon-base-1' });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' })));
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toBe('Credential should be scoped to a valid region. ');
  });

  it.each([
    ['x-amz-target', 'X-Amz-Target'],
    ['x-amz-date', 'X-Amz-Date'],
    ['content-type', 'Content-Type'],
  ])('refuses a request whose %s is sent but not signed (it could be swapped)', async (header, shown) => {
    const request = { operation: 'GetSecretValue', body: '{"SecretId":"auth/secret"}' };
    expect((await send(await signRequest(server, request))).status).toBe(200);
    const unsigned = await signRequest(server, request, { unsigned: [header] });
    expect(unsigned.headers.authorization).not.toContain(header);
    const response = await send(unsigned);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.service#InvalidSignatureException',
      message: `'${shown}' must be a 'SignedHeader' in the AWS Authorization.`,
    });
  });

  it('cannot be made to run another operation by swapping an unsigned X-Amz-Target', async () => {
    const signed = await signRequest(
      server,
      { operation: 'DescribeSecret', body: '{"SecretId":"auth/secret"}' },
      { unsigned: ['x-amz-target'] },
    );
    const swapped = await send({
      ...signed,
      headers: { ...signed.headers, 'x-amz-target': 'secretsmanager.DeleteSecret' },
    });
    expect(swapped.status).toBe(400);
    expect(swapped.json?.__type).toMatch(/InvalidSignatureException$/);
  });

  it('refuses a credential scoped to another service', async () => {
    const signed = await signRequest(server, { operation: 'ListSecrets', body: '{}' });
    const scoped = signed.headers.authorization?.replace('/secretsmanager/', '/kms/') ?? '';
    const response = await send({ ...signed, headers: { ...signed.headers, authorization: scoped } });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/InvalidSignatureException$/);
    expect(response.json?.message).toBe("Credential should be scoped to correct service: 'secretsmanager'. ");
  });

  it('refuses a request without an Authorization header (MissingAuthenticationTokenException)', async () => {
    const response = await unsignedCall(server, {
      operation: 'GetSecretValue',
      body: '{"SecretId":"auth/secret"}',
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  it('surfaces a missing Authorization header as the SDK exception MissingAuthenticationTokenException', async () => {
    const client = clientFor(server);
    type Middleware = Parameters<typeof client.middlewareStack.addRelativeTo>[0];
    type Args = { request: unknown };
    const stripAuthorization = ((next: (args: Args) => Promise<unknown>) => async (args: Args) => {
      if (HttpRequest.isInstance(args.request)) delete args.request.headers.authorization;
      return next(args);
    }) as unknown as Middleware;
    client.middlewareStack.addRelativeTo(stripAuthorization, {
      relation: 'after',
      toMiddleware: 'httpSigningMiddleware',
      name: 'stripAuthorization',
    });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'auth/secret' })));
    expect(error.name).toBe('MissingAuthenticationTokenException');
    expect(error.message).toBe('Request is missing Authentication Token');
  });

  it('refuses a malformed Authorization header (IncompleteSignatureException)', async () => {
    const signed = await signRequest(server, { operation: 'ListSecrets', body: '{}' });
    const response = await send({ ...signed, headers: { ...signed.headers, authorization: 'Bearer abc' } });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/IncompleteSignatureException$/);
  });

  it('refuses a signature that does not list host among the signed headers', async () => {
    const signed = await signRequest(server, { operation: 'ListSecrets', body: '{}' });
    const authorization = (signed.headers.authorization ?? '').replace(
      /SignedHeaders=[^,]+/,
      'SignedHeaders=x-amz-date',
    );
    const response = await send({ ...signed, headers: { ...signed.headers, authorization } });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/InvalidSignatureException$/);
  });

  it('treats signed header names that are Object.prototype keys as ordinary absent headers', async () => {
    for (const name of ['constructor', '__proto__', 'tostring', 'hasownproperty']) {
      const signed = await signRequest(server, { operation: 'ListSecrets', body: '{}' });
      const authorization = (signed.headers.authorization ?? '').replace(
        /SignedHeaders=([^,]+)/,
        `SignedHeaders=$1;${name}`,
      );
      const response = await send({ ...signed, headers: { ...signed.headers, authorization } });
      expect(response.status, name).toBe(400);
      expect(response.json?.__type, name).toMatch(/InvalidSignatureException$/);
    }
  });

  it('does not let a removed credential sign any more', async () => {
    const extra = server.addCredential({ userName: 'short-lived' });
    const client = clientFor(server, { credentials: extra });
    await client.send(new ListSecretsCommand({}));
    expect(server.removeCredential('short-lived')).toBe(true);
    const error = await errorOf(() => client.send(new ListSecretsCommand({})));
    expect(error.name).toBe('UnrecognizedClientException');
  });
});
