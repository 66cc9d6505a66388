import { readFileSync } from 'node:fs';
import type { SecretValue } from '../aws/calls.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

/** Reads all of stdin. */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(
      code === 'ENOENT'
        ? `No file ${path}: check the path given to --file.`
        : `Cannot read ${path} (${code ?? String(error)}): check its permissions.`,
    );
  }
}

export interface ValueSources {
  /** The [value] argument; `-` means stdin. */
  argument: string | undefined;
  file?: string;
  binary?: boolean;
}

/**
 * The value of `put` and `create`, from exactly one of: the argument, `--file`, or stdin (`-`, or piped when
 * no other source is given). Text read from stdin loses one trailing newline, so `echo s3cret | coffer put`
 * stores `s3cret`; files are stored byte for byte. Returns undefined when no source was given and stdin is a
 * terminal (or piped but empty): the caller says what to do (NO_VALUE).
 */
export async function readValue(
  argument: string | undefined,
  { file, binary }: Omit<ValueSources, 'argument'>,
  io: CliIo,
  command: string,
): Promise<SecretValue | undefined> {
  if (argument !== undefined && argument !== '-' && file !== undefined) {
    throw new CliError('Give the value either as an argument or with --file, not both.', EXIT.usage);
  }
  if (argument !== undefined && argument !== '-') {
    if (binary) {
      throw new CliError(
        `--binary reads bytes from a file or stdin: use \`coffer ${command} <secret> --binary --file <path>\`.`,
        EXIT.usage,
      );
    }
    io.stderr(
      `coffer ${command}: warning: a value on the command line may end up in your shell history and in process lists; prefer --file or stdin.\n`,
    );
    return { SecretString: argument };
  }
  let bytes: Buffer;
  let fromStdin = false;
  if (file !== undefined) {
    bytes = readFile(file);
  } else if (argument === '-' || process.stdin.isTTY !== true) {
    bytes = await readStdin();
    fromStdin = true;
    if (bytes.length === 0) {
      if (argument === '-') throw new CliError('Nothing was read from stdin: pipe the value in.', EXIT.usage);
      return undefined;
    }
  } else {
    return undefined;
  }
  if (binary) return { SecretBinary: new Uint8Array(bytes) };
  let text = bytes.toString('utf8');
  if (fromStdin) text = text.replace(/\r?\n$/, '');
  return { SecretString: text };
}

export const NO_VALUE = (command: string, alternative = '') =>
  new CliError(
    `Give the value: as an argument, with --file <path>, or on stdin (\`... | coffer ${command} <secret> -\`)${alternative}.`,
    EXIT.usage,
  );
