import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mariadbAvailable } from '@coffer/testing/mariadb';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; `onStderr` sees stderr as it grows and may act on the child (e.g. interrupt it). */
function demo(
  args: string[],
  onStderr?: (stderr: string, child: ChildProcess) => void,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, child);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every process whose command line mentions one of the demo's temp dirs: PostgreSQL, rotation runners. */
function processesUsing(dirs: readonly string[]): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => dirs.some((dir) => line.includes(dir)));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The temp dirs and ports the demo announced on stderr. */
function announced(stderr: string): { dirs: string[]; ports: number[] } {
  const dirs = [...stderr.matchAll(/\(data in (\/[^)\s]+)\)/g)].map((m) =>
    (m[1] ?? '').replace(/\/secrets-manager$/, ''),
  );
  const ports = [...stderr.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  return { dirs, ports };
}

describe('coffer demo', () => {
  it('serves steady load with zero failed requests while the database secret rotates, then cleans up', async () => {
    const run = await demo(['--short', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      outcome: string;
      requests: { ok: number; failed: number };
      rotations: { planned: number; done: number };
      databaseUsers: string[];
      latencyMs: { p50: number; p99: number };
      secretsManagerCalls: { total: number; byOperation: Record<string, number> };
      serviceCache: { hitRate: number };
      environment: { secretsManager: string; databasePort: number; tempDirs: string[] };
    };
    expect(summary.outcome).toBe('success');
    expect(summary.requests.failed).toBe(0);
    expect(summary.requests.ok).toBeGreaterThan(100);
    expect(summary.rotations.done).toBeGreaterThanOrEqual(2);
    // Alternating users: requests were served as both users.
    expect(summary.databaseUsers).toEqual(['app_demo', 'app_demo_clone']);
    expect(summary.secretsManagerCalls.byOperation.RotateSecret).toBe(summary.rotations.done);
    // The cache absorbs the load: far fewer Secrets Manager calls than requests.
    expect(summary.secretsManagerCalls.total).toBeLessThan(summary.requests.ok / 10);
    expect(summary.serviceCache.hitRate).toBeGreaterThan(0.9);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
    // Progress went to stderr as plain lines (not a terminal).
    expect(run.stderr).toMatch(/rotation 2\/2 done/);
    expect(run.stderr).not.toContain('\x1b[');

    // Nothing left behind: no process using its dirs, dirs removed, ports closed.
    const { tempDirs, databasePort } = summary.environment;
    expect(tempDirs).toHaveLength(2);
    expect(processesUsing(tempDirs)).toEqual([]);
    for (const dir of tempDirs) expect(existsSync(dir)).toBe(false);
    expect(await portOpen(databasePort)).toBe(false);
    expect(await portOpen(Number(new URL(summary.environment.secretsManager).port))).toBe(false);
  }, 120_000);

  it('never prints a secret value (single-user strategy)', async () => {
    const run = await demo(['--short', '--rotations', '1', '--strategy', 'single-user']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /Zero downtime: [\d,]+ requests, none failed, through 1 rotations \(single-user\)/,
    );
    // The demo's passwords and API key are 32+ random base64url characters: nothing like them is printed
    // (the longest words in the output are operation names such as UpdateSecretVersionStage).
    const randomLooking = `${run.stdout}${run.stderr}`
      .match(/[A-Za-z0-9_-]{24,}/g)
      ?.filter((word) => /\d/.test(word) && /[a-z]/.test(word) && /[A-Z]/.test(word));
    expect(randomLooking ?? []).toEqual([]);
  }, 120_000);

  it('cleans up everything it started when interrupted with SIGINT', async () => {
    let seen: { dirs: string[]; ports: number[]; processes: string[] } | undefined;
    const run = await demo(['--duration', '60'], (stderr, child) => {
      // Interrupt mid-rotation, while PostgreSQL, the service and a rotation runner all run.
      if (seen === undefined && stderr.includes('rotating demo/app-db (1/')) {
        const { dirs, ports } = announced(stderr);
        seen = { dirs, ports, processes: processesUsing(dirs) };
        child.kill('SIGINT');
      }
    });
    expect(seen, run.stderr).toBeDefined();
    const { dirs, ports, processes } = seen as NonNullable<typeof seen>;
    expect(dirs).toHaveLength(2);
    // It was running: PostgreSQL at least used its dir.
    expect(processes.some((line) => line.includes('postgres'))).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Interrupted; everything the demo started was stopped.');
    expect(processesUsing(dirs)).toEqual([]);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    for (const port of ports) expect(await portOpen(port)).toBe(false);
  }, 120_000);

  it('explains itself in --help', async () => {
    const run = await demo(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--strategy <strategy>');
    expect(run.stdout).toContain('--short');
    expect(run.stdout).toContain('--engine <engine>');
  });
});

describe.skipIf(!mariadbAvailable('coffer demo --engine mariadb'))('coffer demo --engine mariadb', () => {
  it('serves steady load with zero failed requests while the secret rotates on MariaDB, then cleans up', async () => {
    const run = await demo(['--engine', 'mariadb', '--short', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      outcome: string;
      engine: string;
      requests: { ok: number; failed: number };
      rotations: { done: number };
      databaseUsers: string[];
      environment: { secretsManager: string; databasePort: number; tempDirs: string[] };
    };
    expect(summary).toMatchObject({ outcome: 'success', engine: 'mariadb', requests: { failed: 0 } });
    expect(summary.requests.ok).toBeGreaterThan(100);
    expect(summary.rotations.done).toBeGreaterThanOrEqual(2);
    expect(summary.databaseUsers).toEqual(['app_demo', 'app_demo_clone']);
    expect(run.stderr).toMatch(/MariaDB {17}127\.0\.0\.1:\d+/);
    expect(run.stderr).toContain('demo/mariadb-master');
    const { tempDirs, databasePort } = summary.environment;
    expect(tempDirs).toHaveLength(2);
    expect(processesUsing(tempDirs)).toEqual([]);
    for (const dir of tempDirs) expect(existsSync(dir)).toBe(false);
    expect(await portOpen(databasePort)).toBe(false);
  }, 120_000);

  it('says which package is missing when MariaDB is not installed', async () => {
    const run = await demo(['--engine', 'mariadb', '--short'], undefined, {
      COFFER_MARIADB_DIR: '/nonexistent',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('mariadb-server');
  });
});
