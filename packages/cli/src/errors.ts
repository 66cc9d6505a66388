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
