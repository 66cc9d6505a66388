import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Read from the sources, not measured: a start-up that loads the AWS SDK is slow on every run, but only
// a benchmark would notice, and not reliably on a busy machine.
const SRC = fileURLToPath(new URL('../src/', import.meta.url));

const read = (file: string) => readFileSync(file, 'utf8');
const toSource = (from: string, specifier: string) =>
  resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
const name = (file: string) => relative(SRC, file);

/** What loading `file` loads: its static imports, except `import type` (erased) and `import()` (deferred). */
function loadedWith(file: string): string[] {
  return [...read(file).matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)';/gm)].map(
    (match) => match[1] as string,
  );
}

/** Every module `file` refers to in any way: static, type-only and dynamic imports. */
function referencedBy(file: string): string[] {
  return [...read(file).matchAll(/(?:\sfrom\s+|import\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)].map(
    (match) => toSource(file, match[1] as string),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the CLI module graph', () => {
  it('loads only commander and Node built-ins to start (--version, --help), and no action', () => {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      for (const specifier of loadedWith(file)) {
        if (specifier.startsWith('.')) visit(toSource(file, specifier));
        else if (!specifier.startsWith('node:')) packages.add(specifier);
      }
    };
    visit(join(SRC, 'bin.ts'));
    expect([...packages]).toEqual(['commander']);
    expect([...files].map(name).filter((file) => file.endsWith('action.ts'))).toEqual([]);
  });

  it('has one folder per command: index.ts defines it, action.ts runs it', () => {
    const commands = readdirSync(join(SRC, 'commands'), { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    );
    expect(commands.length).toBeGreaterThan(0);
    for (const { name: command } of commands) {
      const dir = join(SRC, 'commands', command);
      expect(readdirSync(dir).sort(), command).toEqual(['action.ts', 'index.ts']);
      expect(read(join(dir, 'index.ts')), command).toContain("await import('./action.js')");
    }
  });

  it('has no import cycles, counting type-only and dynamic imports', () => {
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' -> '));
        return;
      }
      if (done.has(file) || !existsSync(file)) return;
      for (const next of referencedBy(file)) visit(next, [...path, file]);
      done.add(file);
    };
    for (const file of sourceFiles(SRC)) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
