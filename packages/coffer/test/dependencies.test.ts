import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A Lambda that bundles `coffer` must not pull in the local server, the CLI or a native module: the library
 * imports only the AWS SDK client, and `pg` only from the subpaths that need it.
 */
const src = fileURLToPath(new URL('../src', import.meta.url));
const PG_SUBPATHS = ['pg/', 'rotation/postgres/'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Runtime imports (type-only imports vanish at build time). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(
    /^\s*import\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
  )) {
    specifiers.push((match[1] ?? match[2]) as string);
  }
  return specifiers;
}

describe('coffer dependencies', () => {
  it('imports only node built-ins, the AWS SDK client, its own files, and pg in the pg subpaths', () => {
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
        if (specifier === 'pg' && PG_SUBPATHS.some((p) => where.startsWith(p))) continue;
        offending.push(`${where}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('declares no runtime dependencies: the SDK client is a peer, drivers and their types optional peers', () => {
    const manifest = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(manifest.dependencies ?? {}).toEqual({});
    // Every peer but the SDK client is optional: drivers (pg) and their types (@types/pg) only for the
    // subpaths that need them.
    const peers = Object.keys(manifest.peerDependencies ?? {});
    const required = peers.filter((name) => manifest.peerDependenciesMeta?.[name]?.optional !== true);
    expect(required).toEqual(['@aws-sdk/client-secrets-manager']);
    expect(peers).toEqual(expect.arrayContaining(['pg', '@types/pg']));
  });
});
