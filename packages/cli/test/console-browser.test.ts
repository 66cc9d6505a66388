/**
 * The web console in a real browser: `coffer serve` in a child process, Debian's Chromium driven by
 * playwright-core. Signs in with the link serve printed, is refused without it, through a rebinding
 * attacker's host name and from another origin; lists, searches, reads the timeline after
 * PutSecretValue and a rotation, reveals (and the audit log records the read), puts a value, moves a
 * label, rotates with live steps, deletes and restores, and watches the audit tail update. Screenshots
 * of each page go to test-output/screenshots. No canary value is in any page before Reveal, in any
 * response header, or in what the server printed or logged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { auditLogPath } from '@coffer/local';
import {
  canaries,
  canary,
  clientFor,
  createSecret,
  exportsIn,
  lambdaArn,
  serverFromEnv,
  writeFakeFunction,
} from '@coffer/testing';
import { chromiumAvailable, type LaunchedChromium, launchChromium } from '@coffer/testing/chromium';
import { inspectPng, screenshotPath } from '@coffer/testing/screenshots';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const SUITE = 'web console in Chromium';
const ROTATOR = lambdaArn('console-rotator');
const STEP_TIMEOUT = 60_000;

interface Seen {
  url: string;
  status: number;
  headers: string;
  body: Promise<string>;
  /** Whether the user had clicked Reveal before this answer. */
  afterReveal: boolean;
}

describe.skipIf(!chromiumAvailable(SUITE))(SUITE, { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ChildProcess;
  let printed = '';
  let loginUrl: string;
  let origin: string;
  let port: string;
  let client: SecretsManagerClient;
  let chromium: LaunchedChromium;
  let context: BrowserContext;
  let page: Page;
  let dbArn: string;
  let firstVersion: string;
  let secondVersion: string;
  let revealed = false;
  const seen: Seen[] = [];
  const password = canary();
  const gate = () => join(dir, 'gate');

  const watch = (target: Page) => {
    target.on('response', (response: Response) => {
      const type = response.headers()['content-type'] ?? '';
      const readable = /text\/html|application\/json|text\/plain/.test(type);
      seen.push({
        url: response.url(),
        status: response.status(),
        headers: JSON.stringify(response.headers()),
        body: readable ? response.text().catch(() => '') : Promise.resolve(''),
        afterReveal: revealed,
      });
    });
  };

  /** Answers the confirmation dialog the page's script opens for every action. */
  const confirm = async () => {
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
  };

  const shoot = async (name: string, target: Page = page) => {
    const path = screenshotPath(`console-${name}`);
    await target.screenshot({ path, fullPage: false });
    return path;
  };

  /** The notice an action leaves on the next page. */
  const flash = (text: string) => page.locator('p.flash', { hasText: text });

  const versionItem = (versionId: string) => page.locator(`ol.timeline > li[data-version="${versionId}"]`);
  const labelsOf = async (versionId: string) =>
    (await versionItem(versionId).locator('.version-head .label').allTextContents()).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-console-browser-'));
    const apiDir = join(dir, 'api');
    mkdirSync(apiDir);
    const rotator = writeFakeFunction(dir, 'console-rotator', {
      log: join(dir, 'calls.log'),
      apiDir,
      gate: gate(),
    });
    serve = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--data-dir',
        join(dir, 'data'),
        '--rotation-function',
        `${ROTATOR}=${rotator}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes('AWS_ENDPOINT_URL_SECRETS_MANAGER') && /Console: \S+/.test(printed)) resolve();
      };
      serve.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        check();
      });
      serve.stderr?.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        check();
      });
      serve.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${printed}`)));
    });
    loginUrl = /Console: (\S+)/.exec(printed)?.[1] ?? '';
    origin = new URL(loginUrl).origin;
    port = new URL(loginUrl).port;
    client = clientFor(serverFromEnv(exportsIn(out)));

    const db = await createSecret(client, {
      Name: 'app/db',
      Description: 'The payments database',
      SecretString: JSON.stringify({ username: 'app', password, host: 'db.internal' }),
      Tags: [
        { Key: 'team', Value: 'payments' },
        { Key: 'env', Value: 'dev' },
      ],
    });
    dbArn = db.arn;
    firstVersion = db.versionId;
    for (let i = 0; i < 24; i++) {
      await createSecret(client, {
        Name: `svc/worker-${String(i).padStart(2, '0')}`,
        SecretString: canary(),
      });
    }
    await createSecret(client, {
      Name: 'api/key',
      Description: 'Rotated by the console',
      SecretString: canary(),
    });
    await createSecret(client, { Name: 'old/token', SecretString: canary() });

    chromium = await launchChromium({ hostResolverRules: 'MAP rebind.test 127.0.0.1' });
    context = await chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Shorter than each test's own timeout, so a step that does not happen names itself.
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    watch(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await chromium?.close();
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
    // Nothing the server printed or logged holds a value.
    const audit = readFileSync(auditLogPath(join(dir, 'data')), 'utf8');
    expect(audit).toContain('GetSecretValue');
    for (const value of canaries) {
      expect(printed.includes(value), 'serve printed a value').toBe(false);
      expect(audit.includes(value), 'the audit log holds a value').toBe(false);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a browser without the token, and a rebinding attacker host name even with it', async () => {
    const stranger = await chromium.browser.newContext();
    try {
      const other = await stranger.newPage();
      watch(other);
      const noToken = await other.goto(`${origin}/console/secrets`);
      expect(noToken?.status()).toBe(401);
      await expect(other.getByRole('heading', { name: 'Sign in to the console' }).isVisible()).resolves.toBe(
        true,
      );
      expect(await other.content()).not.toContain('app/db');
      await shoot('refused', other);

      // The printed link, through a name that resolves to this machine: refused before the token is spent.
      const rebound = await other.goto(loginUrl.replace(/127\.0\.0\.1/, 'rebind.test'));
      expect(rebound?.status()).toBe(403);
      expect(await other.content()).not.toContain('app/db');
    } finally {
      await stranger.close();
    }
  });

  it('signs in with the link serve printed (once), into an HttpOnly session cookie', async () => {
    await page.goto(loginUrl);
    expect(new URL(page.url()).pathname).toBe('/console/secrets');
    expect(page.url()).not.toContain('token=');
    await page.getByRole('link', { name: 'app/db' }).waitFor();
    expect(await page.evaluate('document.cookie')).toBe('');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });

    const path = await shoot('secrets');
    const png = inspectPng(path);
    expect(png.width).toBe(1280);
    expect(png.height).toBe(800);
    expect(png.nonBackground).toBeGreaterThan(5_000);

    // The link works once.
    const again = await context.newPage();
    await context.clearCookies();
    const reused = await again.goto(loginUrl);
    expect(reused?.status()).toBe(401);
    await again.close();
    await context.addCookies([cookie as Parameters<BrowserContext['addCookies']>[0][number]]);
  });

  it('lists, pages, searches and filters secrets, with keyboard-reachable controls', async () => {
    await page.goto(`${origin}/console/secrets?size=25`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    const names = () => page.locator('#secrets tbody tr td.name').allTextContents();

    // 27 secrets, 25 a page: Next and Previous follow ListSecrets' NextToken.
    const first = await names();
    expect(first).toHaveLength(25);
    expect(first[0]).toBe('api/key');
    await page.getByRole('link', { name: 'Next' }).click();
    await page.waitForURL(/token=/);
    expect(await names()).toEqual(['svc/worker-22', 'svc/worker-23']);
    await page.getByRole('link', { name: 'Previous' }).click();
    expect(await names()).toEqual(first);

    await page.getByLabel('Search').fill('payments');
    await page.getByLabel('In', { exact: true }).selectOption('tag-value');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=payments/);
    expect(await names()).toEqual(['app/db']);

    await page.goto(`${origin}/console/secrets?q=svc/worker&field=name&size=25&sort=name&order=desc`);
    const workers = await names();
    expect(workers).toHaveLength(24);
    expect(workers[0]).toBe('svc/worker-23');
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('Name');
    await page.goto(`${origin}/console/secrets?rotation=on`);
    expect(await names()).toEqual([]);
  });

  it('shows the timeline with the right labels after PutSecretValue, with no value in the page', async () => {
    await page.goto(`${origin}/console/secret?arn=${encodeURIComponent(dbArn)}`);
    expect(await labelsOf(firstVersion)).toEqual(['AWSCURRENT']);
    const second = await client.send(
      new PutSecretValueCommand({
        SecretId: dbArn,
        SecretString: JSON.stringify({ username: 'app', password: canary(), host: 'db.internal' }),
      }),
    );
    secondVersion = second.VersionId ?? '';
    await page.reload();
    expect(await labelsOf(secondVersion)).toEqual(['AWSCURRENT']);
    expect(await labelsOf(firstVersion)).toEqual(['AWSPREVIOUS']);
    expect(await page.getByRole('heading', { name: 'app/db' }).isVisible()).toBe(true);
    expect(await page.locator('dl.meta').first().textContent()).toContain('The payments database');
    for (const value of canaries) expect(await page.content()).not.toContain(value);
    await shoot('secret');
  });

  it('reveals a version only on click, masked per field, audited as GetSecretValue by the console', async () => {
    await page.goto(`${origin}/console/secret?arn=${encodeURIComponent(dbArn)}`);
    expect(await page.content()).not.toContain(password);
    revealed = true;
    await versionItem(firstVersion)
      .getByRole('button', { name: /Reveal/ })
      .click();
    const showPassword = versionItem(firstVersion).getByRole('button', { name: 'Show password' });
    await showPassword.waitFor();
    // Masked until the field's own button is pressed.
    expect(await versionItem(firstVersion).textContent()).not.toContain(password);
    await showPassword.click();
    expect(await versionItem(firstVersion).textContent()).toContain(password);
    expect(await versionItem(firstVersion).textContent()).not.toContain('db.internal');
    await shoot('revealed');

    const audit = readFileSync(auditLogPath(join(dir, 'data')), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const read = audit.filter((e) => e.operation === 'GetSecretValue' && e.secretArn === dbArn);
    expect(read.at(-1)).toMatchObject({
      principal: 'arn:aws:iam::123456789012:user/coffer-console',
      outcome: 'success',
      userAgent: 'coffer-console',
    });

    // Hidden again once the page is left.
    await page.goto(`${origin}/console/secrets`);
    await page.goBack();
    expect(await page.content()).not.toContain(password);
    revealed = false;
  });

  it('puts a value as a new AWSCURRENT version, and moves a label back', async () => {
    await page.goto(`${origin}/console/secret?arn=${encodeURIComponent(dbArn)}`);
    const typed = canary();
    await page.getByLabel('New value (a new version)').fill(typed);
    await page.getByRole('button', { name: 'Put value' }).click();
    await confirm();
    await flash('Put a new version of app/db').waitFor();
    expect(page.url()).not.toContain(typed);
    const current = await client.send(new GetSecretValueCommand({ SecretId: dbArn }));
    expect(current.SecretString).toBe(typed);
    expect(await labelsOf(current.VersionId ?? '')).toEqual(['AWSCURRENT']);
    expect(await page.content()).not.toContain(typed);

    // Roll back: AWSCURRENT to the version before; the one it leaves becomes AWSPREVIOUS.
    await page.getByLabel('Label', { exact: true }).fill('AWSCURRENT');
    await page.getByLabel('To version').selectOption(secondVersion);
    await page.getByRole('button', { name: 'Move label' }).click();
    await confirm();
    await flash(`Moved AWSCURRENT to version ${secondVersion}`).waitFor();
    expect(await labelsOf(secondVersion)).toEqual(['AWSCURRENT']);
    expect(await labelsOf(current.VersionId ?? '')).toEqual(['AWSPREVIOUS']);
    // The first version lost its last label: deprecated, shown on request.
    expect(await versionItem(firstVersion).count()).toBe(0);
    await page.getByRole('link', { name: 'Show deprecated versions' }).click();
    expect(await versionItem(firstVersion).textContent()).toContain('deprecated');
  });

  it('rotates now, shows the steps live, and the timeline after it', async () => {
    const apiKey = await client.send(new DescribeSecretCommand({ SecretId: 'api/key' }));
    const before = Object.keys(apiKey.VersionIdsToStages ?? {})[0] ?? '';
    await page.goto(`${origin}/console/secret?arn=${encodeURIComponent(apiKey.ARN ?? '')}`);
    await page.locator('#rotation-progress[data-live="yes"]').waitFor();
    await page.getByLabel('Rotation function (Lambda ARN)').fill(ROTATOR);
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await confirm();
    await flash('Rotation of api/key started').waitFor();
    // createSecret waits for the gate: the page shows it running, live.
    await page.locator('#rotation-progress[data-live="yes"]').waitFor();
    await page.locator('li[data-step="createSecret"].running').waitFor();
    writeFileSync(gate(), '');
    await page.locator('li[data-step="finishSecret"].done').waitFor({ timeout: STEP_TIMEOUT });
    for (const step of ['createSecret', 'setSecret', 'testSecret']) {
      expect(await page.locator(`li[data-step="${step}"]`).getAttribute('class')).toBe('done');
    }
    await page.getByText('The rotation finished').waitFor();
    await shoot('rotation');

    await page.reload();
    const after = await client.send(new DescribeSecretCommand({ SecretId: 'api/key' }));
    const rotated =
      Object.entries(after.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0] ?? '';
    expect(rotated).not.toBe(before);
    expect(await labelsOf(rotated)).toEqual(['AWSCURRENT']);
    expect(await labelsOf(before)).toEqual(['AWSPREVIOUS']);
    expect(await page.locator('#rotation dd, #rotation + dl dd').first().textContent()).toContain('Enabled');
  });

  it('deletes with a recovery window and restores', async () => {
    const old = await client.send(new DescribeSecretCommand({ SecretId: 'old/token' }));
    await page.goto(`${origin}/console/secret?arn=${encodeURIComponent(old.ARN ?? '')}`);
    await page.getByLabel('Recovery window (days, 7 to 30)').fill('7');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm();
    await flash('Scheduled old/token for deletion on').waitFor();
    expect(
      (await client.send(new DescribeSecretCommand({ SecretId: 'old/token' }))).DeletedDate,
    ).toBeDefined();
    await page.goto(`${origin}/console/secrets?deleted=only`);
    expect(await page.locator('#secrets tbody tr td.name').allTextContents()).toEqual(['old/token']);
    await page.getByRole('link', { name: 'old/token' }).click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await confirm();
    await flash('Restored old/token.').waitFor();
    expect(
      (await client.send(new DescribeSecretCommand({ SecretId: 'old/token' }))).DeletedDate,
    ).toBeUndefined();
  });

  it('refuses a cross-origin POST from another local site, and changes nothing', async () => {
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="post" action="${origin}/console/secret/delete">
<input name="arn" value="${dbArn}"><input name="confirmed" value="yes"><input name="force" value="yes"></form>
<script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const evil = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
      await page.goto(evil);
      await page.waitForURL(`${origin}/console/secret/delete`);
      expect(await page.textContent('body')).toContain('cross-origin');
      const still = await client.send(new DescribeSecretCommand({ SecretId: dbArn }));
      expect(still.DeletedDate).toBeUndefined();
    } finally {
      attacker.close();
    }
  });

  it('tails the audit log live, filtered, with no value', async () => {
    await page.goto(`${origin}/console/audit?operation=GetSecretValue`);
    await page.locator('table#audit[data-live="yes"]').waitFor();
    const rows = () => page.locator('table#audit tbody tr');
    const before = await rows().count();
    await client.send(new GetSecretValueCommand({ SecretId: 'svc/worker-03' }));
    await client.send(new DescribeSecretCommand({ SecretId: 'svc/worker-03' }));
    await page.locator('table#audit tbody tr.new').first().waitFor();
    expect(await rows().count()).toBe(before + 1);
    const top = await rows().first().textContent();
    expect(top).toContain('GetSecretValue');
    expect(top).toContain('svc/worker-03');
    expect(top).toContain('user/coffer-admin');
    await page.getByRole('status').filter({ hasText: 'Live: 1 new entry' }).waitFor();
    await shoot('audit');
    for (const value of canaries) expect(await page.content()).not.toContain(value);
  });

  it('shows the credentials and their policies without a secret key', async () => {
    await page.goto(`${origin}/console/credentials`);
    await page.getByRole('heading', { name: 'coffer-admin' }).waitFor();
    expect(await page.textContent('main')).toContain('coffer-console');
    const adminKey = (await client.config.credentials()).secretAccessKey;
    expect(await page.content()).not.toContain(adminKey);
    await shoot('credentials');
  });

  it('is readable on a narrow window and in dark mode', async () => {
    const narrow = await chromium.browser.newContext({
      viewport: { width: 390, height: 800 },
      colorScheme: 'dark',
    });
    try {
      await narrow.addCookies(await context.cookies());
      const small = await narrow.newPage();
      watch(small);
      await small.goto(`${origin}/console/secrets`);
      await small.getByRole('link', { name: 'app/db' }).waitFor();
      const scrollWidth = await small.evaluate('document.documentElement.scrollWidth');
      expect(scrollWidth).toBeLessThanOrEqual(390);
      const background = await small.evaluate('getComputedStyle(document.documentElement).backgroundColor');
      expect(background).toBe('rgb(13, 17, 23)');
      const path = await shoot('secrets-narrow-dark', small);
      expect(inspectPng(path).width).toBe(390);
    } finally {
      await narrow.close();
    }
  });

  it('put no value in any page before Reveal, nor in any response header', async () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const answer of seen) {
      for (const value of canaries) {
        expect(answer.headers.includes(value), `a header of ${answer.url}`).toBe(false);
        if (!answer.afterReveal)
          expect((await answer.body).includes(value), `${answer.url} before Reveal`).toBe(false);
      }
    }
    expect(port).not.toBe('');
  });
});
