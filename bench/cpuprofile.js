// Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): where self time went, by function and
// by origin (our code, a dependency, Node internals, GC), so a bench can print its hot spots.
import { readFileSync } from 'node:fs';

/** Groups a script URL into something readable: `@smithy/signature-v4`, `coffer local`, `node:http`, ... */
function originOf(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const local = url.indexOf('/packages/local/dist/');
  if (local >= 0) return `coffer local: ${url.slice(local + '/packages/local/dist/'.length)}`;
  return url;
}

const shortUrl = (url) => {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const local = url.indexOf('/packages/');
  return local >= 0 ? url.slice(local + 1) : url;
};

/**
 * @param {string} file path of a .cpuprofile
 * @returns {{ totalMs: number, byFunction: {name: string, ms: number, share: number}[], byOrigin: {name: string, ms: number, share: number}[] }}
 */
function summarizeCpuProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + (timeDeltas[i] ?? 0) / 1000);
  }
  const byFunction = new Map();
  const byOrigin = new Map();
  let totalMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    const fn = frame.functionName || '(anonymous)';
    if (fn === '(idle)' || fn === '(program)') continue;
    totalMs += ms;
    const key = frame.url ? `${fn}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : fn;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const origin = fn === '(garbage collector)' ? '(garbage collector)' : originOf(frame.url);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
  }
  const rank = (map) =>
    [...map]
      .map(([name, ms]) => ({ name, ms, share: totalMs === 0 ? 0 : ms / totalMs }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs, byFunction: rank(byFunction), byOrigin: rank(byOrigin) };
}

/** Prints the top entries of a summary as fixed-width text. */
export function printCpuProfileSummary(file, top = 20) {
  const summary = summarizeCpuProfile(file);
  const line = (entry) =>
    `  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`;
  console.log(`CPU profile ${file}`);
  console.log(`  busy (non-idle) self time: ${summary.totalMs.toFixed(0)} ms`);
  console.log('  by origin:');
  for (const entry of summary.byOrigin.slice(0, 12)) console.log(line(entry));
  console.log(`  top ${top} functions by self time:`);
  for (const entry of summary.byFunction.slice(0, top)) console.log(line(entry));
}
