import { existsSync } from 'node:fs';
import type { AuditEntry } from '@coffer/local';
import { CliError } from '../../errors.js';
import { LogTail } from '../../input/log-tail.js';
import type { CliIo } from '../../io.js';
import { loadLocalServer } from '../../local-server.js';
import { truncate } from '../../output/table.js';

export interface AuditOptions {
  dataDir?: string;
  follow?: boolean;
  lines?: number;
  json?: boolean;
}

const FOLLOW_POLL_MS = 250;

/** Fixed widths, so that a followed log lines up with the lines before it. */
const COLUMNS = [
  { title: 'TIME', width: 20 },
  { title: 'PRINCIPAL', width: 16 },
  { title: 'OPERATION', width: 28 },
  { title: 'OUTCOME', width: 26 },
  { title: 'SOURCE', width: 15 },
] as const;

/** The secret a call concerned: its name, or the id the caller gave when there was none (denied, not found). */
function secretOf(entry: AuditEntry): string {
  return entry.secretArn?.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') ?? entry.secretId ?? '-';
}

const cell = (text: string, width: number): string => truncate(text, width).padEnd(width);

/** One line per call; the secret comes last and is cut to the terminal's width, so lines never wrap. */
function formatEntry(entry: AuditEntry, columns: number | undefined): string {
  const principal = entry.principal?.split('/').pop() ?? '(unauthenticated)';
  const outcome = entry.outcome === 'success' ? 'ok' : (entry.errorCode ?? 'error');
  // Rotation steps name their step: "RotationStep setSecret".
  const operation = entry.step === undefined ? entry.operation : `${entry.operation} ${entry.step}`;
  const time = `${entry.time.slice(0, 10)} ${entry.time.slice(11, 19)}Z`;
  const fixed = [time, principal, operation, outcome, entry.sourceIp ?? '-']
    .map((text, i) => cell(text, COLUMNS[i]?.width ?? 10))
    .join('  ');
  const room = columns === undefined ? Number.POSITIVE_INFINITY : columns - fixed.length - 2;
  return `${fixed}  ${truncate(secretOf(entry), Math.max(8, room))}`.trimEnd();
}

const header = (): string => `${COLUMNS.map(({ title, width }) => title.padEnd(width)).join('  ')}  SECRET`;

export async function run(io: CliIo, options: AuditOptions): Promise<void> {
  const { auditLogPath } = await loadLocalServer('audit');
  const file = auditLogPath(options.dataDir);
  if (!existsSync(file)) {
    throw new CliError(
      `No audit log at ${file}: start a server with \`coffer serve\`${options.dataDir ? ` --data-dir ${options.dataDir}` : ''} first.`,
    );
  }
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  if (!options.json) io.stdout(`${header()}\n`);
  const print = (line: string) => {
    if (options.json) {
      io.stdout(`${line}\n`);
      return;
    }
    try {
      io.stdout(`${formatEntry(JSON.parse(line) as AuditEntry, columns)}\n`);
    } catch {
      io.stderr(`(skipped a line that is not valid JSON)\n`);
    }
  };
  const backlog: string[] = [];
  const tail = new LogTail(file);
  tail.read((line) => backlog.push(line));
  for (const line of options.lines === undefined ? backlog : backlog.slice(-options.lines)) print(line);
  if (!options.follow) return;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      tail.read(print);
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
