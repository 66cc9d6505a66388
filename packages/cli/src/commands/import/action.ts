import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseJsonQuietly } from 'coffer/internal';
import { parse } from 'dotenv';
import { createOrPut, type Written } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { isSetupProblem } from '../../aws/setup-hints.js';
import { CliError, EXIT } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { json } from '../../output/format.js';
import { ProgressBar } from '../../output/progress.js';
import { styleFor } from '../../output/style.js';

export interface ImportOptions extends AwsOptions {
  asOne?: string;
  each?: boolean;
  prefix: string;
  format?: 'env' | 'json';
  json?: boolean;
  color: boolean;
}

/** Secret names AWS accepts. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const CONCURRENCY = 8;

/** Reads a .env file (dotenv's own parser) or a JSON object, by extension, else by its first character. */
function readEntries(file: string, format: 'env' | 'json' | undefined): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(
      code === 'ENOENT' ? `No file ${file}: check the path.` : `Cannot read ${file} (${code}).`,
    );
  }
  const isJson =
    format === 'json' || (format === undefined && (extname(file) === '.json' || /^\s*\{/.test(text)));
  if (!isJson) return parse(text);
  let parsed: unknown;
  try {
    parsed = parseJsonQuietly(text);
  } catch (error) {
    // The parser's message names only where it failed: JSON.parse's own quotes the file, values and all.
    throw new CliError(`${file} is ${(error as Error).message}: fix it, or pass --format env.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${file} must hold a JSON object of name → value.`);
  }
  return parsed as Record<string, unknown>;
}

export async function run(io: CliIo, file: string, options: ImportOptions): Promise<void> {
  if (options.asOne === undefined && !options.each) {
    throw new CliError(
      'Say where the keys go: --as-one <secret-name> for one JSON secret, or --each --prefix <p> for one secret per key.',
      EXIT.usage,
    );
  }
  if (options.asOne !== undefined && options.prefix !== '') {
    throw new CliError('--prefix goes with --each; --as-one takes the whole secret name.', EXIT.usage);
  }
  const entries = readEntries(file, options.format);
  const keys = Object.keys(entries);
  const client = await clientFor(options);
  const written: Written[] = [];
  if (options.asOne !== undefined) {
    written.push(await createOrPut(client, options.asOne, { SecretString: JSON.stringify(entries) }));
  } else {
    const bad = keys.find((key) => !SECRET_NAME.test(`${options.prefix}${key}`));
    if (bad !== undefined) {
      throw new CliError(
        `"${options.prefix}${bad}" is not a valid secret name (A-Z a-z 0-9 / _ + = . @ - only): rename the key or use --as-one.`,
      );
    }
    // Secrets Manager stores no empty SecretString: say so before writing anything, not after half the keys.
    const empty = keys.filter((key) => entries[key] === '');
    if (empty.length > 0) {
      throw new CliError(
        `${empty.join(', ')} ${empty.length === 1 ? 'has an empty value' : 'have empty values'}, which Secrets Manager cannot store as a secret: give ${empty.length === 1 ? 'it a value' : 'them values'}, leave ${empty.length === 1 ? 'it' : 'them'} out, or use --as-one.`,
      );
    }
    const progress = new ProgressBar(keys.length, 'Importing');
    let next = 0;
    let failure: { key: string; error: unknown } | undefined;
    const worker = async () => {
      while (failure === undefined && next < keys.length) {
        const key = keys[next++] as string;
        const value = entries[key];
        try {
          written.push(
            await createOrPut(client, `${options.prefix}${key}`, {
              SecretString: typeof value === 'string' ? value : JSON.stringify(value),
            }),
          );
        } catch (error) {
          failure ??= { key, error };
        }
        progress.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
    progress.stop();
    if (failure !== undefined) {
      // Nothing stored for want of a region, credentials or an endpoint: the CLI's one-line hint says what to do.
      if (written.length === 0 && isSetupProblem(failure.error)) throw failure.error;
      const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
      throw new CliError(
        `Stored ${written.length} of ${keys.length} keys, then ${options.prefix}${failure.key} failed: ${message}`,
      );
    }
    const order = new Map(keys.map((key, index) => [`${options.prefix}${key}`, index]));
    written.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  }
  if (options.json) {
    io.stdout(
      json({ mode: options.asOne !== undefined ? 'as-one' : 'each', keys: keys.length, secrets: written }),
    );
    return;
  }
  const style = styleFor(options, io.env);
  if (options.asOne !== undefined) {
    const [one] = written;
    io.stdout(
      `${one?.action === 'created' ? 'Created' : 'Updated'} ${style.bold(options.asOne)} with ${keys.length} keys (version ${one?.versionId ?? '-'}).\n`,
    );
    return;
  }
  const created = written.filter((w) => w.action === 'created').length;
  io.stdout(
    `Stored ${keys.length} keys as secrets named ${style.bold(`${options.prefix}<KEY>`)}: ${created} created, ${keys.length - created} updated.\n`,
  );
}
