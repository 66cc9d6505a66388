import { connect, type Socket } from 'node:net';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Opens a raw TCP connection to the server and collects what it answers until it closes. */
function rawConnection(server: LocalSecretsManager) {
  const url = new URL(server.endpoint);
  const socket: Socket = connect(Number(url.port), url.hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const opened = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, closed, opened };
}

/**
 * Slow clients, broken framing and too many connections are answered (or refused) without disturbing the
 * clients being served. Outcomes are asserted, not durations.
 */
describe('connection limits', () => {
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startTestServer({
      connections: {
        maxConnections: 8,
        headersTimeoutMs: 400,
        requestTimeoutMs: 800,
        keepAliveTimeoutMs: 2_000,
      },
    });
    await clientFor(server).send(new CreateSecretCommand({ Name: 'limits/db', SecretString: 'v' }));
  });
  afterAll(() => server.close());
  const read = () => clientFor(server).send(new GetSecretValueCommand({ SecretId: 'limits/db' }));

  it('answers bad framing in AWS\u2019s error shape and closes the connection', async () => {
    const { socket, closed } = rawConnection(server);
    socket.write('THIS IS NOT HTTP\r\n\r\n');
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/x-amz-json-1.1');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      __type: 'SerializationException',
      Message: 'The request is not valid HTTP/1.1.',
    });
  });

  it('cuts off a client that never finishes its headers, while serving others', async () => {
    const { socket, closed, opened } = rawConnection(server);
    await opened;
    socket.write('POST / HTTP/1.1\r\nhost: x\r\n'); // and nothing more
    expect((await read()).SecretString).toBe('v');
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain('"__type":"RequestTimeoutException"');
  });

  it('closes connections past the limit, and keeps serving the ones it holds', async () => {
    // A server of its own: no other client's keep-alive connection counts against the limit.
    const small = await startTestServer({ connections: { maxConnections: 4 } });
    try {
      const held = Array.from({ length: 4 }, () => rawConnection(small));
      await Promise.all(held.map((c) => c.opened));
      const extra = rawConnection(small);
      expect(await extra.closed).toBe('');
      // A held connection still gets an answer (to a bad request, in AWS's shape).
      const [first] = held;
      first?.socket.write('GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
      await new Promise((resolve) => first?.socket.once('data', resolve));
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      // Once they are gone (the server notices on its own time), new clients are served again.
      let served: string | undefined;
      for (let attempt = 0; attempt < 50 && served === undefined; attempt++) {
        try {
          await clientFor(small).send(new CreateSecretCommand({ Name: 'limits/after', SecretString: 'v' }));
          served = 'yes';
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(served).toBe('yes');
    } finally {
      await small.close();
    }
  });
});
