import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npx coffer` must work right after the README's first command in a fresh clone. npm links a workspace's bin
 * into node_modules/.bin only if the file exists at install time, before any build: so the bin is a committed
 * file, and `.ci/run` (a fresh clone) runs `npx coffer --version` after the test command.
 */
const cli = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
};

describe('first run', () => {
  it('links a bin that is committed, so a fresh clone has it before the first build', () => {
    const bin = manifest.bin.coffer as string;
    expect(bin.startsWith('dist/')).toBe(false);
    const tracked = execFileSync('git', ['ls-files', '--', join('packages/cli', bin)], {
      cwd: root,
    }).toString();
    expect(tracked.trim()).toBe(`packages/cli/${bin}`);
    expect(manifest.files).toContain(bin.split('/')[0]);
  });

  it('runs as `npx coffer` from the repository', () => {
    const result = spawnSync('npx', ['--no-install', 'coffer', '--version'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('runs as `npx @coffer/cli`, its name outside this repository (its one bin is `coffer`)', () => {
    const result = spawnSync('npx', ['--no-install', '@coffer/cli', '--version'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  /**
   * Outside this repository `npx coffer` fails ("could not determine executable to run") in a project without the
   * CLI, and would fetch the library `coffer`, which has no command: the READMEs published with the packages say
   * `npx @coffer/cli`, or `npx coffer` after installing the CLI, or `npx coffer` in a sentence about this
   * repository.
   */
  it('tells readers of the published READMEs to run the CLI in a way that works in their own project', () => {
    const wrong: string[] = [];
    for (const name of readdirSync(join(root, 'packages'))) {
      let readme: string;
      try {
        readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
      } catch {
        continue;
      }
      let installed = false;
      let inCode = false;
      for (const paragraph of readme.split(/\n\s*\n/)) {
        for (const line of paragraph.split('\n')) {
          if (line.startsWith('```')) inCode = !inCode;
          if (/npm install .*@coffer\/cli/.test(line)) installed = true;
          if (!/npx coffer\b/.test(line) || installed) continue;
          if (!inCode && /this\s+repository/.test(paragraph)) continue;
          if (inCode && /in this repository/.test(line)) continue;
          wrong.push(`packages/${name}/README.md: ${line.trim()}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('says how to build when run before the first build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(cli, manifest.bin.coffer as string), join(dir, 'bin', 'coffer.js'));
      const result = spawnSync(process.execPath, [join(dir, 'bin', 'coffer.js'), '--version'], {
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/not built yet: run `npm run build`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
