/**
 * The web console: server-rendered pages under /console on the server's own port, for looking at
 * secrets, versions, labels, rotation and the audit trail, and for the few changes people make by
 * hand. It reads and writes only through the API (see api.ts), as its own principal.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { Credential, CredentialRegistry } from '../auth/credentials.js';
import { ADMIN_POLICY } from '../auth/policy.js';
import type { RegionSet } from '../protocol/regions.js';
import type { WireHandler } from '../protocol/wire.js';
import { ACTIONS, type Action, runAction } from './actions.js';
import { ConsoleApi, ConsoleApiError } from './api.js';
import { type Assets, loadAssets } from './assets.js';
import { type AuditFilter, auditMatches, readAuditFilter } from './audit-filter.js';
import type { PageContext } from './context.js';
import { type Html, html, renderHtml } from './html.js';
import { auditPage } from './pages/audit.js';
import { credentialsPage } from './pages/credentials.js';
import { bare } from './pages/layout.js';
import { secretPage } from './pages/secret.js';
import { secretsPage } from './pages/secrets.js';
import { revealVersion } from './reveal.js';
import { csrfMatches, HostCheck, SECURITY_HEADERS, type Session, Sessions, sameOrigin } from './security.js';

/** The user the console acts as unless told otherwise. */
const CONSOLE_USER = 'coffer-console';
/** Bodies of the console's forms (a value is at most 64 KiB, three times that when URL-encoded). */
const MAX_FORM_BYTES = 256 * 1024;
const HEARTBEAT_MS = 15_000;

export interface ConsoleOptions {
  /**
   * The credential the console acts as: its identity policy decides what the console may see and do,
   * and the audit log names it. @default 'coffer-console', created with full access on first start
   */
  userName?: string;
  /** Host names the browser may use besides the listen address (e.g. one in /etc/hosts). @default none */
  allowedHosts?: readonly string[];
}

export interface ConsoleParts {
  handle: WireHandler['handle'];
  credentials: CredentialRegistry;
  audit: AuditLog;
  regions: RegionSet;
  defaultRegion: string;
  isRotating: (arn: string) => boolean;
  /** The regions that hold secrets. */
  secretRegions: () => string[];
  onInternalError: (error: unknown) => void;
}

interface Listening {
  hosts: HostCheck;
  sessions: Sessions;
  api: ConsoleApi;
  base: string;
}

/** Whether a request is the console's: `/console`, `/console/...` or `/console?...`. */
export const isConsolePath = (url: string | undefined): boolean =>
  url?.startsWith('/console') === true && (url.length === 8 || url[8] === '/' || url[8] === '?');

export class WebConsole {
  private readonly assets: Assets;
  private readonly userName: string;
  private listening: Listening | undefined;
  private readonly streams = new Set<ServerResponse>();

  constructor(
    private readonly parts: ConsoleParts,
    private readonly options: ConsoleOptions = {},
  ) {
    this.assets = loadAssets();
    this.userName = options.userName ?? CONSOLE_USER;
    if (
      options.userName !== undefined &&
      !parts.credentials.list().some((c) => c.userName === options.userName)
    ) {
      throw new TypeError(
        `The console cannot act as ${options.userName}: no credential has that user name (add it with \`coffer credentials add\`).`,
      );
    }
  }

  /**
   * The console's credential: the named one, or coffer-console, created when the console is first used
   * (a server whose console nobody opens gets no extra credential).
   */
  private credential(): Credential {
    const found = this.parts.credentials.list().find((c) => c.userName === this.userName);
    if (found !== undefined) return found;
    if (this.userName !== CONSOLE_USER) {
      throw new ConsoleApiError(
        'UnrecognizedClientException',
        `The credential ${this.userName} was removed.`,
        403,
      );
    }
    return this.parts.credentials.add({ userName: CONSOLE_USER, policy: ADMIN_POLICY });
  }

  /** Called once the server listens: the Host the console answers to, and its cookie's name, depend on it. */
  listen(endpoint: string, listenHost: string, port: number): void {
    const host = new URL(endpoint).host;
    this.listening = {
      hosts: new HostCheck(listenHost, port, this.options.allowedHosts),
      sessions: new Sessions(port),
      api: new ConsoleApi({ handle: this.parts.handle, credential: () => this.credential(), host }),
      base: `${endpoint.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:')}/console`,
    };
  }

  private get live(): Listening {
    if (this.listening === undefined) throw new Error('The console is not listening yet.');
    return this.listening;
  }

  /** The console's address, e.g. `http://127.0.0.1:4584/console`. */
  get url(): string {
    return this.live.base;
  }

  /** A fresh one-time sign-in link: opening it starts a browser session (the link then stops working). */
  loginUrl(): string {
    return `${this.live.base}/login?token=${this.live.sessions.newLoginToken()}`;
  }

  /** Ends every audit stream (before the server drops its connections). */
  close(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  /** Answers one console request. Never throws. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => {
      if (error instanceof ConsoleApiError && !res.headersSent) {
        // The console's own credential was refused (removed while the server runs, say).
        this.page(
          res,
          error.status,
          this.message('The console cannot act', `${error.code}: ${error.message}`),
        );
        return;
      }
      this.parts.onInternalError(error);
      if (!res.headersSent)
        this.page(
          res,
          500,
          this.message(
            'Something went wrong',
            'The console hit an internal error; the server log has the details.',
          ),
        );
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { hosts, sessions } = this.live;
    const host = req.headers.host;
    if (!hosts.allows(host)) {
      // DNS rebinding: a page from another site that reached this port through its own name.
      this.text(
        res,
        403,
        'This console answers only at the address it listens on (the Host header does not match).',
      );
      return;
    }
    const url = new URL(req.url ?? '/console', 'http://console.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/console';
    const now = Date.now();

    if (path.startsWith('/console/assets/')) {
      this.asset(req, res, url.pathname);
      return;
    }
    if (path === '/console/login' && method === 'GET') {
      const token = url.searchParams.get('token') ?? '';
      const redeemed = token === '' ? undefined : sessions.redeem(token, now);
      if (redeemed === undefined && sessions.find(req.headers.cookie, now) !== undefined) {
        // A spent link opened again in a browser that is signed in already: nothing to refuse.
        this.redirect(res, '/console/secrets');
        return;
      }
      if (redeemed === undefined) {
        this.page(res, 401, this.signInNeeded(token !== ''));
        return;
      }
      res.writeHead(
        303,
        this.headers({ location: '/console/secrets', 'set-cookie': sessions.setCookie(redeemed.cookie) }),
      );
      res.end();
      return;
    }
    const session = sessions.find(req.headers.cookie, now);
    if (session === undefined) {
      this.page(res, 401, this.signInNeeded(false));
      return;
    }
    if (method === 'POST') {
      await this.post(req, res, session, path, host as string);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      this.text(res, 405, 'Method not allowed.');
      return;
    }
    const ctx = this.context(req, session);
    switch (path) {
      case '/console':
        this.redirect(res, '/console/secrets');
        return;
      case '/console/secrets':
        this.page(res, 200, await secretsPage(ctx, url.searchParams));
        return;
      case '/console/secret': {
        const arn = url.searchParams.get('arn') ?? '';
        const page = arn.startsWith('arn:')
          ? await secretPage(ctx, arn, { deprecated: url.searchParams.get('deprecated') === 'yes' })
          : undefined;
        if (page === undefined)
          this.page(res, 404, this.notFound(ctx, 'No such secret (or it was deleted).'));
        else this.page(res, 200, page);
        return;
      }
      case '/console/audit':
        this.page(res, 200, auditPage(ctx, readAuditFilter(url.searchParams)));
        return;
      case '/console/audit/stream':
        this.stream(
          req,
          res,
          readAuditFilter(url.searchParams),
          req.headers['last-event-id']?.toString() ?? url.searchParams.get('after') ?? '',
        );
        return;
      case '/console/credentials':
        this.page(res, 200, credentialsPage(ctx, this.parts.credentials.list(), this.userName));
        return;
      default:
        this.page(res, 404, this.notFound(ctx, 'There is no such page.'));
    }
  }

  private async post(
    req: IncomingMessage,
    res: ServerResponse,
    session: Session,
    path: string,
    host: string,
  ): Promise<void> {
    if (!sameOrigin(req.headers, host)) {
      req.resume();
      this.text(res, 403, 'Refused: a change must come from the console itself (cross-origin request).');
      return;
    }
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      req.resume();
      this.text(res, 415, 'Send the form as application/x-www-form-urlencoded.');
      return;
    }
    const form = await readForm(req);
    if (form === undefined) {
      this.text(res, 413, `The form is larger than ${MAX_FORM_BYTES} bytes.`);
      return;
    }
    const submitted = req.headers['x-csrf-token']?.toString() ?? form.get('_csrf') ?? undefined;
    if (!csrfMatches(session, submitted)) {
      this.text(
        res,
        403,
        'Refused: the form is stale or did not come from this console (CSRF token). Reload the page.',
      );
      return;
    }
    const ctx = this.context(req, session);
    if (path === '/console/logout') {
      this.live.sessions.end(req.headers.cookie);
      this.page(
        res,
        200,
        this.message(
          'Signed out',
          'You are signed out. A new session needs a new sign-in link: restart coffer serve, or call console.loginUrl() on the server from code.',
        ),
        {
          'set-cookie': this.live.sessions.clearCookie(),
        },
      );
      return;
    }
    if (path === '/console/secret/reveal') {
      await this.reveal(req, res, ctx, form);
      return;
    }
    const action = path.startsWith('/console/secret/') ? path.slice('/console/secret/'.length) : '';
    if (!(ACTIONS as readonly string[]).includes(action)) {
      this.page(res, 404, this.notFound(ctx, 'There is no such action.'));
      return;
    }
    const result = await runAction(ctx, action as Action, form);
    session.flash = result.flash;
    this.redirect(res, result.redirect);
  }

  private async reveal(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: PageContext,
    form: URLSearchParams,
  ): Promise<void> {
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    const arn = form.get('arn') ?? '';
    const versionId = form.get('version') ?? '';
    try {
      const revealed = await revealVersion(ctx, arn, versionId);
      if (wantsJson) {
        this.json(res, 200, revealed);
        return;
      }
      const page = await secretPage(ctx, arn, { deprecated: true, revealed });
      if (page === undefined) this.page(res, 404, this.notFound(ctx, 'No such secret (or it was deleted).'));
      else this.page(res, 200, page);
    } catch (error) {
      if (!(error instanceof ConsoleApiError)) throw error;
      const text = `${error.code}: ${error.message}`;
      if (wantsJson) this.json(res, error.status, { error: text });
      else {
        ctx.chrome.flash = { kind: 'error', text };
        const page = await secretPage(ctx, arn, { deprecated: false });
        this.page(res, error.status, page ?? this.notFound(ctx, text));
      }
    }
  }

  private context(req: IncomingMessage, session: Session): PageContext {
    const flash = session.flash;
    session.flash = undefined;
    const { parts } = this;
    return {
      api: this.live.api,
      sourceIp: req.socket.remoteAddress ?? 'unknown',
      chrome: {
        principal: this.credential().principalArn,
        csrf: session.csrf,
        styleUrl: this.assets.style.url,
        scriptUrl: this.assets.script.url,
        iconUrl: this.assets.icon.url,
        flash,
      },
      defaultRegion: parts.defaultRegion,
      regionChoices: () => {
        const set = new Set([parts.defaultRegion, ...parts.secretRegions(), ...(parts.regions.list() ?? [])]);
        return [...set].sort();
      },
      audit: parts.audit,
      isRotating: parts.isRotating,
    };
  }

  /** Server-sent events: the audit entries after `after` that pass the filter, then each new one as it is recorded. */
  private stream(req: IncomingMessage, res: ServerResponse, filter: AuditFilter, after: string): void {
    res.writeHead(
      200,
      this.headers({ 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' }),
    );
    res.write('retry: 2000\n\n');
    const send = (entry: AuditEntry) => {
      if (auditMatches(filter, entry))
        res.write(`id: ${entry.requestId}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`);
    };
    if (after !== '') {
      const recent = this.parts.audit.recent();
      const at = recent.findIndex((e) => e.requestId === after);
      if (at >= 0) for (const entry of recent.slice(at + 1)) send(entry);
    }
    const unsubscribe = this.parts.audit.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    this.streams.add(res);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  private asset(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const asset = this.assets.byUrl(pathname);
    if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      this.text(res, 404, 'Not found.');
      return;
    }
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding']?.toString() ?? '');
    const body = gzip ? asset.gzipped : asset.body;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': body.length,
      // Named by content hash: a new build is a new URL.
      'cache-control': 'private, max-age=31536000, immutable',
      vary: 'accept-encoding',
      ...(gzip && { 'content-encoding': 'gzip' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * Every page and answer: the security headers, and no caching anywhere (any page may show a value). Built
   * just before an answer is sent, so it first writes the audit lines of the API calls behind the answer, as
   * the API's own answers do: what a page showed is in the audit file before the page is.
   */
  private headers(extra: Record<string, string> = {}): Record<string, string> {
    this.parts.audit.flush();
    return { ...SECURITY_HEADERS, 'cache-control': 'no-store', ...extra };
  }

  private page(res: ServerResponse, status: number, page: Html, extra: Record<string, string> = {}): void {
    const body = renderHtml(page);
    res.writeHead(
      status,
      this.headers({
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        ...extra,
      }),
    );
    res.end(body);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(
      status,
      this.headers({
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      }),
    );
    res.end(body);
  }

  private text(res: ServerResponse, status: number, text: string): void {
    res.writeHead(
      status,
      this.headers({
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
      }),
    );
    res.end(text);
  }

  private redirect(res: ServerResponse, location: string): void {
    res.writeHead(303, this.headers({ location }));
    res.end();
  }

  private message(title: string, text: string): Html {
    return bare(this.assets.style.url, this.assets.icon.url, title, html`<p>${text}</p>`);
  }

  private signInNeeded(tokenRefused: boolean): Html {
    return bare(
      this.assets.style.url,
      this.assets.icon.url,
      'Sign in to the console',
      html`${tokenRefused ? html`<p class="flash error" role="alert">That sign-in link was already used or is not valid.</p>` : ''}
<p>Open the one-time link that <code>coffer serve</code> printed when it started (<code>…/console/login?token=…</code>). Each link starts one browser session and then stops working.</p>
<p>Lost it? Restart <code>coffer serve</code>, or call <code>loginUrl()</code> on the server's <code>console</code> from code.</p>`,
    );
  }

  private notFound(ctx: PageContext, text: string): Html {
    return bare(
      this.assets.style.url,
      this.assets.icon.url,
      'Not found',
      html`<p>${text}</p><p><a href="/console/secrets">Secrets in ${ctx.defaultRegion}</a></p>`,
    );
  }
}

/** Reads a URL-encoded form, or undefined when it is larger than the bound. */
function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () =>
      resolve(tooLarge ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    );
  });
}
