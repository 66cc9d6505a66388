import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A Lambda that bundles `coffer` must not pull in the local server, the CLI or a native module: the library
 * imports only the AWS SDK client, `pg` only from the subpaths that need it, and `mysql2` likewise.
 */
const src = fileURLToPath(new URL('../src', import.meta.url));
const DRIVER_SUBPATHS: Record<string, readonly string[]> = {
  pg: ['pg/', 'rotation/postgres/'],
  mysql2: ['mysql/', 'rotation/mysql/'],
  'mysql2/promise': ['mysql/', 'rotation/mysql/'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Runtime imports and re-exports (type-only ones vanish at build time). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(
    /^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
  )) {
    specifiers.push((match[1] ?? match[2]) as string);
  }
  return specifiers;
}

/** Every package a module reaches through its own files' runtime imports. */
function reached(entry: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(entry)) return packages;
  seen.add(entry);
  for (const specifier of runtimeImports(entry)) {
    if (specifier.startsWith('.')) {
      const file = join(entry, '..', specifier.replace(/\.js$/, '.ts'));
      for (const name of reached(file, seen)) packages.add(name);
    } else packages.add(specifier);
  }
  return packages;
}

interface Manifest {
  exports: Record<string, { default: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifest = JSON.parse(
  readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
) as Manifest;

describe('coffer dependencies', () => {
  it('imports only node built-ins, the AWS SDK client, its own files, and each driver in its own subpaths', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const offending: string[] = [];
    for (const file of sourceFiles(src)) {
      const where = relative(src, file);
      for (const specifier of runtimeImports(file)) {
        if (
          specifier.startsWith('.') ||
          builtins.has(specifier) ||
          specifier === '@aws-sdk/client-secrets-manager'
        )
          continue;
        if (DRIVER_SUBPATHS[specifier]?.some((p) => where.startsWith(p))) continue;
        offending.push(`${where}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('keeps every driver out of the entry points that do not need it (coffer, coffer/rotation)', () => {
    for (const entry of ['index.ts', 'rotation/index.ts', 'internal.ts']) {
      const drivers = [...reached(join(src, entry))].filter((name) => name in DRIVER_SUBPATHS);
      expect(drivers, entry).toEqual([]);
    }
    expect([...reached(join(src, 'rotation/mysql/index.ts'))]).toContain('mysql2/promise');
    expect([...reached(join(src, 'rotation/mysql/index.ts'))]).not.toContain('pg');
    expect([...reached(join(src, 'rotation/postgres/index.ts'))]).toContain('pg');
    // The two pools share their version switching, and each still reaches only its own driver.
    expect([...reached(join(src, 'mysql/index.ts'))].filter((name) => name in DRIVER_SUBPATHS)).toEqual([
      'mysql2/promise',
    ]);
    expect([...reached(join(src, 'pg/index.ts'))].filter((name) => name in DRIVER_SUBPATHS)).toEqual(['pg']);
  });

  it('declares no runtime dependencies: the SDK client is a peer, drivers and their types optional peers', () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    // Every peer but the SDK client is optional: drivers (pg, mysql2) and their types (@types/pg) only for the
    // subpaths that need them.
    const peers = Object.keys(manifest.peerDependencies ?? {});
    const required = peers.filter((name) => manifest.peerDependenciesMeta?.[name]?.optional !== true);
    expect(required).toEqual(['@aws-sdk/client-secrets-manager']);
    expect(peers).toEqual(expect.arrayContaining(['pg', '@types/pg', 'mysql2']));
  });

  it("the README's install table names, for every public entry point, each package it loads and its types", () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const rows = [...readme.matchAll(/^\| (`coffer[^|]*) \| ([^\n]*) \|$/gm)].map(
      (match) => [match[1] as string, match[2] as string] as const,
    );
    const missing: string[] = [];
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './internal') continue; // shared with the sibling packages, not a user's entry point
      const entry = `coffer${subpath.slice(1)}`;
      const row = rows.find(([entries]) => entries.split(', ').includes(`\`${entry}\``));
      if (row === undefined) {
        missing.push(`${entry}: no row`);
        continue;
      }
      const source = join(src, target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
      const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
      for (const specifier of reached(source)) {
        if (builtins.has(specifier) || specifier === '@aws-sdk/client-secrets-manager') continue;
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : (specifier.split('/')[0] as string);
        for (const needed of [name, `@types/${name}`]) {
          if (needed !== name && manifest.peerDependencies?.[needed] === undefined) continue;
          if (!row[1].includes(`npm install ${needed}`) && !row[1].includes(`npm install -D ${needed}`))
            missing.push(`${entry}: ${needed}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });
});
