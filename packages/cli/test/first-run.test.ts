import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
