import { hash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentConfigError } from './errors.js';

/** Where the token came from: a file is required before the agent listens beyond loopback. */
export interface TokenSource {
  readonly token: string;
  readonly fromFile: boolean;
  /** Names the source (a variable or a path) for messages; never the token. */
  readonly origin: string;
}

function readTokenFile(path: string, origin: string): TokenSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentConfigError(
      `Cannot read the token file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}): create it, or point ${origin} at a readable file.`,
      { cause: error },
    );
  }
  const token = text.trim();
  if (token === '') throw new AgentConfigError(`The token file ${path} is empty: write a token into it.`);
  return { token, fromFile: true, origin };
}

/**
 * The token, as AWS's agent finds it: an explicit value or file first, else the first variable set among
 * `variables`, whose value may be `file://<path>`.
 */
export function resolveToken(
  options: { token?: string | undefined; tokenFile?: string | undefined },
  variables: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): TokenSource {
  if (options.token !== undefined) {
    if (options.token.trim() === '') throw new AgentConfigError('token must not be empty.');
    return { token: options.token, fromFile: false, origin: 'the token option' };
  }
  if (options.tokenFile !== undefined) return readTokenFile(options.tokenFile, 'tokenFile');
  for (const name of variables) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (value.startsWith('file://')) return readTokenFile(value.slice('file://'.length), name);
    return { token: value, fromFile: false, origin: name };
  }
  throw new AgentConfigError(
    `No token: set one of ${variables.join(', ')} (a value, or file://<path>), or pass --token-file. Every request must carry it.`,
  );
}

const digest = (text: string): Buffer => hash('sha256', text, 'buffer');

/** Compares tokens in constant time: equal-length digests, so neither content nor length leaks through timing. */
export function tokenChecker(token: string): (candidate: string) => boolean {
  const expected = digest(token);
  return (candidate) => timingSafeEqual(digest(candidate), expected);
}
