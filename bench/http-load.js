// Load generation shared by the HTTP benches: one autocannon cell against a server, and the signed
// GetSecretValue request to replay.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import { percentile } from './lib.js';

/** A GetSecretValue request for `secretId`, signed with the server's credentials (valid for 5 minutes, no nonce). */
export async function signGetSecretValue(server, secretId) {
  const body = JSON.stringify({ SecretId: secretId });
  const signer = new SignatureV4({
    credentials: server.credentials,
    region: server.region,
    service: 'secretsmanager',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path: '/',
      headers: {
        host: `127.0.0.1:${server.port}`,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    }),
  );
  return { method: 'POST', path: '/', headers: { ...signed.headers }, body };
}

/**
 * Drives `url` with `connections` keep-alive clients for `seconds`, replaying `request` (default: a GET).
 * Latencies are recorded per response at sub-millisecond resolution (autocannon's own histogram is in whole
 * milliseconds). With `cpuMicros` (a server from startServer), also the server's CPU time per request.
 *
 * @param {{ url: string, connections: number, seconds: number,
 *   request?: { method: string, headers: Record<string, string>, body?: string },
 *   cpuMicros?: () => Promise<number> }} cell
 */
export async function load({ url, connections, seconds, request, cpuMicros }) {
  // autocannon writes Content-Length itself, from the body.
  const { 'content-length': _length, ...headers } = request?.headers ?? {};
  const latencies = [];
  let errors = 0;
  const instance = autocannon({
    url,
    connections,
    pipelining: 1,
    duration: seconds,
    method: request?.method ?? 'GET',
    headers,
    ...(request?.body !== undefined && { body: request.body }),
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.push(responseTime);
    else errors++;
  });
  const cpuBefore = cpuMicros ? await cpuMicros() : 0;
  const result = await instance;
  const cpu = cpuMicros ? (await cpuMicros()) - cpuBefore : Number.NaN;
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: latencies.length / (result.duration || seconds),
    cpuPerRequest: cpu / Math.max(1, latencies.length + errors),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: errors + result.errors + result.timeouts,
  };
}
