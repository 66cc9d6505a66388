import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs in its own `node --expose-gc` (so the heap it measures is the server's, not the test runner's) from
 * the package folder, where the built server and the SDK resolve. Every round asks the server to remember
 * things a caller chooses: resource policies with new wildcard patterns (each call compiles 20 new ones), and
 * on every fourth call a region to sign for (a signing key, a partition lookup) and a SignedHeaders list. It
 * prints the heap after each round of 100 calls, after a full GC.
 */
const CHILD = `
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from './dist/index.js';

const server = await startLocalSecretsManager({ port: 0, inMemory: true });
const clientFor = (credentials, region = server.region) =>
  new SecretsManagerClient({ endpoint: server.endpoint, region, credentials, maxAttempts: 1 });
const admin = clientFor(server.credentials);
const readerCredential = server.addCredential({
  userName: 'reader',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }] },
});
const reader = clientFor(readerCredential);
await admin.send(new CreateSecretCommand({ Name: 'bounded', SecretString: 'v' }));
const padding = 'x'.repeat(800);
let n = 0;
async function round(calls) {
  for (let i = 0; i < calls; i++, n++) {
    const Resource = Array.from({ length: 20 }, (_, k) => 'arn:aws:secretsmanager:*:*:secret:' + padding + '-' + n + '-' + k + '-*');
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: readerCredential.principalArn ?? '*' }, Action: 'secretsmanager:GetSecretValue', Resource }] };
    await admin.send(new PutResourcePolicyCommand({ SecretId: 'bounded', ResourcePolicy: JSON.stringify(policy) }));
    await reader.send(new GetSecretValueCommand({ SecretId: 'bounded' })).catch(() => {});
    if (n % 4 !== 0) continue;
    // A new region to sign for, and a new SignedHeaders list (an extra signed header with a new name).
    const elsewhere = clientFor(server.credentials, 'us-bounded' + n + '-1');
    elsewhere.middlewareStack.add((next) => (args) => {
      args.request.headers['x-bounded-' + n] = '1';
      return next(args);
    }, { step: 'build' });
    await elsewhere.send(new GetSecretValueCommand({ SecretId: 'bounded' })).catch(() => {});
    elsewhere.destroy();
  }
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}
const heaps = [];
for (let r = 0; r < 8; r++) heaps.push(await round(100));
console.log(JSON.stringify({ heaps, calls: n }));
await server.close();
`;

function runChild(): Promise<{ heaps: number[]; calls: number }> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '--eval', CHILD], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the memory probe exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'));
    }),
  );
}

describe('memory the callers choose what to fill', () => {
  it('stays bounded: new policy patterns, regions and signed-header lists stop growing the heap', async () => {
    const { heaps, calls } = await runChild();
    expect(calls).toBe(800);
    // 16,000 distinct patterns of ~900 characters: kept, they would add ~20 MB per round of 100 calls (80 MB
    // over the last four rounds); and 200 regions and SignedHeaders lists. Once the first rounds have filled the
    // caches (each bounded by count and by total size), the later rounds peak where the earlier did.
    const MiB = 1024 * 1024;
    const peak = (rounds: number[]) => Math.max(...rounds) / MiB;
    expect(peak(heaps.slice(4)) - peak(heaps.slice(0, 4))).toBeLessThan(5);
  }, 240_000);
});
