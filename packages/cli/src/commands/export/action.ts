import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { CliError, EXIT } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { mapLimit } from '../../map-limit.js';
import { DotenvError, toDotenv } from '../../output/dotenv.js';

export interface ExportOptions extends AwsOptions {
  prefix?: string;
  format: 'env' | 'json';
  output?: string;
  color: boolean;
}

const CONCURRENCY = 8;

/** A JSON object secret, or undefined for any other value. */
function asObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Names of every secret whose name starts with `prefix` (ListSecrets, every page). */
async function namesWithPrefix(options: ExportOptions, prefix: string): Promise<string[]> {
  const client = await clientFor(options);
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(undefined, 'ListSecrets', () =>
      client.send(
        new ListSecretsCommand({
          MaxResults: 100,
          Filters: [{ Key: 'name', Values: [prefix] }],
          ...(token !== undefined && { NextToken: token }),
        }),
      ),
    );
    for (const secret of page.SecretList ?? []) {
      if (secret.Name?.startsWith(prefix)) names.push(secret.Name);
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return names.sort();
}

/** Writes the file readable by its owner only (also when it existed with a wider mode). */
function writePrivate(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (error) {
    throw new CliError(`Cannot write ${path} (${(error as { code?: string }).code ?? String(error)}).`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export async function run(io: CliIo, secretIds: string[], options: ExportOptions): Promise<void> {
  if (secretIds.length === 0 && options.prefix === undefined) {
    throw new CliError('Name the secrets to export, or give --prefix <prefix>.', EXIT.usage);
  }
  const client = await clientFor(options);
  const prefixed = options.prefix === undefined ? [] : await namesWithPrefix(options, options.prefix);
  if (options.prefix !== undefined && prefixed.length === 0 && secretIds.length === 0) {
    throw new CliError(`No secret's name starts with "${options.prefix}": check the prefix and the region.`);
  }
  const fetch = (id: string) =>
    call(id, 'GetSecretValue', () => client.send(new GetSecretValueCommand({ SecretId: id })));
  const named = await mapLimit(secretIds, CONCURRENCY, fetch);
  const underPrefix = await mapLimit(prefixed, CONCURRENCY, fetch);

  const entries: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const add = (key: string, value: unknown, from: string) => {
    const before = sources.get(key);
    if (before !== undefined && before !== from) {
      io.stderr(`coffer export: warning: ${key} from ${from} replaces the one from ${before}\n`);
    }
    sources.set(key, from);
    entries[key] = value;
  };
  const text = (out: GetSecretValueCommandOutput, id: string): string => {
    if (out.SecretString === undefined) {
      throw new CliError(`Secret "${id}" is binary: get it with \`coffer get ${id} > file\` instead.`);
    }
    return out.SecretString;
  };
  named.forEach((out, i) => {
    const id = secretIds[i] ?? '';
    const value = text(out, id);
    const object = asObject(value);
    const name = out.Name ?? id;
    if (object === undefined) add(name.split('/').pop() ?? name, value, name);
    else for (const [key, member] of Object.entries(object)) add(key, member, name);
  });
  underPrefix.forEach((out, i) => {
    const name = prefixed[i] ?? '';
    add(name.slice(options.prefix?.length ?? 0), text(out, name), name);
  });

  let body: string;
  if (options.format === 'json') {
    body = `${JSON.stringify(entries, null, 2)}\n`;
  } else {
    try {
      body = toDotenv(
        Object.fromEntries(
          Object.entries(entries).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : JSON.stringify(value),
          ]),
        ),
      );
    } catch (error) {
      if (error instanceof DotenvError)
        throw new CliError(`${error.message}: export with --format json instead.`);
      throw error;
    }
  }
  if (options.output === undefined) {
    io.stdout(body);
    return;
  }
  writePrivate(options.output, body);
  io.stderr(
    `coffer export: wrote ${Object.keys(entries).length} values to ${options.output} (mode 0600). It holds secrets in clear text: keep it out of version control and delete it when done.\n`,
  );
}
