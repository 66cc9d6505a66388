import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { hintFor } from './aws/setup-hints.js';
import { agentCommand } from './commands/agent/index.js';
import { auditCommand } from './commands/audit/index.js';
import { createCommand } from './commands/create/index.js';
import { credentialsCommand } from './commands/credentials/index.js';
import { deleteCommand } from './commands/delete/index.js';
import { demoCommand } from './commands/demo/index.js';
import { describeCommand } from './commands/describe/index.js';
import { envCommand } from './commands/env/index.js';
import { execCommand } from './commands/exec/index.js';
import { exportCommand } from './commands/export/index.js';
import { getCommand } from './commands/get/index.js';
import { historyCommand } from './commands/history/index.js';
import { importCommand } from './commands/import/index.js';
import { listCommand } from './commands/list/index.js';
import { noColorOption } from './commands/options.js';
import { putCommand } from './commands/put/index.js';
import { restoreCommand } from './commands/restore/index.js';
import { rotateCommand } from './commands/rotate/index.js';
import { serveCommand } from './commands/serve/index.js';
import { CliError, EXIT } from './errors.js';
import { type CliIo, processIo } from './io.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * Each command lives in src/commands/<name>/: index.ts defines it (name, options, help: cheap to build) and
 * imports its action.ts only when that command runs, so that `--help`, `--version` and the definitions of the
 * other commands never load the AWS SDK, the local server or the coffer library.
 */
function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('coffer')
    .description(
      'Coffer: AWS Secrets Manager for Node.js services, and a local Secrets Manager to develop against.',
    )
    .version(version, '-V, --version')
    // Lets `coffer exec -- cmd --flag` hand --flag to cmd, not to coffer.
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const command of [
    serveCommand(io),
    envCommand(io),
    getCommand(io),
    putCommand(io),
    createCommand(io),
    describeCommand(io),
    listCommand(io),
    historyCommand(io),
    deleteCommand(io),
    restoreCommand(io),
    importCommand(io),
    exportCommand(io),
    execCommand(io),
    rotateCommand(io),
    auditCommand(io),
    credentialsCommand(io),
    agentCommand(io),
    demoCommand(io),
  ]) {
    program.addCommand(command);
  }
  const settle = (command: Command) => {
    command.exitOverride();
    // addCommand() does not pass settings down: each command prints and words its errors as the program does.
    command.configureOutput({ ...program.configureOutput(), outputError: usageError(command) });
    // Every command takes --no-color, as NO_COLOR=1 works everywhere; those that colour nothing ignore it.
    if (command.commands.length === 0) command.addOption(noColorOption());
    command.commands.forEach(settle);
  };
  program.configureOutput({ outputError: usageError(program) });
  program.commands.forEach(settle);
  return program;
}

/** Runs the CLI and returns the exit code; errors are printed as one line, never as a stack. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram({ ...io, setExitCode: (code) => (exitCode = code) });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; usage mistakes were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // AWS SDK errors become Coffer's typed errors, whose messages say what to do (e.g. which action to allow).
    // (Loaded only here, on an error: the CLI starts faster without it.)
    const shown =
      error instanceof CliError || !isSdkError(error)
        ? error
        : (await import('coffer')).toCofferError(error, undefined, 'Secrets Manager call');
    const endpoint = endpointIn(argv) ?? io.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? io.env.AWS_ENDPOINT_URL;
    const message = hintFor(shown, endpoint) ?? (shown instanceof Error ? shown.message : String(shown));
    io.stderr(`coffer: ${message.split('\n').join('\n  ')}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}

/**
 * Commander's usage errors as one line that starts with `coffer:`, like every other error, and says where the
 * usage is: "coffer: unknown option '--jsn' (did you mean --json?); see `coffer list --help`."
 */
function usageError(command: Command): (text: string, write: (text: string) => void) => void {
  const names: string[] = [];
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
  return (text, write) => {
    const line = text
      .trim()
      .replace(/^error:\s*/, '')
      .replace(/\n\(Did you mean/, ' (did you mean')
      .replace(/ is invalid\. /, ' is invalid: ')
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\.$/, '');
    write(`coffer: ${line}; see \`${names.join(' ')} --help\`.\n`);
  };
}

/** The --endpoint the command line gave, for hints. */
function endpointIn(argv: readonly string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return undefined;
    if (arg === '--endpoint') return argv[i + 1];
    if (arg.startsWith('--endpoint=')) return arg.slice('--endpoint='.length);
  }
  return undefined;
}

const isSdkError = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  ('$metadata' in error || '$fault' in error || 'code' in error);
