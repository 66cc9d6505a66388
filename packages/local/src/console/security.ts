/**
 * What keeps a local web console to the person who started the server: one-time login tokens that
 * become an HttpOnly, SameSite=Strict session cookie; the Host header checked against the listen
 * address (DNS rebinding); the Origin of every state-changing request checked, plus a CSRF token; and
 * the headers every answer carries (a CSP without inline scripts, no caching, no framing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Sent with every console answer. Pages add `Cache-Control: no-store`; hashed assets may be cached. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it Chromium sends `Origin: null` even with same-origin form posts.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * The Host values a browser sends to reach this server: the listen address, `localhost` when it is a
 * loopback address, every local interface's address when it listens on all of them, and the names
 * given in `allowedHosts`. A name that merely resolves here (a rebinding attacker's domain) is refused.
 */
export class HostCheck {
  private readonly allowed = new Set<string>();

  constructor(listenHost: string, port: number, allowedHosts: readonly string[] = []) {
    const names = new Set<string>(allowedHosts.map((h) => h.toLowerCase()));
    const host = listenHost.replace(/^\[|\]$/g, '').toLowerCase();
    if (WILDCARD.has(host)) {
      names.add('localhost');
      for (const list of Object.values(networkInterfaces())) {
        for (const address of list ?? []) names.add(address.address.toLowerCase());
      }
    } else {
      names.add(host);
      if (LOOPBACK.has(host) || host.startsWith('127.')) names.add('localhost');
    }
    for (const name of names) {
      const shown = isIP(name) === 6 ? `[${name}]` : name;
      this.allowed.add(`${shown}:${port}`);
      // Browsers leave out the default port.
      if (port === 80) this.allowed.add(shown);
    }
  }

  allows(hostHeader: string | undefined): boolean {
    return hostHeader !== undefined && this.allowed.has(hostHeader.toLowerCase());
  }
}

/**
 * Whether a state-changing request comes from the console's own pages: its Origin (else the origin of
 * its Referer) must be this very host, and a browser's Sec-Fetch-Site, when sent, must say same-origin.
 */
export function sameOrigin(headers: Record<string, string | string[] | undefined>, host: string): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return false;
  const expected = `http://${host.toLowerCase()}`;
  const origin = headers.origin;
  if (typeof origin === 'string') return origin.toLowerCase() === expected;
  const referer = headers.referer;
  if (typeof referer !== 'string') return false;
  try {
    return new URL(referer).origin.toLowerCase() === expected;
  } catch {
    return false;
  }
}

/** A one-shot notice shown on the next page (never a value: only names, version ids and error messages). */
export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

export interface Session {
  /** Sent in forms (`_csrf`) and by the page's script (`x-csrf-token`) with every state-changing request. */
  readonly csrf: string;
  lastSeen: number;
  flash?: Flash | undefined;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');
const newToken = (): string => randomBytes(32).toString('base64url');

/** Sessions end after this long without a request. */
const IDLE_MS = 12 * 3_600_000;
/** Bounded: the oldest session goes first. */
const MAX_SESSIONS = 64;
const MAX_LOGIN_TOKENS = 16;

/** Login tokens and sessions, in memory only (kept by their SHA-256, so a lookup compares no secret). */
export class Sessions {
  private readonly loginTokens = new Set<string>();
  private readonly sessions = new Map<string, Session>();
  readonly cookieName: string;

  constructor(port: number) {
    // One name per port: cookies are shared by every port of a host, and two servers must not collide.
    this.cookieName = `coffer_console_${port}`;
  }

  /** A new one-time login token; unused ones stay valid until used or the server stops (the newest 16). */
  newLoginToken(): string {
    const token = newToken();
    if (this.loginTokens.size >= MAX_LOGIN_TOKENS) {
      const oldest = this.loginTokens.values().next().value;
      if (oldest !== undefined) this.loginTokens.delete(oldest);
    }
    this.loginTokens.add(digest(token));
    return token;
  }

  /** Spends a login token: a new session and its cookie value, or undefined for an unknown or used token. */
  redeem(token: string, now: number): { cookie: string; session: Session } | undefined {
    const key = digest(token);
    if (!this.loginTokens.delete(key)) return undefined;
    const cookie = newToken();
    const session: Session = { csrf: newToken(), lastSeen: now };
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    this.sessions.set(digest(cookie), session);
    return { cookie, session };
  }

  /** The session a request's Cookie header names, if it is alive. */
  find(cookieHeader: string | undefined, now: number): Session | undefined {
    const value = cookieValue(cookieHeader, this.cookieName);
    if (value === undefined) return undefined;
    const key = digest(value);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (now - session.lastSeen > IDLE_MS) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeen = now;
    // Most recently used last, so the bound drops the least recently used.
    this.sessions.delete(key);
    this.sessions.set(key, session);
    return session;
  }

  end(cookieHeader: string | undefined): void {
    const value = cookieValue(cookieHeader, this.cookieName);
    if (value !== undefined) this.sessions.delete(digest(value));
  }

  setCookie(value: string): string {
    return `${this.cookieName}=${value}; Path=/console; HttpOnly; SameSite=Strict`;
  }

  clearCookie(): string {
    return `${this.cookieName}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Compares a submitted CSRF token with the session's in constant time. */
export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  if (submitted === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
