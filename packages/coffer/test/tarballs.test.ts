import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** Files of a build whose sources are gone: what packing from a long-lived tree used to ship. */
const STALE: Record<string, string> = {
  'dist/removed-module.js': 'export {};\n',
  'dist/removed-module.d.ts': 'export {};\n',
  'dist/removed/old.js.map': '{"version":3,"sources":["../../src/removed/old.ts"],"mappings":""}\n',
};

describe('the published tarballs', () => {
  let copy: string;
  const packed = new Map<string, string[]>();
  let fresh: string[] = [];

  /** `npm pack --dry-run` in a package of the copy (running its prepack): the files the tarball would hold. */
  async function pack(folder: string): Promise<string[]> {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], {
      cwd: join(copy, 'packages', folder),
      maxBuffer: 16 * 1024 * 1024,
    });
    const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ files: { path: string }[] }];
    return result.files.map((file) => file.path);
  }

  beforeAll(async () => {
    // A fresh clone after `npm install`: sources only, nothing built, the workspace packages linked to it.
    copy = mkdtempSync(join(tmpdir(), 'coffer-pack-'));
    cpSync(join(root, 'tsconfig.base.json'), join(copy, 'tsconfig.base.json'));
    for (const folder of published)
      cpSync(join(root, 'packages', folder), join(copy, 'packages', folder), {
        recursive: true,
        filter: (path) => !/[/\\](node_modules|test|dist)$/.test(path),
      });
    mkdirSync(join(copy, 'node_modules', '@coffer'), { recursive: true });
    for (const entry of readdirSync(join(root, 'node_modules'))) {
      if (entry !== '@coffer' && entry !== 'coffer')
        symlinkSync(join(root, 'node_modules', entry), join(copy, 'node_modules', entry));
    }
    for (const [folder, manifest] of workspaces()) {
      if (!published.includes(folder)) continue;
      symlinkSync(join(copy, 'packages', folder), join(copy, 'node_modules', manifest.name));
    }
    // Packing the CLI first builds what it needs from nothing.
    fresh = await pack('cli');
    // Then the tree as a developer has it, with modules built from sources since deleted.
    for (const folder of published)
      for (const [stale, text] of Object.entries(STALE)) {
        const file = join(copy, 'packages', folder, stale);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
    // One at a time, as `npm publish --workspaces` does; each runs its own prepack.
    for (const folder of published) packed.set(folder, await pack(folder));
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

  it('each hold exactly a fresh build of the current sources, without TypeScript build info', () => {
    for (const folder of published) {
      const files = packed.get(folder) ?? [];
      expect(
        files.filter((file) => file.includes('.tsbuildinfo')),
        folder,
      ).toEqual([]);
      expect(
        files.filter((file) => file in STALE),
        folder,
      ).toEqual([]);
      const shipped = new Set(files);
      const orphans = files
        .filter((file) => /^dist\/.*\.js$/.test(file))
        .filter((file) => !shipped.has(file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
      expect(orphans, folder).toEqual([]);
      // The build ran: every source module is there, compiled.
      const sources = files.filter((file) => /^src\/.*(?<!\.d)\.ts$/.test(file));
      expect(sources.length, folder).toBeGreaterThan(0);
      for (const source of sources)
        expect(shipped.has(source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')), source).toBe(true);
    }
  });

  it('pack from a fresh clone, building what they need first', () => {
    expect(fresh).toEqual(expect.arrayContaining(['bin/coffer.js', 'dist/bin.js', 'dist/program.js']));
    expect(fresh.filter((file) => file.startsWith('dist/')).sort()).toEqual(
      (packed.get('cli') ?? []).filter((file) => file.startsWith('dist/')).sort(),
    );
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
