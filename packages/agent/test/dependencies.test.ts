import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A container installs @coffer/agent alone: no native module, no install script, nothing of the local server or
// the CLI anywhere in its dependency tree.

const agentDir = fileURLToPath(new URL('../', import.meta.url));

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  gypfile?: boolean;
  scripts?: Record<string, string>;
}

const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where Node would find `name` from `from`: the nearest node_modules up the tree (workspaces are linked). */
function resolveDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`cannot find ${name} from ${from}`);
  }
}

function tree(): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (dir: string) => {
    const manifest = read(dir);
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = resolveDir(name, dir);
      if (seen.has(found)) continue;
      seen.set(found, name);
      visit(found);
    }
  };
  visit(agentDir);
  return seen;
}

describe('@coffer/agent dependencies', () => {
  it('has no native module, no install script, and neither the local server nor the CLI', () => {
    const offending: string[] = [];
    const packages = tree();
    for (const [dir, name] of packages) {
      const manifest = read(dir);
      if (name === '@coffer/local' || name === '@coffer/cli' || name === 'better-sqlite3')
        offending.push(name);
      if (manifest.gypfile === true || existsSync(join(dir, 'binding.gyp')))
        offending.push(`${name} (native)`);
      for (const script of ['preinstall', 'install', 'postinstall'])
        if (manifest.scripts?.[script] !== undefined) offending.push(`${name} (${script} script)`);
    }
    expect(offending).toEqual([]);
    expect(packages.size).toBeGreaterThan(0);
  });
});
