// Runs every bench/*.bench.js in sequence, each in its own `node` process so they cannot disturb
// each other. Run `npm run build` first (`npm run bench` does).
//
//   node bench/run.js                        all benches
//   node bench/run.js local-server           only benches whose file name contains "local-server"
//   node bench/run.js local-server --profile arguments starting with "--" are passed to each bench
//
// A bench that needs node flags names them in a comment among its first lines, e.g.
//   // bench-flags: --expose-gc
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const filters = args.filter((arg) => !arg.startsWith('--'));
const passThrough = args.filter((arg) => arg.startsWith('--'));

const benches = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

if (benches.length === 0) {
  console.error(`No bench/*.bench.js matches ${filters.map((f) => JSON.stringify(f)).join(' or ')}.`);
  process.exit(1);
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
process.on('exit', () => {
  if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // A terminal's Ctrl-C reaches the whole process group; forward it anyway for `kill <pid>`.
    if (current && current.exitCode === null && current.signalCode === null) current.kill(signal);
    process.exitCode = 128 + (constants.signals[signal] ?? 1);
    setTimeout(() => process.exit(), 6_000).unref();
    current?.once('exit', () => process.exit());
  });
}

/** Node flags a bench asks for with a `// bench-flags: ...` line among its first 20 lines. */
function nodeFlagsOf(path) {
  const head = readFileSync(path, 'utf8').split('\n', 20);
  const line = head.find((l) => /^\/\/\s*bench-flags:/.test(l));
  return line === undefined
    ? []
    : line
        .replace(/^\/\/\s*bench-flags:/, '')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
}

function runBench(file) {
  return new Promise((resolve, reject) => {
    const path = fileURLToPath(new URL(file, import.meta.url));
    const child = spawn(process.execPath, [...nodeFlagsOf(path), path, ...passThrough], {
      stdio: 'inherit',
    });
    current = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      current = undefined;
      resolve({ code, signal });
    });
  });
}

let failed = 0;
for (const [i, file] of benches.entries()) {
  if (i > 0) console.log('');
  console.log(`=== ${file} ===`);
  const started = performance.now();
  const { code, signal } = await runBench(file);
  if (process.exitCode !== undefined) break; // interrupted
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code === 0) {
    console.log(`=== ${file}: done in ${seconds} s ===`);
  } else {
    failed++;
    console.error(`=== ${file}: FAILED (${signal ?? `exit code ${code}`}) after ${seconds} s ===`);
  }
}
if (process.exitCode === undefined) process.exitCode = failed === 0 ? 0 : 1;
