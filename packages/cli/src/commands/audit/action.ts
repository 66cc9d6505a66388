import { existsSync } from 'node:fs';
import type { AuditEntry } from '@coffer/local';
import { CliError } from '../../errors.js';
import { readNewLines } from '../../input/log-tail.js';
import type { CliIo } from '../../io.js';
import { loadLocalServer } from '../../local-server.js';

export interface AuditOptions {
  dataDir?: string;
  follow?: boolean;
  lines?: number;
  json?: boolean;
}

const FOLLOW_POLL_MS = 250;

function formatEntry(entry: AuditEntry): string {
  const who = entry.principal?.split('/').pop() ?? '(unauthenticated)';
  const secret = entry.secretArn?.split(':secret:')[1] ?? '-';
  const outcome = entry.outcome === 'success' ? 'ok' : (entry.errorCode ?? 'error');
  // Rotation steps name their step: "RotationStep setSecret".
  const operation = entry.step === undefined ? entry.operation : `${entry.operation} ${entry.step}`;
  return `${entry.time}  ${who.padEnd(16)} ${operation.padEnd(26)} ${outcome.padEnd(28)} ${secret}  ${entry.sourceIp}\n`;
}

export async function run(io: CliIo, options: AuditOptions): Promise<void> {
  const { auditLogPath } = await loadLocalServer('audit');
  const file = auditLogPath(options.dataDir);
  if (!existsSync(file)) {
    throw new CliError(
      `No audit log at ${file}: start a server with \`coffer serve\`${options.dataDir ? ` --data-dir ${options.dataDir}` : ''} first.`,
    );
  }
  const print = (line: string) => {
    if (options.json) {
      io.stdout(`${line}\n`);
      return;
    }
    try {
      io.stdout(formatEntry(JSON.parse(line) as AuditEntry));
    } catch {
      io.stderr(`(skipped a line that is not valid JSON)\n`);
    }
  };
  const backlog: string[] = [];
  let offset = readNewLines(file, 0, (line) => backlog.push(line));
  for (const line of options.lines === undefined ? backlog : backlog.slice(-options.lines)) print(line);
  if (!options.follow) return;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(file)) offset = readNewLines(file, offset, print);
    }, FOLLOW_POLL_MS);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
