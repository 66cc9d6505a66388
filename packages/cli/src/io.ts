/** Where a command writes, so commands can be run in-process by tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** For commands whose exit code is not just success or failure (`exec` passes its child's on). */
  setExitCode?: (code: number) => void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** Exit codes, documented in the CLI's README. */
export const EXIT = {
  ok: 0,
  /** Something failed at run time (server error, AWS error). */
  failure: 1,
  /** The command line was wrong (unknown option, bad value). */
  usage: 2,
} as const;

/** An error whose message is the whole story for the user: printed as one line, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** Quotes a value for POSIX shells, so printed exports can be `eval`ed safely. */
export const shellQuote = (value: string): string =>
  /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

export function exportsFor(settings: {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  endpoint: string;
}): string {
  return [
    `export AWS_ACCESS_KEY_ID=${shellQuote(settings.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(settings.secretAccessKey)}`,
    `export AWS_REGION=${shellQuote(settings.region)}`,
    `export AWS_ENDPOINT_URL_SECRETS_MANAGER=${shellQuote(settings.endpoint)}`,
    '',
  ].join('\n');
}
