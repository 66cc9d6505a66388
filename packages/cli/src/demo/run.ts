import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '@coffer/local';
import { SecretCache } from 'coffer';
import { abortable } from 'coffer/internal';
import { checkEngine, type DemoDatabase, type Engine, startDatabase } from './database.js';
import { startLoad } from './load.js';
import { type DemoSummary, Progress, type Snapshot } from './progress.js';
import { startService } from './service.js';
import {
  APP_USER,
  createSecrets,
  enableRotation,
  masterSecret,
  ROTATION_LAMBDA,
  rotateOnce,
  SECRETS,
  type Strategy,
  writeRotationFunction,
} from './setup.js';

export interface DemoOptions {
  durationSeconds: number;
  rotations: number;
  strategy: Strategy;
  engine: Engine;
  /** Concurrent request loops. */
  concurrency: number;
  /** Secret cache TTL in ms. */
  ttlMs: number;
}

export interface DemoIo {
  /** Progress and narration (stderr). */
  log: (text: string) => void;
  /** The terminal's width when stderr is a terminal (one status line redrawn in place); else undefined. */
  columns: number | undefined;
  signal: AbortSignal;
}

/** Thrown when a signal stopped the demo; everything it started is cleaned up first. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Stops what was started, last first; each step is bounded so a stuck one cannot hang the exit. */
class Cleanup {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }
  async run(log: (text: string) => void): Promise<void> {
    for (const step of this.steps.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(step.run),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), 15_000);
          }),
        ]);
      } catch (error) {
        log(`warning: stopping ${step.name} failed: ${error instanceof Error ? error.message : 'error'}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
    this.steps.length = 0;
  }
}

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoSummary> {
  const { signal, log } = io;
  /** Waits for `work` unless the demo is stopped, which always ends as Interrupted, whatever the signal says. */
  const unlessStopped = <T>(work: Promise<T>): Promise<T> =>
    abortable(work, signal).catch((error: unknown) => {
      throw signal.aborted ? new Interrupted() : error;
    });
  // Fails with one line, before anything starts, when the optional dependencies are missing.
  await checkEngine(options.engine);
  const cleanup = new Cleanup();
  const tempDirs: string[] = [];
  // A last resort if the process exits without running the cleanup (a second Ctrl-C): no temp dirs left.
  const removeDirs = () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeDirs);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-demo-'));
    tempDirs.push(dir);
    cleanup.add('the temp dir', () => rmSync(dir, { recursive: true, force: true }));

    // 1. Secrets Manager and the database, both local and throwaway.
    const rotationOutput: string[] = [];
    const server = await startLocalSecretsManager({
      port: 0,
      dataDir: join(dir, 'secrets-manager'),
      onRotationOutput: (line) => {
        rotationOutput.push(line);
        if (rotationOutput.length > 20) rotationOutput.shift();
      },
    });
    cleanup.add('the local Secrets Manager', () => server.close());
    log(`Local Secrets Manager   ${server.endpoint}   (data in ${server.dataDir})\n`);
    const sm = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
    });
    cleanup.add('the SDK client', () => sm.destroy());

    const dbStart = startDatabase(options.engine);
    // Registered before it is awaited: an interrupted start is still stopped.
    let db: DemoDatabase | undefined;
    cleanup.add('the database', async () => {
      db ??= await dbStart.catch(() => undefined);
      await db?.stop();
    });
    db = await unlessStopped(dbStart);
    tempDirs.push(db.dir);
    log(`${db.name.padEnd(24)}127.0.0.1:${db.port}   (data in ${db.dir})\n`);

    // 2. Secrets in AWS's layout, and the app's database user.
    const { apiKey } = await unlessStopped(createSecrets(sm, db));
    log(
      `Secrets                 ${masterSecret(db.engine)} (superuser), ${SECRETS.database} (user ${APP_USER}), ${SECRETS.apiKey}\n`,
    );

    // 3. The rotation function, run by the local server in a child process as Lambda would run it.
    const fn = writeRotationFunction(dir, options.strategy, options.engine);
    server.registerRotationFunction(ROTATION_LAMBDA, fn);
    await unlessStopped(enableRotation(sm, server));
    log(`Rotation                ${options.strategy} (${db.name}), ${fn}\n`);

    // 4. The service: typed settings and a rotating pool (pg or mysql2), all through one short-TTL cache.
    const cache = new SecretCache({ client: sm, ttl: options.ttlMs });
    cleanup.add('the secret cache', () => cache.close());
    const serviceStart = startService({
      cache,
      databaseSecret: SECRETS.database,
      apiKeySecret: SECRETS.apiKey,
      engine: options.engine,
    });
    cleanup.add('the service', async () => (await serviceStart.catch(() => undefined))?.close());
    const service = await unlessStopped(serviceStart);
    log(
      `Service                 http://127.0.0.1:${service.port}/whoami   (secret cache TTL ${options.ttlMs / 1000} s)\n`,
    );
    // The load generator is a client of the service: it knows the API key the way a caller would.
    const clientKey =
      (await sm
        .send(new GetSecretValueCommand({ SecretId: SECRETS.apiKey }))
        .then((out) => (JSON.parse(out.SecretString ?? '{}') as { key?: string }).key)) ?? apiKey;

    // 5. Load, while the database secret rotates.
    log(
      `\nSending requests from ${options.concurrency} keep-alive loops for ${options.durationSeconds} s while ${SECRETS.database} rotates ${options.rotations} times...\n\n`,
    );
    server.audit.resetCounts();
    const started = performance.now();
    const load = startLoad({ port: service.port, apiKey: clientKey, concurrency: options.concurrency });
    cleanup.add('the load', () => load.stop());
    let rotations = 0;
    const rotationErrors: string[] = [];
    const smCalls = () => apiCalls(server.audit.callCounts());
    const hitRate = () => {
      const { hits, misses } = cache.stats();
      return hits + misses === 0 ? undefined : hits / (hits + misses);
    };
    const snapshot = (): Snapshot => ({
      elapsedMs: performance.now() - started,
      ok: load.ok,
      failed: load.failed,
      rotations,
      rotationsPlanned: options.rotations,
      smCalls: Object.values(smCalls()).reduce((a, b) => a + b, 0),
      hitRate: hitRate(),
    });
    const progress = new Progress(log, io.columns, snapshot, options.durationSeconds <= 10 ? 1_000 : 2_000);
    progress.start();
    cleanup.add('the progress line', () => progress.stop());

    const durationMs = options.durationSeconds * 1000;
    const lead = Math.min(1_000, durationMs / 4);
    const interval = (durationMs - lead) / Math.max(1, options.rotations);
    for (let i = 0; i < options.rotations && !signal.aborted; i++) {
      await sleep(Math.max(0, started + lead + i * interval - performance.now()), signal);
      if (signal.aborted) break;
      const t0 = performance.now();
      progress.event(`  ↻ rotating ${SECRETS.database} (${i + 1}/${options.rotations})...`);
      try {
        await unlessStopped(rotateOnce(sm, server));
        rotations++;
        progress.event(
          `  ✓ rotation ${i + 1}/${options.rotations} done in ${Math.round(performance.now() - t0)} ms`,
        );
      } catch (error) {
        if (error instanceof Interrupted) break;
        const message = `${error instanceof Error ? error.message : String(error)}${rotationOutput.length > 0 ? ` (function said: ${rotationOutput.at(-1)})` : ''}`;
        rotationErrors.push(message);
        progress.event(`  ✗ rotation ${i + 1}/${options.rotations} failed: ${message}`);
      }
    }
    // Keep the load on for the rest of the run, and at least a second after the last rotation.
    await sleep(Math.max(started + durationMs, performance.now() + 1_000) - performance.now(), signal);
    await load.stop();
    progress.stop();
    if (signal.aborted) throw new Interrupted();

    const elapsed = (performance.now() - started) / 1000;
    const stats = cache.stats();
    const byOperation = smCalls();
    const failed = load.failed > 0 || rotations < options.rotations;
    return {
      outcome: failed ? 'failure' : 'success',
      strategy: options.strategy,
      engine: options.engine,
      durationSeconds: Math.round(elapsed * 10) / 10,
      requests: {
        ok: load.ok,
        failed: load.failed,
        perSecond: Math.round(load.ok / elapsed),
        failures: Object.fromEntries(load.failures),
      },
      rotations: { planned: options.rotations, done: rotations, errors: rotationErrors },
      databaseUsers: [...load.users].sort(),
      latencyMs: {
        p50: Math.round(load.percentile(50) * 100) / 100,
        p99: Math.round(load.percentile(99) * 100) / 100,
      },
      secretsManagerCalls: {
        total: Object.values(byOperation).reduce((a, b) => a + b, 0),
        byOperation,
      },
      serviceCache: {
        hits: stats.hits,
        misses: stats.misses,
        hitRate: Math.round((hitRate() ?? 0) * 10_000) / 10_000,
        calls: stats.apiCalls,
      },
      environment: {
        secretsManager: server.endpoint,
        databasePort: db.port,
        tempDirs: [...tempDirs],
      },
    };
  } finally {
    await cleanup.run(log);
    removeDirs();
    process.off('exit', removeDirs);
  }
}

/** API calls only: the audit log also records each rotation step the server ran (RotationStep). */
function apiCalls(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([operation]) => operation !== 'RotationStep'));
}
