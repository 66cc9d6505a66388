/**
 * The web console's HTTP contract, without a browser: who gets in (one-time token, session cookie),
 * which requests are refused (wrong Host, cross-origin or CSRF-less changes), the headers every answer
 * carries, and that its reads and changes are API calls by its own principal, audited, that never put
 * a value in a page before Reveal. The browser tests (packages/cli/test/console-browser.test.ts) drive
 * the same pages in Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { canary, clientFor, createSecret, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const CONSOLE_PRINCIPAL = 'arn:aws:iam::123456789012:user/coffer-console';

describe('the web console over HTTP', () => {
  let server: LocalSecretsManager;
  let origin: string;
  let secretArn: string;
  let versionId: string;
  const value = canary();
  const answers: Answer[] = [];

  const signIn = async (): Promise<{ cookie: string; csrf: string }> => {
    const login = await send(server.console?.loginUrl() ?? '');
    expect(login.status).toBe(303);
    const setCookie = String(login.headers['set-cookie']);
    const page = await send(`${origin}/console/secrets`, {
      headers: { cookie: setCookie.split(';')[0] ?? '' },
    });
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return { cookie: setCookie.split(';')[0] ?? '', csrf };
  };

  const get = async (path: string, cookie: string, headers: Record<string, string> = {}) => {
    const answer = await send(`${origin}${path}`, { headers: { cookie, ...headers } });
    answers.push(answer);
    return answer;
  };

  const post = async (
    path: string,
    cookie: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const answer = await send(`${origin}${path}`, {
      method: 'POST',
      headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    answers.push(answer);
    return answer;
  };

  beforeAll(async () => {
    server = await startTestServer({ console: true });
    origin = new URL(server.endpoint).origin;
    const created = await createSecret(clientFor(server), {
      Name: 'console/app-db',
      Description: 'The app database',
      SecretString: JSON.stringify({ username: 'app', password: value }),
      Tags: [{ Key: 'team', Value: 'payments' }],
    });
    secretArn = created.arn;
    versionId = created.versionId;
  });
  afterAll(async () => {
    // Every answer the console gave, but the reveal itself, holds no value, in its headers or its body.
    for (const answer of answers) {
      expect(JSON.stringify(answer.headers)).not.toContain(value);
    }
    await server.close();
  });

  it('is off unless asked for, and answers nothing at /console then', async () => {
    const plain = await startTestServer();
    try {
      expect(plain.console).toBeUndefined();
      const answer = await send(`${plain.endpoint}/console/secrets`);
      expect(answer.body).not.toContain('<html');
    } finally {
      await plain.close();
    }
  });

  it('lets in only with a one-time token, which becomes an HttpOnly, SameSite=Strict session cookie', async () => {
    const without = await get('/console/secrets', '');
    expect(without.status).toBe(401);
    expect(without.body).not.toContain('console/app-db');
    const wrong = await get('/console/login?token=not-a-token', '');
    expect(wrong.status).toBe(401);

    const link = server.console?.loginUrl() ?? '';
    const first = await send(link);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/console/secrets');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^coffer_console_\d+=[\w-]{40,}; Path=\/console; HttpOnly; SameSite=Strict$/);
    // Used once: the same link no longer signs anyone in.
    const again = await send(link);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();

    const page = await get('/console/secrets', cookie.split(';')[0] ?? '');
    expect(page.status).toBe(200);
    // The spent link, opened again in the browser it signed in: no error, just the console.
    const reopened = await send(link, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(reopened.status).toBe(303);
    expect(reopened.headers['set-cookie']).toBeUndefined();
    expect(page.body).toContain('console/app-db');
  });

  it('refuses a Host that is not its listen address (DNS rebinding), even with a session', async () => {
    const { cookie } = await signIn();
    const port = new URL(origin).port;
    for (const host of [`attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, '127.0.0.1:1']) {
      const answer = await get('/console/secrets', cookie, { host });
      expect(answer.status, host).toBe(403);
      expect(answer.body).not.toContain('console/app-db');
    }
    expect((await get('/console/secrets', cookie, { host: `localhost:${port}` })).status).toBe(200);
  });

  it('sends a CSP without inline scripts, no-store and the other hardening headers on every page', async () => {
    const { cookie } = await signIn();
    const paths = [
      '/console/secrets',
      `/console/secret?arn=${encodeURIComponent(secretArn)}`,
      '/console/audit',
      '/console/credentials',
    ];
    for (const path of paths) {
      const answer = await get(path, cookie);
      expect(answer.status, path).toBe(200);
      const csp = String(answer.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('same-origin');
      expect(answer.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(answer.body).not.toMatch(/\sstyle=|\son[a-z]+=/);
      // No value before Reveal.
      expect(answer.body).not.toContain(value);
    }
  });

  it('refuses cross-origin and CSRF-less changes, and does nothing for them', async () => {
    const { cookie, csrf } = await signIn();
    const form = { _csrf: csrf, arn: secretArn, confirmed: 'yes', value: 'changed', current: 'yes' };
    const crossOrigin = await post('/console/secret/put', cookie, form, {
      origin: 'http://attacker.example',
    });
    expect(crossOrigin.status).toBe(403);
    const crossSite = await post('/console/secret/put', cookie, form, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const noOrigin = await send(`${origin}/console/secret/put`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(noOrigin.status).toBe(403);
    const noToken = await post('/console/secret/put', cookie, { ...form, _csrf: '' });
    expect(noToken.status).toBe(403);
    const otherSessionsToken = await post('/console/secret/put', cookie, {
      ...form,
      _csrf: (await signIn()).csrf,
    });
    expect(otherSessionsToken.status).toBe(403);
    const versions = await clientFor(server).send(new ListSecretVersionIdsCommand({ SecretId: secretArn }));
    expect(versions.Versions).toHaveLength(1);
  });

  it('reveals one version on POST only, audited as GetSecretValue by the console principal', async () => {
    const { cookie, csrf } = await signIn();
    server.audit.resetCounts();
    const page = await get(`/console/secret?arn=${encodeURIComponent(secretArn)}`, cookie);
    expect(page.body).toContain(versionId);
    expect(page.body).toContain('AWSCURRENT');
    expect(page.body).not.toContain(value);
    expect(server.audit.callCounts().GetSecretValue).toBeUndefined();

    const revealed = await send(`${origin}/console/secret/reveal`, {
      method: 'POST',
      headers: {
        cookie,
        origin,
        accept: 'application/json',
        'x-csrf-token': csrf,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ arn: secretArn, version: versionId }).toString(),
    });
    expect(revealed.status).toBe(200);
    expect(revealed.headers['cache-control']).toBe('no-store');
    expect(JSON.stringify(revealed.headers)).not.toContain(value);
    expect(JSON.parse(revealed.body)).toMatchObject({
      versionId,
      fields: [
        { name: 'username', value: 'app' },
        { name: 'password', value },
      ],
    });
    const read = server.audit.recent().filter((e) => e.operation === 'GetSecretValue');
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({
      principal: CONSOLE_PRINCIPAL,
      secretArn,
      outcome: 'success',
      userAgent: 'coffer-console',
    });
    expect(JSON.stringify(server.audit.recent())).not.toContain(value);
  });

  it('puts a value through PutSecretValue as the console principal, and the value goes nowhere else', async () => {
    const { cookie, csrf } = await signIn();
    const next = canary();
    const unconfirmed = await post('/console/secret/put', cookie, {
      _csrf: csrf,
      arn: secretArn,
      value: next,
      current: 'yes',
    });
    expect(unconfirmed.status).toBe(303);
    const afterUnconfirmed = await get(String(unconfirmed.headers.location), cookie);
    expect(afterUnconfirmed.body).toContain('confirm the action first');

    const put = await post('/console/secret/put', cookie, {
      _csrf: csrf,
      arn: secretArn,
      value: next,
      current: 'yes',
      confirmed: 'yes',
    });
    expect(put.status).toBe(303);
    expect(String(put.headers.location)).not.toContain(next);
    const after = await get(String(put.headers.location), cookie);
    expect(after.body).toContain('Put a new version of console/app-db');
    expect(after.body).not.toContain(next);
    const current = await clientFor(server).send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(current.SecretString).toBe(next);
    const entry = server.audit.recent().findLast((e) => e.operation === 'PutSecretValue');
    expect(entry).toMatchObject({ principal: CONSOLE_PRINCIPAL, outcome: 'success' });
  });

  it('acts with the policy of the credential it is given: a reader cannot change anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-console-'));
    try {
      const first = await startTestServer({ dataDir });
      first.addCredential({
        userName: 'reader',
        policy: {
          Statement: [
            { Effect: 'Allow', Action: ['secretsmanager:List*', 'secretsmanager:Describe*'], Resource: '*' },
          ],
        },
      });
      const { arn } = await createSecret(clientFor(first), {
        Name: 'console/locked',
        SecretString: canary(),
      });
      await first.close();
      const refused = await startTestServer({ dataDir, console: { userName: 'nobody' } }).catch(
        (e: Error) => e,
      );
      expect(String(refused)).toContain('no credential has that user name');

      const local = await startTestServer({ dataDir, console: { userName: 'reader' } });
      try {
        const base = new URL(local.endpoint).origin;
        const login = await send(local.console?.loginUrl() ?? '');
        const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
        const list = await send(`${base}/console/secrets`, { headers: { cookie } });
        expect(list.body).toContain('console/locked');
        expect(list.body).toContain('user/reader');
        const csrf = /name="csrf-token" content="([^"]+)"/.exec(list.body)?.[1] ?? '';
        const put = await send(`${base}/console/secret/delete`, {
          method: 'POST',
          headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, arn, confirmed: 'yes', days: '7' }).toString(),
        });
        const after = await send(`${base}${String(put.headers.location)}`, { headers: { cookie } });
        expect(after.body).toContain('AccessDeniedException');
        expect(local.audit.recent().findLast((e) => e.operation === 'DeleteSecret')).toMatchObject({
          principal: 'arn:aws:iam::123456789012:user/reader',
          outcome: 'error',
          errorCode: 'AccessDeniedException',
        });
      } finally {
        await local.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
