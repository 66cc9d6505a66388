import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CURRENT, Redactor, secretLeaves, shellQuote } from 'coffer/internal';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { CredentialRegistry } from '../auth/credentials.js';
import { ADMIN_POLICY } from '../auth/policy.js';
import { regionOfArn } from '../protocol/regions.js';
import { clearPending, preparePending } from '../store/staging.js';
import type { Store } from '../store/store.js';
import type { StepRequest, StepResult } from './runner.js';
import { nextRotationDate, type RotationState, rotationState } from './schedule.js';

const TYPESCRIPT_FILE = /\.[cm]?ts$/;

/** Node 22.18+ strips types by default (and earlier 22/23 with --experimental-strip-types); Node 20 cannot. */
const canLoadTypeScript = (): boolean =>
  Boolean((process.features as { typescript?: string | false }).typescript);

/**
 * The esbuild command that turns a TypeScript rotation function into one ES module the server can load: the AWS
 * SDK and drivers bundled in, and (as in coffer's rotation deployment guide) a `require` for the CommonJS
 * packages inside, which call `require('node:https')` and the like where an ES module has none.
 */
function esbuildCommand(source: string, bundle: string): string {
  return [
    `npx esbuild ${shellQuote(source)} --bundle --platform=node --target=node20 --format=esm`,
    `--outfile=${shellQuote(bundle)}`,
    `"--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"`,
  ].join(' ');
}

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
export const ALL_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/** The principal AWS records for what Secrets Manager does on its own (rotation steps). */
export const SERVICE_PRINCIPAL = 'secretsmanager.amazonaws.com';
/** The credential rotation functions get: full access, as a rotation function's role usually has. */
export const ROTATION_USER = 'secretsmanager-rotation';
const DEFAULT_STEP_TIMEOUT_MS = 60_000;
/** A failed scheduled rotation is tried again after this long (on AWS: in the next rotation window). */
const SCHEDULED_RETRY_MS = 3_600_000;

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/;

/** How a rotation ended. */
export interface RotationOutcome {
  secretArn: string;
  /** The version being rotated to (the ClientRequestToken). */
  versionId: string;
  outcome: 'success' | 'error';
  /** The steps that completed, in order. */
  completedSteps: RotationStep[];
  /** The step that failed. */
  failedStep?: RotationStep;
  /** One line: why it failed. */
  error?: string;
}

export interface RotationServiceOptions {
  store: Store;
  audit: AuditLog;
  credentials: CredentialRegistry;
  now: () => number;
  stepTimeoutMs?: number;
  /** Lines the rotation functions print (stdout and stderr). @default dropped */
  onFunctionOutput?: (line: string, lambdaArn: string) => void;
  onInternalError: (error: unknown) => void;
}

interface Running {
  versionId: string;
  done: Promise<RotationOutcome>;
  child: ChildProcess | undefined;
}

/** Where the compiled runner is: beside this module, or in dist/ when the server runs from its sources (tests). */
function runnerPath(): string {
  const beside = fileURLToPath(new URL('./runner.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/rotation/runner.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`The rotation runner is not built (looked for ${beside}): run the build first.`);
}

/**
 * Runs rotation functions as Secrets Manager runs Lambda rotation functions: each step in order,
 * each in a child process, with a timeout, audited; plus the scheduler for rotation rules.
 */
export class RotationService {
  private readonly functions = new Map<string, string>();
  private readonly running = new Map<string, Running>();
  /** The masks of the secrets being rotated, while they rotate. */
  private readonly redactors = new Map<string, { fingerprint: string; redactor: Redactor }>();
  private readonly last = new Map<string, RotationOutcome>();
  private readonly stepTimeoutMs: number;
  private closed = false;
  /** The server's endpoint, known once it listens. */
  endpoint = '';

  constructor(private readonly options: RotationServiceOptions) {
    this.stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (!Number.isFinite(this.stepTimeoutMs) || this.stepTimeoutMs <= 0) {
      throw new TypeError(`rotationStepTimeoutMs must be a positive number, got ${this.stepTimeoutMs}.`);
    }
  }

  /**
   * Runs `modulePath` (an ES module or CommonJS file exporting `handler`) for rotations that name `lambdaArn`.
   * The module's imports resolve from its own folder, as any Node module's do: keep it inside the project whose
   * `node_modules` holds what it imports, or bundle it.
   */
  register(lambdaArn: string, modulePath: string): void {
    if (typeof lambdaArn !== 'string' || !LAMBDA_ARN.test(lambdaArn)) {
      throw new TypeError(
        `Invalid rotation function ARN ${JSON.stringify(lambdaArn)}: use a Lambda function ARN such as arn:aws:lambda:us-east-1:123456789012:function:my-rotation.`,
      );
    }
    const path = isAbsolute(modulePath) ? modulePath : resolve(modulePath);
    if (!existsSync(path)) {
      throw new TypeError(`The rotation function module ${path} (for ${lambdaArn}) does not exist.`);
    }
    if (TYPESCRIPT_FILE.test(path) && !canLoadTypeScript()) {
      // Refused here rather than at the first rotation, where it would fail with "Unknown file extension".
      const bundle = path.replace(TYPESCRIPT_FILE, '.mjs');
      throw new TypeError(
        `Node ${process.version} cannot load the TypeScript rotation function ${path}: compile it to JavaScript first, for example into one file with \`${esbuildCommand(path, bundle)}\`, and register ${bundle} instead; or use Node 22.18 or later, which runs TypeScript as it is.`,
      );
    }
    this.functions.set(lambdaArn, path);
  }

  hasFunction(lambdaArn: string): boolean {
    return this.functions.has(lambdaArn);
  }

  isRunning(secretArn: string): boolean {
    return this.running.has(secretArn);
  }

  /** The outcome of the running rotation of a secret when it ends, or of its last one. */
  wait(secretArn: string, timeoutMs: number): Promise<RotationOutcome | undefined> {
    const running = this.running.get(secretArn);
    if (!running) return Promise.resolve(this.last.get(secretArn));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The rotation of ${secretArn} did not finish within ${timeoutMs} ms.`));
      }, timeoutMs);
      void running.done.then((outcome) => {
        clearTimeout(timer);
        resolvePromise(outcome);
      });
    });
  }

  /**
   * Starts a rotation now (the caller checked that none is running). `steps` is all four, or just
   * testSecret for RotateSecret with RotateImmediately=false.
   */
  start(secretArn: string, lambdaArn: string, versionId: string, steps: readonly RotationStep[]): void {
    const entry: Running = { versionId, child: undefined, done: undefined as never };
    this.running.set(secretArn, entry);
    entry.done = this.run(secretArn, lambdaArn, versionId, steps, entry)
      .catch((error: unknown): RotationOutcome => {
        this.options.onInternalError(error);
        return {
          secretArn,
          versionId,
          outcome: 'error',
          completedSteps: [],
          error: 'Internal error in the local Secrets Manager.',
        };
      })
      .then((outcome) => {
        this.running.delete(secretArn);
        this.last.set(secretArn, outcome);
        return outcome;
      });
  }

  private internalCredential(): { accessKeyId: string; secretAccessKey: string } {
    const registry = this.options.credentials;
    const existing = registry.list().find((c) => c.userName === ROTATION_USER);
    return existing ?? registry.add({ userName: ROTATION_USER, policy: ADMIN_POLICY });
  }

  /** The function's environment: its SDK talks to this server, in the region of the secret it rotates. */
  private childEnv(region: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // Nothing of the server's own AWS configuration (profiles, other endpoints) leaks into the function.
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('AWS_')) env[name] = value;
    }
    const credential = this.internalCredential();
    return {
      ...env,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: credential.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credential.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  private async run(
    secretArn: string,
    lambdaArn: string,
    versionId: string,
    steps: readonly RotationStep[],
    entry: Running,
  ): Promise<RotationOutcome> {
    // Answer the RotateSecret call first, as AWS does: the steps run after it returned.
    await new Promise((r) => setImmediate(r));
    const completedSteps: RotationStep[] = [];
    const modulePath = this.functions.get(lambdaArn);
    const fail = (step: RotationStep, error: string): RotationOutcome => ({
      secretArn,
      versionId,
      outcome: 'error',
      completedSteps,
      failedStep: step,
      error,
    });
    if (modulePath === undefined || this.closed) {
      const step = steps[0] ?? 'createSecret';
      const error = this.closed
        ? 'The local Secrets Manager is shutting down.'
        : `No rotation function is registered for ${lambdaArn}.`;
      this.audit(secretArn, step, 0, 'RotationFunctionNotFound', error);
      return fail(step, error);
    }
    const child = fork(runnerPath(), [modulePath], {
      env: this.childEnv(regionOfArn(secretArn) ?? 'us-east-1'),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    entry.child = child;
    // The function's own output is passed on masked too, whole lines at a time (a value split between two
    // writes is masked whole): it is the same code that might quote a value.
    const output = (stream: NodeJS.ReadableStream | null) => {
      let partial = '';
      const emit = (line: string) => {
        const sink = this.options.onFunctionOutput;
        if (sink !== undefined && line.trim() !== '')
          sink(this.redactorFor(secretArn).redact(line), lambdaArn);
      };
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) emit(line);
      });
      stream?.on('end', () => emit(partial));
    };
    output(child.stdout);
    output(child.stderr);
    child.once('close', () => this.redactors.delete(secretArn));
    child.on('error', () => {});
    try {
      let id = 0;
      const rotationToken = randomUUID();
      for (const step of steps) {
        const started = performance.now();
        const result = await this.step(child, {
          type: 'step',
          id: ++id,
          event: {
            SecretId: secretArn,
            ClientRequestToken: versionId,
            Step: step,
            RotationToken: rotationToken,
          },
          timeoutMs: this.stepTimeoutMs,
        });
        let error = result.ok ? undefined : this.redactorFor(secretArn).redact(result.error);
        let code = result.ok ? undefined : result.code;
        if (error === undefined && step === 'finishSecret') {
          error = this.finish(secretArn, versionId);
          if (error !== undefined) code = 'RotationIncomplete';
        }
        this.audit(secretArn, step, performance.now() - started, code, error);
        if (error !== undefined) return fail(step, error);
        completedSteps.push(step);
      }
      return { secretArn, versionId, outcome: 'success', completedSteps };
    } finally {
      if (child.connected) child.disconnect();
      // A function that ignores the disconnect (open handles) must not linger.
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      killer.unref();
      child.once('exit', () => clearTimeout(killer));
      if (child.exitCode !== null || child.signalCode !== null) clearTimeout(killer);
    }
  }

  /** Sends one step and waits for its answer, the child's death, or the timeout (which kills it). */
  private step(
    child: ChildProcess,
    request: StepRequest,
  ): Promise<{ ok: true } | { ok: false; code: string; error: string }> {
    const step = request.event.Step;
    return new Promise((resolvePromise) => {
      const done = (result: { ok: true } | { ok: false; code: string; error: string }) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolvePromise(result);
      };
      const onMessage = (message: StepResult) => {
        if (message?.type !== 'result' || message.id !== request.id) return;
        if (message.ok) done({ ok: true });
        else if (message.loadError) {
          done({
            ok: false,
            code: 'RotationFunctionLoadError',
            error: `The rotation function could not be loaded: ${message.error ?? 'unknown error'}`,
          });
        } else {
          done({ ok: false, code: 'RotationStepFailed', error: message.error ?? 'Error: unknown error' });
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done({
          ok: false,
          code: 'RotationFunctionCrashed',
          error: `The rotation function exited during ${step} (${signal ?? `exit code ${code}`}).`,
        });
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done({
          ok: false,
          code: 'RotationStepTimeout',
          error: `${step} timed out after ${request.timeoutMs} ms; the function was stopped.`,
        });
      }, request.timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        onExit(child.exitCode, child.signalCode);
        return;
      }
      child.send(request, (error) => {
        if (error) onExit(child.exitCode, child.signalCode);
      });
    });
  }

  /** After finishSecret: AWSCURRENT must be on the new version; AWSPENDING is cleaned up, dates set. */
  private finish(secretArn: string, versionId: string): string | undefined {
    const { store } = this.options;
    const secret = store.findByArn(secretArn);
    if (!secret) return 'The secret was deleted during rotation.';
    if (store.stageHolder(secretArn, CURRENT) !== versionId) {
      return `finishSecret returned, but AWSCURRENT is not on version ${versionId}: the function must move it (UpdateSecretVersionStage).`;
    }
    const now = this.options.now();
    store.transaction(() => {
      clearPending(store, secretArn, versionId);
      const state = rotationState(secret.rotation);
      if (state) {
        const next: RotationState = { ...state, LastRotatedDate: now / 1000 };
        delete next.lastFailedAt;
        const due = nextRotationDate(next);
        if (due === undefined) delete next.NextRotationDate;
        else next.NextRotationDate = due;
        store.updateSecret(secretArn, { rotation: next as unknown as Record<string, unknown> });
      }
    });
    return undefined;
  }

  private audit(
    secretArn: string,
    step: RotationStep,
    durationMs: number,
    errorCode: string | undefined,
    errorMessage: string | undefined,
  ): void {
    const entry: AuditEntry = {
      time: new Date().toISOString(),
      requestId: randomUUID(),
      principal: SERVICE_PRINCIPAL,
      operation: 'RotationStep',
      step,
      secretArn,
      sourceIp: SERVICE_PRINCIPAL,
      outcome: errorCode === undefined ? 'success' : 'error',
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (errorCode !== undefined) entry.errorCode = errorCode;
    if (errorMessage !== undefined) entry.errorMessage = errorMessage;
    this.options.audit.record(entry);
  }

  /**
   * Masks the values of the secret (and of the master secret an alternating-users rotator reads) in text that
   * came from the rotation function's code, which might quote one: its errors and its output. Every form the
   * redactor knows (URL-encoded, base64, cut short, ...); only what is secret, so that host, port, user and
   * database stay readable in the error an operator has to act on. Rebuilt when the secret gets a version
   * (createSecret adds the new password while the function runs).
   */
  private redactorFor(secretArn: string): Redactor {
    const { store } = this.options;
    const fingerprint = store
      .versions(secretArn)
      .map((v) => `${v.versionId}:${v.hasValue}`)
      .join(',');
    const cached = this.redactors.get(secretArn);
    if (cached?.fingerprint === fingerprint) return cached.redactor;
    const values: string[] = [];
    const collectSecret = (arn: string, depth: number): void => {
      for (const version of store.versions(arn)) {
        const value = version.hasValue ? store.readValue(arn, version.versionId) : undefined;
        if (value === undefined) continue;
        const text = value.kind === 'string' ? value.text : value.bytes.toString('utf8');
        values.push(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          continue; // not JSON: the whole value is what is secret
        }
        values.push(...secretLeaves(parsed));
        // Alternating-users rotators also read the master secret named in `masterarn`.
        const master = (parsed as { masterarn?: unknown } | null)?.masterarn;
        const masterRecord = typeof master === 'string' && depth === 0 ? store.findByArn(master) : undefined;
        if (masterRecord) collectSecret(masterRecord.arn, depth + 1);
      }
    };
    collectSecret(secretArn, 0);
    const redactor = new Redactor(values);
    this.redactors.set(secretArn, { fingerprint, redactor });
    return redactor;
  }

  /** Starts the rotations whose NextRotationDate has passed. */
  checkSchedules(): void {
    if (this.closed) return;
    const { store } = this.options;
    const now = this.options.now();
    for (const secret of store.withRotation()) {
      const state = rotationState(secret.rotation);
      if (!state?.RotationEnabled || state.NextRotationDate === undefined || secret.deletedAt !== undefined) {
        continue;
      }
      if (state.NextRotationDate * 1000 > now || this.running.has(secret.arn)) continue;
      if (state.lastFailedAt !== undefined && now - state.lastFailedAt < SCHEDULED_RETRY_MS) continue;
      const lambdaArn = state.RotationLambdaARN;
      if (lambdaArn === undefined) continue;
      try {
        const versionId = preparePending(store, secret.arn, randomUUID(), now);
        this.start(secret.arn, lambdaArn, versionId, ALL_STEPS);
        const running = this.running.get(secret.arn);
        void running?.done.then((outcome) => {
          if (outcome.outcome === 'success') return;
          const latest = store.findByArn(secret.arn);
          const latestState = rotationState(latest?.rotation);
          if (!latest || !latestState) return;
          store.updateSecret(secret.arn, {
            rotation: { ...latestState, lastFailedAt: this.options.now() } as unknown as Record<
              string,
              unknown
            >,
          });
        });
      } catch (error) {
        this.options.onInternalError(error);
      }
    }
  }

  /** Stops every running function; their rotations end as failed (AWSPENDING stays for a later attempt). */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.running.values()];
    for (const entry of running) entry.child?.kill('SIGKILL');
    await Promise.all(running.map((entry) => entry.done));
  }
}
