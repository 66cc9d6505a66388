import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawRequest, type RawResponse, send, signedCall, signRequest, unsignedCall } from './signing.js';

const MAX_BODY = 512 * 1024;
const CANARY = `canary-${randomUUID()}`;
const BINARY_CANARY = Buffer.from(`binary-canary-${randomUUID()}`);

/** mulberry32: a small seeded PRNG, so a failing random case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('malformed requests', () => {
  let server: LocalSecretsManager;
  const internalErrors: unknown[] = [];

  /** Asserts AWS's error shape: a 4xx with a JSON body naming the error, and no secret value echoed. */
  function expectClientError(response: RawResponse, label: string, type?: string | RegExp): void {
    expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
    expect(
      response.json,
      `${label}: body is not a JSON object: ${response.text.slice(0, 200)}`,
    ).toBeDefined();
    const errorType = response.json?.__type;
    expect(typeof errorType, label).toBe('string');
    if (type !== undefined) expect(errorType, label).toMatch(type);
    expect(response.headers.get('content-type'), label).toBe('application/x-amz-json-1.1');
    for (const secret of [CANARY, BINARY_CANARY.toString(), BINARY_CANARY.toString('base64')]) {
      expect(response.text.includes(secret), `${label} echoed a secret value`).toBe(false);
    }
  }

  const call = (operation: string | undefined, body: unknown, extra: Omit<RawRequest, 'body'> = {}) =>
    signedCall(server, {
      ...(operation !== undefined && { operation }),
      ...extra,
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startTestServer({ onInternalError: (error) => internalErrors.push(error) });
    const client = clientFor(server);
    await client.send(new CreateSecretCommand({ Name: 'fuzz/canary', SecretString: CANARY }));
    await client.send(new CreateSecretCommand({ Name: 'fuzz/binary', SecretBinary: BINARY_CANARY }));
  });
  afterAll(() => server.close());

  it('refuses bodies that are not JSON with SerializationException', async () => {
    const bodies = [
      '{',
      '{"SecretId":',
      '{"SecretId":"fuzz/canary"',
      'nul',
      '{"a":1}}',
      "{'SecretId':'x'}",
      '\u0000',
      '{"SecretId":"fuzz/canary",}',
      '\uFEFF{}',
      '{"SecretId":"\\x"}',
    ];
    for (const body of bodies) {
      expectClientError(await call('GetSecretValue', body), JSON.stringify(body), 'SerializationException');
    }
  });

  it('refuses JSON that is not an object with SerializationException', async () => {
    for (const body of [
      '[]',
      '[{"SecretId":"fuzz/canary"}]',
      '42',
      '-1e999',
      '"fuzz/canary"',
      'true',
      'null',
    ]) {
      for (const operation of ['GetSecretValue', 'ListSecrets', 'CreateSecret']) {
        expectClientError(await call(operation, body), `${operation} ${body}`, 'SerializationException');
      }
    }
  });

  it('refuses a wrong JSON type in every field of several operations', async () => {
    type Kind = 'string' | 'integer' | 'boolean' | 'blob' | 'stringList' | 'objectList';
    const wrong: Record<Kind, unknown[]> = {
      string: [1, 1.5, true, {}, ['x'], { SecretString: CANARY }],
      integer: ['10', 1.5, true, {}, [1]],
      boolean: ['true', 1, {}, [true]],
      blob: [1, true, {}, [1, 2]],
      stringList: ['x', 1, {}, [1], [{}], [['x']], [null]],
      objectList: ['x', 1, {}, [1], ['x'], [[]], [null]],
    };
    const fields: Record<string, Record<string, Kind>> = {
      CreateSecret: {
        Name: 'string',
        ClientRequestToken: 'string',
        Description: 'string',
        KmsKeyId: 'string',
        SecretString: 'string',
        SecretBinary: 'blob',
        Tags: 'objectList',
        ForceOverwriteReplicaSecret: 'boolean',
        AddReplicaRegions: 'objectList',
      },
      GetSecretValue: { SecretId: 'string', VersionId: 'string', VersionStage: 'string' },
      PutSecretValue: {
        SecretId: 'string',
        ClientRequestToken: 'string',
        SecretString: 'string',
        SecretBinary: 'blob',
        VersionStages: 'stringList',
        RotationToken: 'string',
      },
      UpdateSecret: {
        SecretId: 'string',
        ClientRequestToken: 'string',
        Description: 'string',
        KmsKeyId: 'string',
        SecretString: 'string',
        SecretBinary: 'blob',
      },
      DeleteSecret: {
        SecretId: 'string',
        RecoveryWindowInDays: 'integer',
        ForceDeleteWithoutRecovery: 'boolean',
      },
      ListSecrets: {
        MaxResults: 'integer',
        NextToken: 'string',
        Filters: 'objectList',
        IncludePlannedDeletion: 'boolean',
        SortOrder: 'string',
      },
      ListSecretVersionIds: {
        SecretId: 'string',
        MaxResults: 'integer',
        NextToken: 'string',
        IncludeDeprecated: 'boolean',
      },
      BatchGetSecretValue: {
        SecretIdList: 'stringList',
        Filters: 'objectList',
        MaxResults: 'integer',
        NextToken: 'string',
      },
      TagResource: { SecretId: 'string', Tags: 'objectList' },
      UntagResource: { SecretId: 'string', TagKeys: 'stringList' },
      UpdateSecretVersionStage: {
        SecretId: 'string',
        VersionStage: 'string',
        RemoveFromVersionId: 'string',
        MoveToVersionId: 'string',
      },
      PutResourcePolicy: { SecretId: 'string', ResourcePolicy: 'string', BlockPublicPolicy: 'boolean' },
      GetResourcePolicy: { SecretId: 'string' },
      DescribeSecret: { SecretId: 'string' },
      RestoreSecret: { SecretId: 'string' },
      GetRandomPassword: {
        PasswordLength: 'integer',
        ExcludeCharacters: 'string',
        ExcludeNumbers: 'boolean',
        ExcludePunctuation: 'boolean',
        ExcludeUppercase: 'boolean',
        ExcludeLowercase: 'boolean',
        IncludeSpace: 'boolean',
        RequireEachIncludedType: 'boolean',
      },
    };
    // Nested members: a list of objects whose members have the wrong type.
    const nested: Array<[string, Record<string, unknown>]> = [
      ['CreateSecret', { Name: 'fuzz/nested', Tags: [{ Key: 1, Value: 'v' }] }],
      ['CreateSecret', { Name: 'fuzz/nested', Tags: [{ Key: 'k', Value: { x: 1 } }] }],
      ['TagResource', { SecretId: 'fuzz/canary', Tags: [{ Key: ['k'] }] }],
      ['ListSecrets', { Filters: [{ Key: 1, Values: ['x'] }] }],
      ['ListSecrets', { Filters: [{ Key: 'name', Values: 'x' }] }],
      ['ListSecrets', { Filters: [{ Key: 'name', Values: [1] }] }],
      ['BatchGetSecretValue', { Filters: [{ Key: 'name', Values: [{}] }] }],
    ];
    let cases = 0;
    for (const [operation, members] of Object.entries(fields)) {
      for (const [field, kind] of Object.entries(members)) {
        for (const value of wrong[kind]) {
          const label = `${operation}.${field} = ${JSON.stringify(value)}`;
          expectClientError(await call(operation, { [field]: value }), label, 'SerializationException');
          cases++;
        }
      }
    }
    for (const [operation, body] of nested) {
      expectClientError(
        await call(operation, body),
        `${operation} ${JSON.stringify(body)}`,
        'SerializationException',
      );
    }
    expect(cases).toBeGreaterThan(300);
    // Nothing was created or changed by any of them.
    const unchanged = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'fuzz/canary' }));
    expect(unchanged.SecretString).toBe(CANARY);
  });

  it('refuses unknown, missing and foreign X-Amz-Target values with UnknownOperationException', async () => {
    const targets = [
      'secretsmanager.Nope',
      'secretsmanager.getSecretValue',
      'secretsmanager.',
      'secretsmanager.__proto__',
      'secretsmanager.constructor',
      'secretsmanager.toString',
      'secretsmanager.hasOwnProperty',
      'kms.Encrypt',
      'GetSecretValue',
      'secretsmanager.GetSecretValue.extra',
      'x'.repeat(5000),
    ];
    for (const target of targets) {
      const response = await call(undefined, '{"SecretId":"fuzz/canary"}', {
        headers: { 'x-amz-target': target },
      });
      expectClientError(response, target.slice(0, 60), /UnknownOperationException$/);
    }
    const missing = await call(undefined, '{"SecretId":"fuzz/canary"}');
    expectClientError(missing, 'missing target', /UnknownOperationException$/);
  });

  it('refuses other HTTP methods than POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const body = method === 'GET' ? '' : '{"SecretId":"fuzz/canary"}';
      const response = await send(await signRequest(server, { method, operation: 'GetSecretValue', body }));
      expectClientError(response, method, /UnknownOperationException$/);
      const unsigned = await unsignedCall(server, { method, operation: 'GetSecretValue', body });
      expectClientError(unsigned, `unsigned ${method}`, /MissingAuthenticationTokenException$/);
    }
    // Any path: the signature covers it, and only POST / is an operation.
    const path = await send(
      await signRequest(server, {
        path: '/some/path?x=1',
        operation: 'GetSecretValue',
        body: '{"SecretId":"fuzz/canary"}',
      }),
    );
    expect(path.status).toBeLessThan(500);
  });

  it('accepts a body of exactly the limit and refuses one byte more with 413', async () => {
    const base = '{"SecretId":"fuzz/missing"}';
    const atLimit = base + ' '.repeat(MAX_BODY - base.length);
    expectClientError(await call('GetSecretValue', atLimit), 'at limit', 'ResourceNotFoundException');

    const over = `${atLimit} `;
    const response = await call('GetSecretValue', over);
    expect(response.status).toBe(413);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.service#RequestEntityTooLargeException',
      message: `Request body exceeds ${MAX_BODY} bytes.`,
    });
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  });

  it('refuses much larger bodies with 413, signed or not', async () => {
    const huge = `{"SecretString":"${CANARY.repeat(Math.ceil((3 * MAX_BODY) / CANARY.length))}"}`;
    for (const response of [
      await call('PutSecretValue', huge),
      await unsignedCall(server, { operation: 'PutSecretValue', body: huge }),
    ]) {
      expect(response.status).toBe(413);
      expectClientError(response, 'huge', /RequestEntityTooLargeException$/);
    }
  });

  it('refuses an oversized chunked body (no Content-Length) with 413', async () => {
    const body = Buffer.alloc(MAX_BODY * 2, 0x20);
    const signed = await signRequest(server, { operation: 'GetSecretValue', body });
    const url = new URL(signed.url);
    const response = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/', method: 'POST', headers: signed.headers },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: new Headers(res.headers as Record<string, string>),
              text,
              json: JSON.parse(text) as Record<string, unknown>,
            }),
          );
        },
      );
      // The server may close the socket before the whole upload is written.
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        req.write(body.subarray(offset, offset + 64 * 1024));
      }
      req.end();
    });
    expect(response.status).toBe(413);
    expectClientError(response, 'chunked', /RequestEntityTooLargeException$/);
  });

  it('refuses a SecretString over 65,536 bytes without echoing it', async () => {
    const long = CANARY.repeat(Math.ceil(65_537 / CANARY.length)).slice(0, 65_537);
    const response = await call('PutSecretValue', {
      SecretId: 'fuzz/canary',
      ClientRequestToken: randomUUID(),
      SecretString: long,
    });
    expectClientError(response, 'long SecretString', 'ValidationException');
    expect(response.json?.Message ?? response.json?.message).toMatch(/secretString/);
    // Multi-byte characters count in bytes: 21,846 three-byte characters are 65,538 bytes.
    const wide = await call('CreateSecret', {
      Name: 'fuzz/wide',
      ClientRequestToken: randomUUID(),
      SecretString: '€'.repeat(21_846),
    });
    expectClientError(wide, 'wide SecretString', 'ValidationException');
    const binary = await call('PutSecretValue', {
      SecretId: 'fuzz/binary',
      ClientRequestToken: randomUUID(),
      SecretBinary: Buffer.alloc(65_537, 7).toString('base64'),
    });
    expectClientError(binary, 'long SecretBinary', 'ValidationException');
  });

  it('refuses invalid base64 in SecretBinary', async () => {
    for (const value of [
      'not base64!',
      'abc',
      '====',
      'YWJj\nZA==',
      'YW Jj',
      `${BINARY_CANARY.toString('base64')}*`,
    ]) {
      const response = await call('PutSecretValue', {
        SecretId: 'fuzz/binary',
        ClientRequestToken: randomUUID(),
        SecretBinary: value,
      });
      expectClientError(response, `SecretBinary ${JSON.stringify(value)}`, 'SerializationException');
    }
  });

  it('refuses SecretString and SecretBinary together', async () => {
    const response = await call('PutSecretValue', {
      SecretId: 'fuzz/canary',
      ClientRequestToken: randomUUID(),
      SecretString: CANARY,
      SecretBinary: BINARY_CANARY.toString('base64'),
    });
    expectClientError(response, 'both values', 'InvalidParameterException');
    const create = await call('CreateSecret', {
      Name: 'fuzz/both',
      ClientRequestToken: randomUUID(),
      SecretString: CANARY,
      SecretBinary: BINARY_CANARY.toString('base64'),
    });
    expectClientError(create, 'both values on create', 'InvalidParameterException');
  });

  it('survives deeply nested JSON', async () => {
    // As deep as fits under the body limit.
    const depth = 80_000;
    const arrays = `${'['.repeat(depth * 2)}${']'.repeat(depth * 2)}`;
    const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(objects.length).toBeLessThan(MAX_BODY - 100);
    expectClientError(await call('GetSecretValue', arrays), 'nested arrays', 'SerializationException');
    // An object with one unknown (deep) member: SecretId is missing.
    expectClientError(await call('GetSecretValue', objects), 'nested objects', 'ValidationException');
    expectClientError(
      await call('GetSecretValue', `{"SecretId":${arrays}}`),
      'nested SecretId',
      'SerializationException',
    );
    expectClientError(
      await call('CreateSecret', `{"Name":"fuzz/deep","Tags":[{"Key":${objects}}]}`),
      'nested tag key',
      'SerializationException',
    );
    expectClientError(
      await call('ListSecrets', `{"Filters":[{"Key":"name","Values":${arrays}}]}`),
      'nested filter values',
      'SerializationException',
    );
    // A deeply nested resource policy is a string member: parsed, then refused as a policy.
    const policy = await call('PutResourcePolicy', {
      SecretId: 'fuzz/canary',
      ResourcePolicy: objects.slice(0, 20_000),
    });
    expectClientError(policy, 'nested policy', /MalformedPolicyDocumentException|ValidationException/);
  });

  it('refuses a few hundred random bodies (seeded) with a 4xx', async () => {
    const random = prng(0xc0ffee);
    const operations = ['GetSecretValue', 'PutSecretValue', 'CreateSecret', 'DescribeSecret', 'TagResource'];
    const fragments = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'SecretId',
      'null',
      'true',
      '1e9',
      '\\u0000',
      '\\',
      ' ',
    ];
    for (let i = 0; i < 300; i++) {
      const operation = operations[Math.floor(random() * operations.length)] as string;
      const length = 1 + Math.floor(random() * 2048);
      let body: Buffer;
      if (i % 3 === 0) {
        // JSON-looking noise.
        let text = '';
        while (text.length < length) text += fragments[Math.floor(random() * fragments.length)];
        body = Buffer.from(text);
      } else {
        body = Buffer.alloc(length);
        for (let j = 0; j < length; j++) body[j] = Math.floor(random() * 256);
      }
      const response = await call(operation, body);
      expectClientError(response, `random #${i} (${operation}, ${length} bytes)`);
      if (i % 10 === 0) {
        const unsigned = await unsignedCall(server, { operation, body });
        expectClientError(unsigned, `unsigned random #${i}`, /MissingAuthenticationTokenException$/);
      }
    }
  });

  it('refuses random values in every field of GetSecretValue (seeded)', async () => {
    const random = prng(42);
    const values = (): unknown => {
      const pick = Math.floor(random() * 8);
      switch (pick) {
        case 0:
          return Math.floor(random() * 1e6);
        case 1:
          return random() < 0.5;
        case 2:
          return [];
        case 3:
          return {};
        case 4:
          return 'x'.repeat(Math.floor(random() * 3000));
        case 5:
          return String.fromCharCode(...Array.from({ length: 20 }, () => Math.floor(random() * 0xffff)));
        case 6:
          return '';
        default:
          return `fuzz/${Math.floor(random() * 1e9)}`;
      }
    };
    for (let i = 0; i < 200; i++) {
      const body = { SecretId: values(), VersionId: values(), VersionStage: values() };
      const response = await call('GetSecretValue', body);
      expectClientError(response, `GetSecretValue ${JSON.stringify(body).slice(0, 200)}`);
    }
  });

  it('refuses every structured member missing a field or of a wrong type, in every operation that takes one', async () => {
    const secretId = 'fuzz/canary';
    // Each operation's structured fields (lists of objects, objects), with a valid member to vary.
    const cases: {
      operation: string;
      base: Record<string, unknown>;
      field: string;
      member: Record<string, unknown>;
      list: boolean;
    }[] = [
      {
        operation: 'CreateSecret',
        base: { Name: 'fuzz/tags' },
        field: 'Tags',
        member: { Key: 'k', Value: 'v' },
        list: true,
      },
      {
        operation: 'TagResource',
        base: { SecretId: secretId },
        field: 'Tags',
        member: { Key: 'k', Value: 'v' },
        list: true,
      },
      {
        operation: 'CreateSecret',
        base: { Name: 'fuzz/replica' },
        field: 'AddReplicaRegions',
        member: { Region: 'eu-west-1' },
        list: true,
      },
      {
        operation: 'ReplicateSecretToRegions',
        base: { SecretId: secretId },
        field: 'AddReplicaRegions',
        member: { Region: 'eu-west-1' },
        list: true,
      },
      {
        operation: 'ListSecrets',
        base: {},
        field: 'Filters',
        member: { Key: 'name', Values: ['x'] },
        list: true,
      },
      {
        operation: 'BatchGetSecretValue',
        base: {},
        field: 'Filters',
        member: { Key: 'name', Values: ['x'] },
        list: true,
      },
      {
        operation: 'RotateSecret',
        base: { SecretId: secretId, RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
        field: 'ExternalSecretRotationMetadata',
        member: { Key: 'k', Value: 'v' },
        list: true,
      },
      {
        operation: 'RotateSecret',
        base: { SecretId: secretId, RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
        field: 'RotationRules',
        member: { AutomaticallyAfterDays: 30 },
        list: false,
      },
    ];
    const wrong: unknown[] = [
      null,
      5,
      -1,
      1.5,
      true,
      '',
      'x',
      [],
      {},
      ['x'],
      [null],
      { nested: {} },
      'x'.repeat(5000),
    ];
    let sent = 0;
    for (const { operation, base, field, member, list } of cases) {
      const variants: unknown[] = [...wrong];
      for (const key of Object.keys(member)) {
        const { [key]: _dropped, ...without } = member;
        variants.push(list ? [without] : without);
        for (const value of wrong)
          variants.push(list ? [{ ...member, [key]: value }] : { ...member, [key]: value });
      }
      if (list) variants.push(...wrong.map((value) => [value]), [member, {}], [{}, member]);
      for (const value of variants) {
        const response = await call(operation, { ...base, [field]: value });
        sent++;
        if (response.status >= 400) {
          expectClientError(response, `${operation} ${field}=${JSON.stringify(value).slice(0, 120)}`);
        }
      }
    }
    expect(sent).toBeGreaterThan(300);
    expect(internalErrors).toEqual([]);
  });

  it('never needed an internal error, and still serves a normal GetSecretValue', async () => {
    expect(internalErrors).toEqual([]);
    const got = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'fuzz/canary' }));
    expect(got.SecretString).toBe(CANARY);
    const binary = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'fuzz/binary' }));
    expect(Buffer.from(binary.SecretBinary ?? new Uint8Array()).equals(BINARY_CANARY)).toBe(true);
    const audit = server.audit.recent();
    expect(audit.length).toBeGreaterThan(900);
    expect(audit.some((e) => e.errorCode === 'InternalServiceError')).toBe(false);
  });
});
