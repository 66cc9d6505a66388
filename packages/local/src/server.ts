/**
 * startLocalSecretsManager: builds the parts (store, credentials, audit log, rotation, request
 * handler), puts them on a socket, runs the purge and rotation timers, and closes it all in order.
 */
import { AuditLog, type AuditLogOptions } from './audit/audit-log.js';
import { type Credential, CredentialRegistry, type NewCredential } from './auth/credentials.js';
import { type ConsoleOptions, isConsolePath, WebConsole } from './console/index.js';
import {
  auditLogPath,
  type DataDirLock,
  defaultDataDir,
  loadMasterKey,
  lockDataDir,
  makePrivateDataDir,
} from './data-dir.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION } from './defaults.js';
import { type ConnectionLimits, type HttpListener, listenHttp } from './http-adapter.js';
import { isRegionName, RegionSet } from './protocol/regions.js';
import type { WireRequest, WireResponse } from './protocol/wire.js';
import { RequestHandler } from './request-handler.js';
import { type RotationOutcome, RotationService } from './rotation/service.js';
import { Store } from './store/store.js';

const PURGE_INTERVAL_MS = 60_000;
/** How often the server looks for changes other processes made (a removed credential stops working within it). */
const EXTERNAL_CHANGES_INTERVAL_MS = 250;
const ROTATION_CHECK_INTERVAL_MS = 60_000;

export interface LocalSecretsManagerOptions {
  /** TCP port; 0 picks a free one. @default 4584 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /**
   * Bounds on clients: connections open at once, and how long a request's headers, a whole request and an
   * idle keep-alive connection may take. @default 1024 connections, 10 s, 30 s, 15 s
   */
  connections?: ConnectionLimits;
  /** The audit log's rotation: `<data dir>/audit.log` becomes `.1` at `maxBytes`, keeping `maxFiles`. @default 64 MiB, 4 */
  auditLog?: Pick<AuditLogOptions, 'maxBytes' | 'maxFiles'>;
  /** Where the database, master key and audit log live. @default the user's data directory, e.g. ~/.local/share/coffer */
  dataDir?: string;
  /** Keep everything in memory and write nothing to disk (tests, demos). @default false */
  inMemory?: boolean;
  /**
   * The default region: the one `region` reports (for SDK clients and printed exports), the region of
   * the rotation examples, and the region of `waitForRotation` by name. Requests are signed for any
   * region the server accepts (see `regions`); each region has its own secrets.
   * @default the first of `regions`, else 'us-east-1'
   */
  region?: string;
  /**
   * The only regions requests may be signed for; a request signed for another is refused as AWS refuses
   * a region it does not serve. @default every valid AWS region name
   */
  regions?: readonly string[];
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
   * Told, once per row, about a credential or resource policy that fails its integrity check (the data dir
   * was changed without the master key); the row is refused. @default a line on standard error
   */
  onIntegrityFailure?: (message: string) => void;
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
  /**
   * Serve the web console at `/console` on the same port: `true`, or its options. Its sign-in links
   * come from `console.loginUrl()`. @default false (`coffer serve` turns it on)
   */
  console?: boolean | ConsoleOptions;
}

/** The web console of a running server. */
export interface LocalConsole {
  /** e.g. `http://127.0.0.1:4584/console`; it asks for a sign-in link. */
  readonly url: string;
  /** A new one-time sign-in link (`.../console/login?token=...`): it starts one browser session. */
  loginUrl(): string;
}

export interface LocalSecretsManager extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:4584` — pass it as the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** The default region (see the option); every accepted region works on the same endpoint. */
  readonly region: string;
  /** The regions requests may be signed for, or undefined when every AWS region name is accepted. */
  readonly regions: readonly string[] | undefined;
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
   * Resolves when no rotation of the secret (ARN, or name in `region`, by default the server's) is
   * running, with how the last one ended (undefined if it never rotated here). Rejects after
   * `timeoutMs` (default 30 s).
   */
  waitForRotation(
    secretId: string,
    options?: { timeoutMs?: number; region?: string },
  ): Promise<RotationOutcome | undefined>;
  /** The web console, when the `console` option turned it on. */
  readonly console: LocalConsole | undefined;
  /** Handles one request in-process, without a socket. */
  handle(request: WireRequest): Promise<WireResponse>;
  close(): Promise<void>;
}

function validate(options: LocalSecretsManagerOptions): void {
  if (options.inMemory && options.dataDir !== undefined) {
    throw new TypeError('Pass either dataDir or inMemory: true, not both.');
  }
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(port)}.`);
  }
  if (options.region !== undefined && !isRegionName(options.region)) {
    throw new TypeError(
      `region must be an AWS region name (e.g. us-east-1), got ${JSON.stringify(options.region)}.`,
    );
  }
  const regions = options.regions;
  if (regions !== undefined) {
    if (!Array.isArray(regions) || regions.length === 0) {
      throw new TypeError(
        'regions must be a non-empty list of AWS region names (e.g. ["us-east-1", "eu-west-1"]).',
      );
    }
    const invalid = regions.find((r) => typeof r !== 'string' || !isRegionName(r));
    if (invalid !== undefined) {
      throw new TypeError(
        `regions must be AWS region names (e.g. us-east-1), got ${JSON.stringify(invalid)}.`,
      );
    }
    if (options.region !== undefined && !regions.includes(options.region)) {
      throw new TypeError(`region ${options.region} must be one of regions (${regions.join(', ')}).`);
    }
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
  let lock: DataDirLock | undefined;
  if (dataDir !== undefined) {
    makePrivateDataDir(dataDir);
    lock = lockDataDir(dataDir);
  }
  try {
    return await start(options, dataDir, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function start(
  options: LocalSecretsManagerOptions,
  dataDir: string | undefined,
  lock: DataDirLock | undefined,
): Promise<LocalSecretsManager> {
  const region = options.region ?? options.regions?.[0] ?? DEFAULT_REGION;
  const regions = new RegionSet(options.regions);
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const store = new Store({
    ...(dataDir !== undefined && { dataDir }),
    masterKey: loadMasterKey(dataDir, options.masterKey),
    ...(options.onIntegrityFailure !== undefined && { onIntegrityFailure: options.onIntegrityFailure }),
  });
  const registry = new CredentialRegistry(store, accountId);
  const firstStart = registry.list().length === 0;
  const admin = registry.admin();
  let audit: AuditLog;
  try {
    audit = new AuditLog({
      ...options.auditLog,
      ...(dataDir !== undefined && { file: auditLogPath(dataDir) }),
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const onInternalError =
    options.onInternalError ?? ((error: unknown) => console.error('coffer local: internal error', error));
  const clock = options.now ?? Date.now;
  let rotation: RotationService;
  try {
    rotation = new RotationService({
      store,
      audit,
      credentials: registry,
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
    regions,
    accountId,
    clock,
    rotation,
    onInternalError,
  });

  const host = options.host ?? DEFAULT_HOST;
  let web: WebConsole | undefined;
  let http: HttpListener;
  try {
    if (options.console) {
      web = new WebConsole(
        {
          handle: (request) => handler.handle(request),
          credentials: registry,
          audit,
          regions,
          defaultRegion: region,
          isRotating: (arn) => rotation.isRunning(arn),
          secretRegions: () => store.regions(),
          onInternalError,
        },
        options.console === true ? {} : options.console,
      );
    }
    const pages = web;
    // Each turn's audit lines are written before its answers are sent: an acknowledged call is in the file.
    http = await listenHttp(
      handler,
      options.port ?? DEFAULT_PORT,
      host,
      options.connections,
      audit.flush,
      pages && { claims: isConsolePath, serve: (req, res) => pages.serve(req, res) },
    );
  } catch (error) {
    // A refused start must not keep the database and the audit log open.
    await audit.close();
    store.close();
    throw error;
  }
  const { endpoint } = http;
  web?.listen(endpoint, host, http.port);
  rotation.endpoint = endpoint;
  lock?.setEndpoint(endpoint);

  const purge = setInterval(() => {
    for (const arn of store.dueForPurge(clock())) store.deleteSecret(arn);
  }, PURGE_INTERVAL_MS);
  purge.unref();
  store.changedElsewhere();
  const externalChanges = setInterval(() => {
    try {
      if (store.changedElsewhere()) registry.reload();
    } catch (error) {
      onInternalError(error);
    }
  }, EXTERNAL_CHANGES_INTERVAL_MS);
  externalChanges.unref();
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
      clearInterval(externalChanges);
      clearInterval(schedules);
      await rotation.close();
      web?.close();
      await http.close();
      await audit.close();
      store.close();
      lock?.release();
    })();
    return closing;
  };

  return {
    endpoint,
    port: http.port,
    region,
    regions: regions.list(),
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
      const record = secretId.startsWith('arn:')
        ? store.findByArn(secretId)
        : store.findByName(waitOptions.region ?? region, secretId);
      if (!record) return Promise.reject(new Error(`No secret ${secretId}.`));
      return rotation.wait(record.arn, waitOptions.timeoutMs ?? 30_000);
    },
    console: web && {
      url: web.url,
      loginUrl: () => web.loginUrl(),
    },
    handle: async (request) => handler.handle(request),
    close,
    [Symbol.asyncDispose]: close,
  };
}
