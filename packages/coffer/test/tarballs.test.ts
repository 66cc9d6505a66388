import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What `npm pack` puts in every published package of the workspace, checked as a user meets it: packed from a
 * copy of the repository whose `dist` folders hold what a developer's tree accumulates (modules whose sources
 * were since deleted), so the tarballs must hold exactly a fresh build of the current sources.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  keywords?: string[];
  files?: string[];
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The workspace's packages, by folder under packages/. */
function workspaces(): Map<string, Manifest> {
  const { workspaces: folders } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return new Map(folders.map((folder) => [basename(folder), readManifest(join(root, folder))]));
}

const published = [...workspaces()].filter(([, manifest]) => manifest.private !== true).map(([f]) => f);

describe('the published tarballs', () => {
  let copy: string;
  const packed = new Map<string, string[]>();

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'coffer-pack-'));
    cpSync(join(root, 'tsconfig.base.json'), join(copy, 'tsconfig.base.json'));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    for (const folder of published) {
      // The built tree as a developer has it (timestamps kept, so the other packages stay up to date).
      cpSync(join(root, 'packages', folder), join(copy, 'packages', folder), {
        recursive: true,
        preserveTimestamps: true,
        filter: (path) => !/[/\\](node_modules|test)$/.test(path),
      });
    }
    // One at a time, as `npm publish --workspaces` does; each runs its own prepack.
    for (const folder of published) {
      const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], {
        cwd: join(copy, 'packages', folder),
        maxBuffer: 16 * 1024 * 1024,
      });
      const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ files: { path: string }[] }];
      packed.set(
        folder,
        result.files.map((file) => file.path),
      );
    }
  }, 300_000);
  afterAll(() => {
    if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
  });

  it('are the five packages a user installs; the private test fixtures are not among them', () => {
    expect(published.sort()).toEqual(['agent', 'cli', 'coffer', 'local', 'settings']);
  });

  it('each carry the license, keywords, README, and the sources every source map points to', () => {
    for (const folder of published) {
      const manifest = readManifest(join(root, 'packages', folder));
      const files = packed.get(folder) ?? [];
      expect(manifest.license, folder).toBe('Apache-2.0');
      expect(manifest.keywords?.length ?? 0, folder).toBeGreaterThan(3);
      expect(files, folder).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      const shipped = new Set(files);
      const unresolved: string[] = [];
      for (const map of files.filter((file) => file.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(join(copy, 'packages', folder, map), 'utf8')) as {
          sources: string[];
        };
        for (const source of sources) {
          const target = join(dirname(map), source);
          if (!shipped.has(target)) unresolved.push(`${map} -> ${target}`);
        }
      }
      expect(unresolved, folder).toEqual([]);
    }
  });

  it('are published wherever a published package needs them at run time', () => {
    const all = workspaces();
    const byName = new Map([...all.values()].map((manifest) => [manifest.name, manifest]));
    for (const folder of published) {
      const manifest = all.get(folder) as Manifest;
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const sibling = byName.get(dependency);
        if (sibling !== undefined)
          expect(sibling.private, `${manifest.name} -> ${dependency}`).not.toBe(true);
      }
    }
  });
});
