// Debian's Chromium for the browser tests and the console benchmark, driven by playwright-core over the
// DevTools protocol. Plain JavaScript (typed by chromium.d.ts) so that the benchmarks, which run on plain
// Node, share this launcher with the tests. The test setup starts Chromium itself, with exactly these
// flags and a fresh profile, and never downloads a browser.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_MISSING =
  "Chromium is not installed (Debian's chromium package: apt-get install -y chromium)";

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium program: COFFER_CHROMIUM, else Debian's. */
export function findChromium() {
  const configured = process.env.COFFER_CHROMIUM;
  if (configured !== undefined && configured !== '') return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

let announced = false;

/**
 * Whether this machine can run the browser suites. Without Chromium it prints one line naming the package
 * and returns false, so the suite counts as skipped, never silently. CI sets COFFER_REQUIRE_CHROMIUM=1 after
 * installing it, which turns a missing Chromium into a failure.
 */
export function chromiumAvailable(suite) {
  if (findChromium() !== undefined) return true;
  if (process.env.COFFER_REQUIRE_CHROMIUM === '1') {
    throw new Error(`${suite}: ${CHROMIUM_MISSING} (COFFER_REQUIRE_CHROMIUM=1 requires it)`);
  }
  if (!announced) {
    announced = true;
    console.warn(`[skipped] ${suite}: ${CHROMIUM_MISSING}`);
  }
  return false;
}

/** Headless, as root (no sandbox), and quiet: nothing of Chromium's own calls home. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--remote-debugging-port=0',
];

/** Starts Chromium with a fresh profile and connects playwright-core to it; close() stops it and removes the profile. */
export async function launchChromium(options = {}) {
  const program = findChromium();
  if (program === undefined) throw new Error(CHROMIUM_MISSING);
  const profile = mkdtempSync(join(tmpdir(), 'coffer-chromium-'));
  const args = [...FLAGS, `--user-data-dir=${profile}`];
  if (options.hostResolverRules !== undefined)
    args.push(`--host-resolver-rules=${options.hostResolverRules}`);
  // Its own process group, so that close() can end the helper processes (renderers, zygote) with it.
  const child = spawn(program, [...args, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killGroup);
  let log = '';
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Chromium did not start within 60 s:\n${log.slice(-2000)}`)),
      60_000,
    );
    child.stderr.on('data', (chunk) => {
      log += chunk.toString();
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(log);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`Chromium exited (${signal ?? `code ${code}`}) before it listened:\n${log.slice(-2000)}`),
      );
    });
  });
  const browser = await chromium.connectOverCDP(endpoint);
  let closing;
  const close = () => {
    closing ??= (async () => {
      // Browser.close lets Chromium shut down in order (and finish writing its profile) before it exits.
      const cdp = await browser.newBrowserCDPSession().catch(() => undefined);
      await cdp?.send('Browser.close').catch(() => {});
      await browser.close().catch(() => {});
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const timer = setTimeout(killGroup, 5_000);
        await exited;
        clearTimeout(timer);
      }
      killGroup();
      process.off('exit', killGroup);
      await removeProfile(profile);
    })();
    return closing;
  };
  return { browser, version: browser.version(), close };
}

/** Removes the profile; a helper process still exiting may write to it for a moment, so it is tried for 10 s. */
async function removeProfile(profile) {
  for (let attempt = 0; ; attempt++) {
    try {
      rmSync(profile, { recursive: true, force: true });
      return;
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
