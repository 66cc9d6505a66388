import { type Filter, ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import type { CliIo } from '../../io.js';
import { humanDate, isoDate, json, tagsObject, tagsText } from '../../output/format.js';
import { styleFor } from '../../output/style.js';
import { renderTable, truncate } from '../../output/table.js';

export interface ListOptions extends AwsOptions {
  name?: string;
  tag?: { key: string; value?: string }[];
  description?: string;
  all?: string;
  includeDeleted?: boolean;
  json?: boolean;
  color: boolean;
}

export async function run(io: CliIo, options: ListOptions): Promise<void> {
  const tags = options.tag ?? [];
  const filters: Filter[] = [];
  if (options.name !== undefined) filters.push({ Key: 'name', Values: [options.name] });
  if (options.description !== undefined) filters.push({ Key: 'description', Values: [options.description] });
  if (options.all !== undefined) filters.push({ Key: 'all', Values: [options.all] });
  // AWS matches tag keys and values separately and by prefix: narrow the list with the first tag on the
  // server, then keep only secrets that carry every --tag exactly.
  const [firstTag] = tags;
  if (firstTag !== undefined) filters.push({ Key: 'tag-key', Values: [firstTag.key] });
  const client = await clientFor(options);
  const secrets: SecretListEntry[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(undefined, 'ListSecrets', () =>
      client.send(
        new ListSecretsCommand({
          MaxResults: 100,
          ...(filters.length > 0 && { Filters: filters }),
          ...(options.includeDeleted && { IncludePlannedDeletion: true }),
          ...(token !== undefined && { NextToken: token }),
        }),
      ),
    );
    secrets.push(...(page.SecretList ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  const shown = secrets
    .filter((secret) =>
      tags.every(({ key, value }) =>
        (secret.Tags ?? []).some((tag) => tag.Key === key && (value === undefined || tag.Value === value)),
      ),
    )
    .sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
  if (options.json) {
    io.stdout(
      json(
        shown.map((secret) => ({
          name: secret.Name,
          arn: secret.ARN,
          description: secret.Description,
          createdDate: isoDate(secret.CreatedDate),
          lastChangedDate: isoDate(secret.LastChangedDate),
          lastAccessedDate: isoDate(secret.LastAccessedDate),
          deletedDate: isoDate(secret.DeletedDate),
          rotationEnabled: secret.RotationEnabled ?? false,
          tags: tagsObject(secret.Tags),
        })),
      ),
    );
    return;
  }
  if (shown.length === 0) {
    io.stderr(filters.length > 0 || tags.length > 0 ? 'No secrets match.\n' : 'No secrets.\n');
    return;
  }
  const style = styleFor(options, io.env);
  io.stdout(
    renderTable(
      ['NAME', 'LAST CHANGED', 'DESCRIPTION', 'TAGS'],
      shown.map((secret) => [
        secret.DeletedDate === undefined
          ? (secret.Name ?? '')
          : `${secret.Name ?? ''} ${style.red('(deleted)')}`,
        humanDate(secret.LastChangedDate ?? secret.CreatedDate),
        truncate(secret.Description ?? '', 48),
        style.dim(truncate(tagsText(secret.Tags), 48)),
      ]),
      style.bold,
    ),
  );
}
