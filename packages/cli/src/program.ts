import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { auditCommand } from './commands/audit.js';
import { credentialsCommand } from './commands/credentials.js';
import { envCommand } from './commands/env.js';
import { rotateCommand } from './commands/rotate.js';
import { serveCommand } from './commands/serve.js';
import { CliError, type CliIo, EXIT, processIo } from './io.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('coffer')
    .description(
      'Coffer: AWS Secrets Manager for Node.js services, and a local Secrets Manager to develop against.',
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const command of [
    serveCommand(io),
    envCommand(io),
    rotateCommand(io),
    auditCommand(io),
    credentialsCommand(io),
  ]) {
    program.addCommand(command);
  }
  return program;
}

/** Runs the CLI and returns the exit code; errors are printed as one line, never as a stack. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; usage mistakes were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`coffer: ${message}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
