import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { AuditLog } from './audit/audit-log.js';
import { type Credential, CredentialRegistry, type NewCredential } from './auth/credentials.js';
import { requestTooLarge } from './protocol/errors.js';
import type { WireRequest, WireResponse } from './protocol/wire.js';
import { RequestHandler } from './request-handler.js';
import { type RotationOutcome, RotationService } from './rotation/service.js';
import { KEY_BYTES } from './store/crypto.js';
import { Store } from './store/store.js';

export const DEFAULT_PORT = 4584;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** Larger than any valid request (a 64 KiB value is ~88 KiB in base64); bigger bodies are refused unread. */
export const MAX_BODY_BYTES = 512 * 1024;
const PURGE_INTERVAL_MS = 60_000;
const ROTATION_CHECK_INTERVAL_MS = 60_000;
export const MASTER_KEY_ENV = 'COFFER_MASTER_KEY';

export interface LocalSecretsManagerOptions {
  /** TCP port; 0 picks a free one. @default 4584 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Where the database, master key and audit log live. @default the user's data directory, e.g. ~/.local/share/coffer */
  dataDir?: string;
  /** Keep everything in memory and write nothing to disk (tests, demos). @default false */
  inMemory?: boolean;
  /** @default 'us-east-1' */
  region?: string;
  /** Account id used in ARNs. @default '123456789012' */
  accountId?: string;
  /**
   * The 32-byte master key that wraps every secret's data key (raw bytes or base64). Defaults to the
   * `COFFER_MASTER_KEY` environment variable, else `master.key` in the data dir (created 0600 on first start).
   */
  masterKey?: Buffer | string;
  /** Reports unexpected internal failures. @default writes the stack to stderr */
  onInternalError?: (error: unknown) => void;
  /**
   * Rotation functions by Lambda ARN: each a module exporting `handler(event)`, run in a child process
   * when a secret rotates with that ARN. More can be added with `registerRotationFunction`.
   */
  rotationFunctions?: Record<string, string>;
  /** How long one rotation step may run before its process is killed. @default 60_000 */
  rotationStepTimeoutMs?: number;
  /** How often the server looks for secrets whose scheduled rotation is due. @default 60_000 */
  rotationCheckIntervalMs?: number;
  /** Lines printed by rotation functions (stdout and stderr). @default dropped */
  onRotationOutput?: (line: string, lambdaArn: string) => void;
  /**
   * The server's clock for dates and rotation schedules, in ms since the epoch (tests move it forward
   * to trigger scheduled rotations). Request signatures are always checked against the real clock.
   * @default Date.now
   */
  now?: () => number;
}

export interface LocalSecretsManager extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:4584` — pass it as the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** The admin credential (full access); created on first start. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Whether this start created the data dir's admin credential. */
  readonly firstStart: boolean;
  readonly dataDir: string | undefined;
  /** Every API call, as audit entries and per-operation counts, seen from the server's side. */
  readonly audit: AuditLog;
  /** Adds a credential with an IAM-style policy (least privilege can be shown locally). */
  addCredential(request: NewCredential): Credential;
  removeCredential(userName: string): boolean;
  listCredentials(): Credential[];
  /** Registers a rotation function: `modulePath` exports `handler(event)`; RotateSecret can then use `lambdaArn`. */
  registerRotationFunction(lambdaArn: string, modulePath: string): void;
  /**
   * Resolves when no rotation of the secret (name or ARN) is running, with how the last one ended
   * (undefined if it never rotated here). Rejects after `timeoutMs` (default 30 s).
   */
  waitForRotation(secretId: string, options?: { timeoutMs?: number }): Promise<RotationOutcome | undefined>;
  /** Handles one request in-process, without a socket. */
  handle(request: WireRequest): Promise<WireResponse>;
  close(): Promise<void>;
}

/** The default data directory: `$XDG_DATA_HOME/coffer`, `~/Library/Application Support/coffer`, ... */
export const defaultDataDir = (): string => envPaths('coffer', { suffix: '' }).data;

function decodeKey(value: Buffer | string, origin: string): Buffer {
  const key = typeof value === 'string' ? Buffer.from(value.trim(), 'base64') : value;
  if (key.length !== KEY_BYTES) {
    throw new TypeError(
      `${origin} must be ${KEY_BYTES} bytes (base64 of 32 random bytes, e.g. \`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

/** The master key: explicit option, then COFFER_MASTER_KEY, then `master.key` in the data dir (created if absent). */
export function loadMasterKey(dataDir: string | undefined, explicit?: Buffer | string): Buffer {
  if (explicit !== undefined) return decodeKey(explicit, 'masterKey');
  const fromEnv = process.env[MASTER_KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, MASTER_KEY_ENV);
  if (dataDir === undefined) return randomBytes(KEY_BYTES);
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8'), file);
  // A fresh key could never open an existing database, and would leave a misleading master.key behind.
  if (existsSync(join(dataDir, 'secrets.db'))) {
    throw new Error(
      `${dataDir} holds a database but no master.key: restore the master.key file that created it, or pass its key as masterKey or ${MASTER_KEY_ENV}.`,
    );
  }
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

function validate(options: LocalSecretsManagerOptions): void {
  if (options.inMemory && options.dataDir !== undefined) {
    throw new TypeError('Pass either dataDir or inMemory: true, not both.');
  }
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(port)}.`);
  }
  if (options.region !== undefined && !/^([a-z]+-)+\d+$/.test(options.region)) {
    throw new TypeError(
      `region must look like an AWS region (e.g. us-east-1), got ${JSON.stringify(options.region)}.`,
    );
  }
  if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) {
    throw new TypeError(`accountId must be 12 digits, got ${JSON.stringify(options.accountId)}.`);
  }
  const interval = options.rotationCheckIntervalMs;
  if (interval !== undefined && !(Number.isFinite(interval) && interval > 0)) {
    throw new TypeError(`rotationCheckIntervalMs must be a positive number, got ${String(interval)}.`);
  }
}

/**
 * Starts a local Secrets Manager that speaks AWS's wire protocol (JSON 1.1 over HTTP, SigV4).
 *
 * @example
 * ```ts
 * const local = await startLocalSecretsManager({ port: 0, inMemory: true });
 * const client = new SecretsManagerClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
 * await client.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 's3cr3t' }));
 * await local.close();
 * ```
 */
export async function startLocalSecretsManager(
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  validate(options);
  const dataDir = options.inMemory ? undefined : (options.dataDir ?? defaultDataDir());
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
  }
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const store = new Store({
    ...(dataDir !== undefined && { dataDir }),
    masterKey: loadMasterKey(dataDir, options.masterKey),
  });
  const registry = new CredentialRegistry(store, accountId);
  const firstStart = registry.list().length === 0;
  const admin = registry.admin();
  const audit = new AuditLog(dataDir === undefined ? {} : { file: join(dataDir, 'audit.log') });
  const onInternalError =
    options.onInternalError ?? ((error: unknown) => console.error('coffer local: internal error', error));
  const clock = options.now ?? Date.now;
  let rotation: RotationService;
  try {
    rotation = new RotationService({
      store,
      audit,
      credentials: registry,
      region,
      now: clock,
      ...(options.rotationStepTimeoutMs !== undefined && { stepTimeoutMs: options.rotationStepTimeoutMs }),
      ...(options.onRotationOutput !== undefined && { onFunctionOutput: options.onRotationOutput }),
      onInternalError,
    });
    for (const [arn, path] of Object.entries(options.rotationFunctions ?? {})) rotation.register(arn, path);
  } catch (error) {
    await audit.close();
    store.close();
    throw error;
  }
  const handler = new RequestHandler({
    store,
    credentials: registry,
    audit,
    region,
    accountId,
    clock,
    rotation,
    onInternalError,
  });

  const server = createServer({ keepAlive: true }, (req, res) => {
    serveHttp(handler, req, res);
  });
  server.keepAliveTimeout = 65_000;
  try {
    await listen(server, options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST);
  } catch (error) {
    // A refused start must not keep the database and the audit log open.
    await audit.close();
    store.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const endpoint = `http://${host}:${address.port}`;
  rotation.endpoint = endpoint;

  const purge = setInterval(() => {
    for (const arn of store.dueForPurge(clock())) store.deleteSecret(arn);
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const schedules = setInterval(() => {
    try {
      rotation.checkSchedules();
    } catch (error) {
      onInternalError(error);
    }
  }, options.rotationCheckIntervalMs ?? ROTATION_CHECK_INTERVAL_MS);
  schedules.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(purge);
      clearInterval(schedules);
      await rotation.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await audit.close();
      store.close();
    })();
    return closing;
  };

  return {
    endpoint,
    port: address.port,
    region,
    accountId,
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    firstStart,
    dataDir,
    audit,
    addCredential: (request) => registry.add(request),
    removeCredential: (userName) => registry.remove(userName),
    listCredentials: () => registry.list(),
    registerRotationFunction: (lambdaArn, modulePath) => rotation.register(lambdaArn, modulePath),
    waitForRotation: (secretId, waitOptions = {}) => {
      const record = secretId.startsWith('arn:') ? store.findByArn(secretId) : store.findByName(secretId);
      if (!record) return Promise.reject(new Error(`No secret ${secretId}.`));
      return rotation.wait(record.arn, waitOptions.timeoutMs ?? 30_000);
    },
    handle: (request) => handler.handle(request),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} on ${host} is already in use: stop the other server or choose another port (0 picks a free one).`,
              { cause: error },
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function send(res: ServerResponse, response: WireResponse, close = false): void {
  // writeHead takes a flat [name, value, ...] list as is: no copy of the response's headers object.
  const head: (string | number)[] = ['content-length', Buffer.byteLength(response.body)];
  for (const name in response.headers) head.push(name, response.headers[name] as string);
  if (close) head.push('connection', 'close');
  res.writeHead(response.status, head);
  res.end(response.body);
}

/**
 * Answers finished during one event-loop turn, written together once the turn's I/O callbacks are
 * done. Writing each at once costs the client a wake-up per answer (a loopback write wakes the
 * reader, which goes back to sleep before the next answer); written back to back, one wake-up
 * serves the whole batch. That was a third of the server's CPU per request at 50 connections.
 */
let outboxResponses: ServerResponse[] = [];
let outboxBodies: WireResponse[] = [];

function flushOutbox(): void {
  const responses = outboxResponses;
  const bodies = outboxBodies;
  outboxResponses = [];
  outboxBodies = [];
  for (let i = 0; i < responses.length; i++) {
    const res = responses[i] as ServerResponse;
    try {
      send(res, bodies[i] as WireResponse);
    } catch {
      // One answer that cannot be written must not hold back the others.
      res.destroy();
    }
  }
}

function sendSoon(res: ServerResponse, response: WireResponse): void {
  if (outboxResponses.length === 0) setImmediate(flushOutbox);
  outboxResponses.push(res);
  outboxBodies.push(response);
}

/**
 * A null-prototype copy of the request headers: a name like `constructor` or `toString` that was not
 * sent must read as undefined, not as Object.prototype's member. Repeated headers are joined with ','.
 */
function copyHeaders(source: IncomingMessage['headers']): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = Object.create(null);
  for (const name in source) {
    // Node builds `source` as an ordinary object, so only own properties are headers.
    if (!Object.hasOwn(source, name)) continue;
    const value = source[name];
    headers[name] = typeof value === 'string' || value === undefined ? value : value.join(',');
  }
  return headers;
}

/** Reads the body (bounded), hands it to the handler, writes the answer. Never throws. */
function serveHttp(handler: RequestHandler, req: IncomingMessage, res: ServerResponse): void {
  const tooLarge = () => {
    const wire = requestTooLarge(`Request body exceeds ${MAX_BODY_BYTES} bytes.`).toWire();
    const headers = { 'content-type': 'application/x-amz-json-1.1', ...wire.headers };
    send(res, { status: wire.status, headers, body: wire.body }, true);
    req.destroy();
  };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let aborted = false;
  req.on('data', (chunk: Buffer) => {
    if (aborted) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      aborted = true;
      tooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => {
    aborted = true;
  });
  req.on('end', () => {
    if (aborted) return;
    handler
      .handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: copyHeaders(req.headers),
        body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? 'unknown',
      })
      .then(
        (response) => sendSoon(res, response),
        () =>
          sendSoon(res, {
            status: 500,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: '{"__type":"InternalServiceError","Message":"Internal error"}',
          }),
      );
  });
}
