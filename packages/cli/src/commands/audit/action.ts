import { existsSync } from 'node:fs';
import type { AuditEntry } from '@coffer/local';
import { CliError } from '../../errors.js';
import { LogTail } from '../../input/log-tail.js';
import type { CliIo } from '../../io.js';
import { IN_MEMORY, loadLocalServer } from '../../local-server.js';
import { truncate } from '../../output/table.js';

export interface AuditOptions {
  dataDir?: string;
  follow?: boolean;
  lines?: number;
  json?: boolean;
}

const FOLLOW_POLL_MS = 250;

interface Column {
  readonly title: string;
  readonly width: number;
  readonly text: (entry: AuditEntry) => string;
}

const time = (entry: AuditEntry) => `${entry.time.slice(0, 10)} ${entry.time.slice(11, 19)}Z`;
const timeOfDay = (entry: AuditEntry) => `${entry.time.slice(11, 19)}Z`;
const principal = (entry: AuditEntry) => entry.principal?.split('/').pop() ?? '(unauthenticated)';
// Rotation steps name their step: "RotationStep setSecret".
const operation = (entry: AuditEntry) =>
  entry.step === undefined ? entry.operation : `${entry.operation} ${entry.step}`;
const outcome = (entry: AuditEntry) => (entry.outcome === 'success' ? 'ok' : (entry.errorCode ?? 'error'));
/** "ResourceNotFound" for ResourceNotFoundException: what a narrow column has room for. */
const shortOutcome = (entry: AuditEntry) => outcome(entry).replace(/Exception$/, '');
const source = (entry: AuditEntry) => entry.sourceIp ?? '-';

/**
 * Column sets from the widest to the narrowest. Widths are fixed, so that a followed log lines up with the
 * lines before it; the secret comes last and takes the rest of the line. On a terminal the widest set that
 * leaves the secret `secretMin` characters is used (the last one otherwise), so lines never wrap: the source
 * address goes first (on a local server it is nearly always 127.0.0.1), then the date (a local log is read
 * the day it is written), and error codes lose their "Exception". Anywhere else (a file, a pipe), rows are
 * the widest set, secret uncut.
 */
const LAYOUTS: readonly { readonly columns: readonly Column[]; readonly secretMin: number }[] = [
  {
    columns: [
      { title: 'TIME', width: 20, text: time },
      { title: 'PRINCIPAL', width: 16, text: principal },
      { title: 'OPERATION', width: 28, text: operation },
      { title: 'OUTCOME', width: 26, text: outcome },
      { title: 'SOURCE', width: 15, text: source },
    ],
    secretMin: 20,
  },
  {
    columns: [
      { title: 'TIME', width: 20, text: time },
      { title: 'PRINCIPAL', width: 16, text: principal },
      { title: 'OPERATION', width: 25, text: operation },
      { title: 'OUTCOME', width: 20, text: shortOutcome },
    ],
    secretMin: 20,
  },
  {
    columns: [
      { title: 'TIME', width: 9, text: timeOfDay },
      { title: 'PRINCIPAL', width: 12, text: principal },
      { title: 'OPERATION', width: 20, text: operation },
      { title: 'OUTCOME', width: 16, text: shortOutcome },
    ],
    secretMin: 12,
  },
  {
    columns: [
      { title: 'TIME', width: 9, text: timeOfDay },
      { title: 'OPERATION', width: 20, text: operation },
      { title: 'OUTCOME', width: 16, text: shortOutcome },
    ],
    secretMin: 8,
  },
];

const SEPARATOR = '  ';
const fixedWidth = (columns: readonly Column[]) =>
  columns.reduce((sum, column) => sum + column.width + SEPARATOR.length, 0);

/** The columns and the room left for the secret on a terminal `width` wide (unbounded when not a terminal). */
function layoutFor(width: number | undefined): { columns: readonly Column[]; secretWidth: number } {
  const widest = LAYOUTS[0] as (typeof LAYOUTS)[number];
  if (width === undefined) return { columns: widest.columns, secretWidth: Number.POSITIVE_INFINITY };
  const chosen =
    LAYOUTS.find((layout) => width - fixedWidth(layout.columns) >= layout.secretMin) ??
    (LAYOUTS.at(-1) as (typeof LAYOUTS)[number]);
  return {
    columns: chosen.columns,
    secretWidth: Math.max(chosen.secretMin, width - fixedWidth(chosen.columns)),
  };
}

/** The secret a call concerned: its name, or the id the caller gave when there was none (denied, not found). */
function secretOf(entry: AuditEntry): string {
  return entry.secretArn?.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') ?? entry.secretId ?? '-';
}

const cell = (text: string, width: number): string => truncate(text, width).padEnd(width);

/** One line per call. */
function formatEntry(entry: AuditEntry, layout: ReturnType<typeof layoutFor>): string {
  const fixed = layout.columns.map((column) => cell(column.text(entry), column.width) + SEPARATOR).join('');
  return `${fixed}${truncate(secretOf(entry), layout.secretWidth)}`.trimEnd();
}

const header = (layout: ReturnType<typeof layoutFor>): string =>
  `${layout.columns.map((column) => column.title.padEnd(column.width) + SEPARATOR).join('')}SECRET`;

export async function run(io: CliIo, options: AuditOptions): Promise<void> {
  const { auditLogPath } = await loadLocalServer('audit');
  const file = auditLogPath(options.dataDir);
  if (!existsSync(file)) {
    throw new CliError(
      `No audit log at ${file}: start a server with \`coffer serve${options.dataDir ? ` --data-dir ${options.dataDir}` : ''}\` first. ${IN_MEMORY}: its audit log is in memory, in its web console.`,
    );
  }
  // A terminal that does not say its width gets the full rows, as a pipe does.
  const layout = layoutFor(process.stdout.isTTY ? process.stdout.columns || undefined : undefined);
  if (!options.json) io.stdout(`${header(layout)}\n`);
  const print = (line: string) => {
    if (options.json) {
      io.stdout(`${line}\n`);
      return;
    }
    try {
      io.stdout(`${formatEntry(JSON.parse(line) as AuditEntry, layout)}\n`);
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
