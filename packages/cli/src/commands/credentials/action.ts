import { readFileSync } from 'node:fs';
import type { LocalAdmin, PolicyDocument } from '@coffer/local';
import { shellQuote } from 'coffer/internal';
import { CliError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { openLocalAdmin } from '../../local-server.js';
import { styleFor } from '../../output/style.js';
import { renderTable } from '../../output/table.js';

export interface AddCredentialOptions {
  policy?: string;
  dataDir?: string;
}

export interface ListCredentialsOptions {
  dataDir?: string;
  json?: boolean;
  /** False with --no-color. */
  color?: boolean;
}

export interface RemoveCredentialOptions {
  dataDir?: string;
}

async function withAdmin<T>(dataDir: string | undefined, fn: (admin: LocalAdmin) => T): Promise<T> {
  const { admin } = await openLocalAdmin(
    'credentials',
    dataDir,
    'it has only the admin credential it printed',
  );
  try {
    return fn(admin);
  } finally {
    admin.close();
  }
}

function readPolicy(file: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read policy file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    throw new CliError(`Policy file ${file} is not valid JSON.`);
  }
}

export async function add(io: CliIo, user: string, options: AddCredentialOptions): Promise<void> {
  const policy = options.policy === undefined ? undefined : readPolicy(options.policy);
  const credential = await withAdmin(options.dataDir, (admin) => {
    try {
      return admin.add({ userName: user, ...(policy !== undefined && { policy }) });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  });
  io.stderr(`Created a credential for ${credential.principalArn}. Use it with:\n\n`);
  io.stdout(
    `export AWS_ACCESS_KEY_ID=${shellQuote(credential.accessKeyId)}\n` +
      `export AWS_SECRET_ACCESS_KEY=${shellQuote(credential.secretAccessKey)}\n`,
  );
}

export async function list(io: CliIo, options: ListCredentialsOptions): Promise<void> {
  const rows = await withAdmin(options.dataDir, (admin) =>
    admin.list().map((c) => ({
      userName: c.userName,
      accessKeyId: c.accessKeyId,
      principal: c.principalArn,
      policy: c.policy,
    })),
  );
  if (options.json) {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const style = styleFor(options, io.env);
  io.stdout(
    renderTable(
      ['USER', 'ACCESS KEY ID', 'PRINCIPAL'],
      rows.map((row) => [row.userName, row.accessKeyId, row.principal]),
      style.bold,
    ),
  );
}

export async function remove(io: CliIo, user: string, options: RemoveCredentialOptions): Promise<void> {
  if (!(await withAdmin(options.dataDir, (admin) => admin.remove(user)))) {
    throw new CliError(`No credential for user ${user}.`);
  }
  io.stderr(`Removed the credential of ${user}.\n`);
}
