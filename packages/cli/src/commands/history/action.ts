import { ListSecretVersionIdsCommand, type SecretVersionsListEntry } from '@aws-sdk/client-secrets-manager';
import { CURRENT } from 'coffer/internal';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import type { CliIo } from '../../io.js';
import { humanDate, isoDate, json } from '../../output/format.js';
import { styleFor } from '../../output/style.js';
import { renderTable } from '../../output/table.js';

export interface HistoryOptions extends AwsOptions {
  json?: boolean;
  color: boolean;
}

export async function run(io: CliIo, secretId: string, options: HistoryOptions): Promise<void> {
  const client = await clientFor(options);
  const versions: SecretVersionsListEntry[] = [];
  let name: string | undefined;
  let arn: string | undefined;
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(secretId, 'ListSecretVersionIds', () =>
      client.send(
        new ListSecretVersionIdsCommand({
          SecretId: secretId,
          IncludeDeprecated: true,
          MaxResults: 100,
          ...(token !== undefined && { NextToken: token }),
        }),
      ),
    );
    name = page.Name;
    arn = page.ARN;
    versions.push(...(page.Versions ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  // Newest first; versions created in the same second keep the service's order, reversed (newest last there).
  const ordered = versions
    .map((version, index) => ({ version, index }))
    .sort(
      (a, b) =>
        (b.version.CreatedDate?.getTime() ?? 0) - (a.version.CreatedDate?.getTime() ?? 0) ||
        b.index - a.index,
    )
    .map(({ version }) => version);
  if (options.json) {
    io.stdout(
      json({
        name,
        arn,
        versions: ordered.map((v) => ({
          versionId: v.VersionId,
          stages: v.VersionStages ?? [],
          createdDate: isoDate(v.CreatedDate),
          lastAccessedDate: isoDate(v.LastAccessedDate),
        })),
      }),
    );
    return;
  }
  if (ordered.length === 0) {
    io.stderr(`Secret ${name ?? secretId} has no versions yet: store one with \`coffer put\`.\n`);
    return;
  }
  const style = styleFor(options, io.env);
  io.stdout(
    renderTable(
      ['VERSION ID', 'CREATED', 'STAGES', 'LAST ACCESSED'],
      ordered.map((v) => [
        v.VersionId ?? '',
        humanDate(v.CreatedDate),
        (v.VersionStages ?? []).length === 0
          ? style.dim('(deprecated)')
          : (v.VersionStages ?? []).map((s) => (s === CURRENT ? style.green(s) : s)).join(' '),
        v.LastAccessedDate === undefined ? '-' : v.LastAccessedDate.toISOString().slice(0, 10),
      ]),
      style.bold,
    ),
  );
}
