import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Coffer's built rotation handler: the test command builds before it runs the tests. */
const ROTATION_MODULE = pathToFileURL(join(import.meta.dirname, '../../coffer/dist/rotation/index.js')).href;

export const lambdaArn = (name: string): string => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

export interface FakeFunctionOptions {
  /** Each call appends `<step> <token>` here. */
  log: string;
  /** The fake API's state: the keys it accepts and the active one. */
  apiDir: string;
  /** This step throws until the file `fixed` exists. */
  failStep?: string;
  fixed?: string;
  /** This step calls process.exit(1). */
  exitStep?: string;
  /** The module throws when imported. */
  throwAtImport?: boolean;
  /** createSecret waits until this file exists (to hold a rotation open). */
  gate?: string;
  /** This step never returns. */
  hangStep?: string;
  /** This step throws an error whose message quotes `leakValue` (a careless function). */
  leakStep?: string;
  leakValue?: string;
  /** The error leakStep throws, instead of the default one (e.g. quoting a value URL-encoded or in base64). */
  leakMessage?: string;
  /** What leakStep writes to stdout before it throws, one write each, 20 ms apart (include the newlines). */
  printLines?: string[];
}

/**
 * Writes a rotation function module: a fake API-key rotator built with Coffer's `custom()` rotator.
 * setSecret registers the new key with the fake API (a JSON file), testSecret checks the API accepts
 * it, finishSecret makes it the active key.
 */
export function writeFakeFunction(dir: string, name: string, options: FakeFunctionOptions): string {
  const file = join(dir, `${name}.mjs`);
  const o = JSON.stringify(options);
  writeFileSync(
    file,
    `import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRotationHandler, custom } from ${JSON.stringify(ROTATION_MODULE)};
const o = ${o};
if (o.throwAtImport) throw new Error('this module is broken');
const keysFile = join(o.apiDir, 'keys.json');
const keys = () => (existsSync(keysFile) ? JSON.parse(readFileSync(keysFile, 'utf8')) : []);
const inner = createRotationHandler({
  logger: {},
  rotator: custom({
    generate: async (_current, ctx) => 'key-' + (await ctx.randomPassword({ length: 24, excludePunctuation: true })).reveal(),
    set: async (pending) => writeFileSync(keysFile, JSON.stringify([...keys(), pending.reveal()])),
    test: async (pending) => {
      if (!keys().includes(pending.reveal())) throw new Error('the API does not accept the pending key');
    },
    finish: async (ctx) => {
      const pending = await ctx.read('AWSPENDING');
      writeFileSync(join(o.apiDir, 'active'), pending.reveal());
    },
  }),
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function handler(event) {
  appendFileSync(o.log, event.Step + ' ' + event.ClientRequestToken + '\\n');
  if (event.Step === 'createSecret' && o.gate) while (!existsSync(o.gate)) await sleep(20);
  if (event.Step === o.failStep && !existsSync(o.fixed)) throw new Error('the fake API is down during ' + event.Step);
  if (event.Step === o.exitStep) process.exit(1);
  if (event.Step === o.leakStep) {
    for (const text of o.printLines ?? []) {
      process.stdout.write(text);
      await sleep(20);
    }
    throw new Error(o.leakMessage ?? 'rejected key ' + o.leakValue + ' (field ' + JSON.parse(o.leakValue).key + ')');
  }
  if (event.Step === o.hangStep) await new Promise(() => setInterval(() => {}, 1000));
  return inner(event);
}
`,
  );
  return file;
}
