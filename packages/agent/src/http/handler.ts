import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Filter } from '@aws-sdk/client-secrets-manager';
import {
  type CofferError,
  getDescription,
  getMany,
  InvalidSecretFormatError,
  SecretBatchError,
  type SecretCache,
  type SecretResult,
  type VersionSelector,
} from 'coffer';
import type { Caches, Scope } from '../caches.js';
import { isFilterKey, secretNames } from '../listing.js';
import type { AgentMetrics } from '../metrics.js';
import type { AgentSettings } from '../options.js';
import type { AccessLogEntry } from './access-log.js';
import { answerForError, getSecretValueBody, HttpAnswer } from './answers.js';
import { checkRoleArn, pathRequest, queryRequest, type SecretRequest } from './request.js';

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** What a request's handling learnt, for the access log. */
interface Notes {
  route: string;
  secretId?: string | undefined;
  roleArn?: string | undefined;
  cache?: AccessLogEntry['cache'];
}

const ROUTES = new Set([
  '/ping',
  '/secretsmanager/get',
  '/secretsmanager/batch',
  '/secretsmanager/describe',
  '/secretsmanager/refresh',
  '/metrics',
]);
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const json = (value: unknown, status = 200): Reply => ({
  status,
  body: JSON.stringify(value),
  contentType: JSON_TYPE,
});
const utf8 = new TextDecoder();

/** Dates as the Secrets Manager wire format has them: seconds since the epoch. */
const wireDates = (_key: string, value: unknown): unknown =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)
    ? Date.parse(value) / 1000
    : value;

/**
 * Answers the agent's HTTP requests. The checks run in AWS's agent's order (connection limit, then token and
 * forwarding, then method), so every refusal has the status and body clients of that agent expect.
 */
export class AgentHandler {
  /** Each cached result's JSON answer, made once per value rather than once per request. */
  readonly #bodies = new WeakMap<SecretResult<unknown>, string>();

  constructor(
    private readonly settings: AgentSettings,
    private readonly caches: Caches,
    private readonly metrics: AgentMetrics,
    private readonly checkToken: (candidate: string) => boolean,
    private readonly openConnections: () => number,
    private readonly accessLog: ((entry: AccessLogEntry) => void) | undefined,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const notes: Notes = { route: this.#routeName(path) };
    let reply: Reply;
    try {
      const early = this.#refusal(req, path);
      if (early !== undefined) {
        reply = early;
      } else {
        const outcome = this.#route(
          req.method ?? 'GET',
          path,
          new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
          notes,
        );
        if (outcome instanceof Promise) {
          outcome.then(
            (r) => this.#send(req, res, r, notes, started),
            (error: unknown) => this.#send(req, res, this.#errorReply(error, notes), notes, started),
          );
          return;
        }
        reply = outcome;
      }
    } catch (error) {
      reply = this.#errorReply(error, notes);
    }
    this.#send(req, res, reply, notes, started);
  };

  /** The route as metrics and the access log name it: never the secret id a path carries. */
  #routeName(path: string): string {
    if (ROUTES.has(path)) return path;
    return path.startsWith(this.settings.pathPrefix) ? this.settings.pathPrefix : 'other';
  }

  #refusal(req: IncomingMessage, path: string): Reply | undefined {
    const ping = path === '/ping';
    // Two connections beyond the limit are kept for health checks, as AWS's agent does.
    if (this.openConnections() > this.settings.maxConnections + (ping ? 2 : 0))
      return textReply(429, 'Connection limit exceeded');
    if (ping) return undefined;
    if (req.headers['x-forwarded-for'] !== undefined) return textReply(400, 'Forwarded');
    if (!this.#hasToken(req)) return textReply(403, 'Bad Token');
    const method = req.method;
    if (method !== 'GET' && !(method === 'POST' && path === '/secretsmanager/refresh'))
      return textReply(405, 'Not allowed');
    return undefined;
  }

  #hasToken(req: IncomingMessage): boolean {
    for (const header of this.settings.tokenHeaders) {
      const value = req.headers[header];
      if (typeof value === 'string' && this.checkToken(value)) return true;
    }
    return false;
  }

  #route(method: string, path: string, params: URLSearchParams, notes: Notes): Promise<Reply> | Reply {
    if (path === '/ping') return textReply(200, 'healthy');
    if (path === '/secretsmanager/get') return this.#read(queryRequest(params), notes);
    if (path.startsWith(this.settings.pathPrefix))
      return this.#read(pathRequest(path, this.settings.pathPrefix, params), notes);
    switch (path) {
      case '/secretsmanager/batch':
        return this.#batch(params, notes);
      case '/secretsmanager/describe':
        return this.#describe(queryRequest(params), notes);
      case '/secretsmanager/refresh':
        if (method !== 'POST') return textReply(405, 'Not allowed');
        return this.#refresh(params, notes);
      case '/metrics':
        return this.metrics
          .text()
          .then((body) => ({ status: 200, body, contentType: this.metrics.registry.contentType }));
      default:
        return textReply(404, 'Not found');
    }
  }

  async #read(request: SecretRequest, notes: Notes): Promise<Reply> {
    const { secretId, versionId, versionStage, refreshNow, roleArn, key } = request;
    notes.secretId = secretId;
    notes.roleArn = roleArn;
    const { cache } = await this.caches.for(roleArn);
    const version: VersionSelector = {
      ...(versionId !== undefined && { versionId }),
      ...(versionStage !== undefined && { versionStage }),
    };
    const plain = versionId === undefined && versionStage === undefined;
    // ttl_seconds = 0 means no caching: every read asks Secrets Manager (concurrent ones still share a call).
    const fetchNow = refreshNow || this.settings.ttlSeconds === 0;
    // Hit or miss only matters to the access log: without one, no extra lookup.
    if (this.accessLog !== undefined)
      notes.cache = fetchNow ? 'refresh' : cache.peek(secretId, version) === undefined ? 'miss' : 'hit';
    try {
      if (key !== undefined) {
        const options = { ...version, as: 'json' as const };
        const result = fetchNow ? await cache.refresh(secretId, options) : await cache.get(secretId, options);
        return this.#withStaleness(
          keyReply(result, secretId, key),
          cache,
          secretId,
          version,
          fetchNow,
          notes,
        );
      }
      let result: SecretResult<string | Uint8Array>;
      try {
        result = fetchNow
          ? await cache.refresh(secretId, version)
          : plain
            ? await cache.get(secretId)
            : await cache.get(secretId, version);
      } catch (error) {
        // A SecretBinary that is not UTF-8 text cannot be read as a string; it is answered as bytes below.
        if (!(error instanceof InvalidSecretFormatError)) throw error;
        result = await cache.get(secretId, { ...version, as: 'bytes' });
      }
      if (result.storedAs === 'binary') result = await cache.get(secretId, { ...version, as: 'bytes' });
      let body = this.#bodies.get(result);
      if (body === undefined) {
        body = JSON.stringify(getSecretValueBody(result));
        this.#bodies.set(result, body);
      }
      return this.#withStaleness(
        { status: 200, body, contentType: JSON_TYPE },
        cache,
        secretId,
        version,
        fetchNow,
        notes,
      );
    } catch (error) {
      throw answerForError(error, cache.staleSince(secretId, version));
    }
  }

  /** Coffer extension: a value served past its TTL (Secrets Manager failing) says so, and since when. */
  #withStaleness(
    reply: Reply,
    cache: SecretCache,
    secretId: string,
    version: VersionSelector,
    fetchedNow: boolean,
    notes: Notes,
  ): Reply {
    if (fetchedNow) return reply;
    const since = cache.staleSince(secretId, version);
    if (since === undefined) return reply;
    notes.cache = 'stale';
    return { ...reply, headers: { 'X-Coffer-Stale-Since': since.toISOString() } };
  }

  /** Coffer extension: several secrets at once, named or by filter, in BatchGetSecretValue's shape. */
  async #batch(params: URLSearchParams, notes: Notes): Promise<Reply> {
    const ids: string[] = [];
    const filters = new Map<string, string[]>();
    let roleArn: string | undefined;
    for (const [name, value] of params) {
      if (name === 'secretId') ids.push(value);
      else if (name === 'roleArn') roleArn = value;
      else if (name === 'filter') {
        const at = value.indexOf(':');
        const filterKey = at < 0 ? value : value.slice(0, at);
        if (!isFilterKey(filterKey))
          throw HttpAnswer.text(
            400,
            `invalid filter ${JSON.stringify(value)}: use <key>:<value>, key one of tag-key, tag-value, name, description, primary-region, owning-service, all`,
          );
        filters.set(filterKey, [...(filters.get(filterKey) ?? []), at < 0 ? '' : value.slice(at + 1)]);
      } else throw HttpAnswer.text(400, `unknown parameter: ${name}`);
    }
    checkRoleArn(roleArn);
    notes.roleArn = roleArn;
    if (ids.length === 0 && filters.size === 0)
      throw HttpAnswer.text(400, 'missing parameter secretId or filter');
    const scope: Scope = await this.caches.for(roleArn);
    try {
      const wanted = new Set(ids);
      if (filters.size > 0) {
        const list: Filter[] = [...filters].map(([Key, Values]) => ({ Key: Key as Filter['Key'], Values }));
        const names = await secretNames(scope.client, list, this.settings.cacheSize, (ok) =>
          this.metrics.upstreamCall('ListSecrets', ok),
        );
        for (const name of names) wanted.add(name);
      }
      if (wanted.size > this.settings.cacheSize)
        throw HttpAnswer.text(
          400,
          `too many secrets in one batch (at most cache_size, ${this.settings.cacheSize})`,
        );
      const secretIds = [...wanted];
      let results: ReadonlyMap<string, SecretResult<Uint8Array>>;
      let errors: ReadonlyMap<string, CofferError> = new Map();
      try {
        const all = secretIds.length === 0 ? [] : await getMany(scope.cache, secretIds, { as: 'bytes' });
        results = new Map(all.map((r, i) => [secretIds[i] as string, r]));
      } catch (error) {
        if (!(error instanceof SecretBatchError)) throw error;
        results = error.results as ReadonlyMap<string, SecretResult<Uint8Array>>;
        errors = error.errors;
      }
      return json({
        SecretValues: [...results.values()].map((r) =>
          getSecretValueBody(
            r.storedAs === 'binary' ? r : { ...r, value: r.value.map((bytes) => utf8.decode(bytes)) },
          ),
        ),
        Errors: [...errors].map(([SecretId, error]) => ({ SecretId, ...batchError(error) })),
      });
    } catch (error) {
      throw answerForError(error);
    }
  }

  /** Coffer extension: DescribeSecret's answer (metadata, never a value), cached like values. */
  async #describe(request: SecretRequest, notes: Notes): Promise<Reply> {
    const { secretId, roleArn, refreshNow } = request;
    notes.secretId = secretId;
    notes.roleArn = roleArn;
    if (request.key !== undefined || request.versionId !== undefined || request.versionStage !== undefined)
      throw HttpAnswer.text(400, 'describe takes secretId, roleArn and refreshNow only');
    const { cache } = await this.caches.for(roleArn);
    try {
      const description = await getDescription(cache, secretId, {
        refresh: refreshNow || this.settings.ttlSeconds === 0,
      });
      return { status: 200, body: JSON.stringify(description, wireDates), contentType: JSON_TYPE };
    } catch (error) {
      throw answerForError(error);
    }
  }

  /**
   * Coffer extension: a rotation hook says a secret changed. Every cache drops it (all versions, stages and its
   * description); one that held its AWSCURRENT value fetches it again at once, so readers never wait.
   */
  async #refresh(params: URLSearchParams, notes: Notes): Promise<Reply> {
    const request = queryRequest(params);
    const { secretId } = request;
    notes.secretId = secretId;
    notes.roleArn = request.roleArn;
    const scopes =
      request.roleArn === undefined ? await this.caches.all() : [await this.caches.for(request.roleArn)];
    let versionId: string | undefined;
    try {
      for (const { cache } of scopes) {
        const held = cache.peek(secretId) !== undefined;
        cache.invalidate(secretId);
        if (held) versionId = (await cache.get(secretId)).versionId;
      }
    } catch (error) {
      throw answerForError(error);
    }
    return json({
      SecretId: secretId,
      Refreshed: versionId !== undefined,
      ...(versionId !== undefined && { VersionId: versionId }),
    });
  }

  #errorReply(error: unknown, notes: Notes): Reply {
    const answer = answerForError(error);
    notes.cache = notes.cache === 'hit' ? undefined : notes.cache;
    return {
      status: answer.status,
      body: answer.body,
      contentType: answer.body.startsWith('{') ? JSON_TYPE : TEXT_TYPE,
      headers: { ...answer.headers },
    };
  }

  #send(req: IncomingMessage, res: ServerResponse, reply: Reply, notes: Notes, started: number): void {
    // A body sent with a request is never read; drain it so the connection can be reused.
    if (req.readable) req.resume();
    // A length, not chunked encoding: headers and body then leave in one write.
    res.writeHead(reply.status, {
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body),
      ...reply.headers,
    });
    res.end(reply.body);
    const seconds = (performance.now() - started) / 1000;
    this.metrics.request(notes.route, reply.status, seconds);
    if (this.accessLog !== undefined) {
      this.accessLog({
        time: new Date().toISOString(),
        method: req.method ?? 'GET',
        route: notes.route,
        status: reply.status,
        durationMs: Math.round(seconds * 100_000) / 100,
        ...(notes.secretId !== undefined && { secretId: notes.secretId }),
        ...(notes.roleArn !== undefined && { roleArn: notes.roleArn }),
        ...(notes.cache !== undefined && reply.status === 200 && { cache: notes.cache }),
        ...(reply.status >= 400 && { error: errorType(reply) }),
      });
    }
  }
}

const textReply = (status: number, text: string): Reply => ({ status, body: text, contentType: TEXT_TYPE });

function errorType(reply: Reply): string {
  if (!reply.body.startsWith('{')) return reply.body;
  try {
    return (JSON.parse(reply.body) as { __type?: string }).__type ?? 'Error';
  } catch {
    return 'Error';
  }
}

/** A secret's failure in a batch: Secrets Manager's own error code and message where it gave them. */
function batchError(error: CofferError): { ErrorCode: string; Message: string } {
  const cause = error.cause as { name?: string; message?: string } | undefined;
  if (cause?.name !== undefined && cause.name !== 'Error')
    return { ErrorCode: cause.name, Message: cause.message ?? '' };
  const answer = JSON.parse(answerForError(error).body) as { __type: string; message?: string };
  return { ErrorCode: answer.__type, Message: answer.message ?? '' };
}

/** Coffer extension (`key=`): one key of a JSON secret, a string as plain text, anything else as JSON. */
function keyReply(result: SecretResult<Record<string, unknown>>, secretId: string, key: string): Reply {
  const parsed: unknown = result.value.reveal();
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw HttpAnswer.json(
      400,
      'InvalidSecretFormatException',
      `Secret "${secretId}" is not a JSON object: read it without key.`,
    );
  if (!Object.hasOwn(parsed, key))
    throw HttpAnswer.json(404, 'KeyNotFoundException', `Secret "${secretId}" has no key "${key}".`);
  const value = (parsed as Record<string, unknown>)[key];
  return typeof value === 'string'
    ? { status: 200, body: value, contentType: TEXT_TYPE }
    : { status: 200, body: JSON.stringify(value), contentType: JSON_TYPE };
}
