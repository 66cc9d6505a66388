import { type Filter, ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type AwsOptions, clientFor } from '../aws.js';
import type { CliIo } from '../io.js';
import { humanDate, isoDate, json, tagsObject, tagsText } from '../output/format.js';
import { call, withSecretOptions } from '../output/secrets.js';
import { styleFor } from '../output/style.js';
import { renderTable, truncate } from '../output/table.js';

interface ListOptions extends AwsOptions {
  name?: string;
  tag?: { key: string; value?: string }[];
  description?: string;
  all?: string;
  includeDeleted?: boolean;
  json?: boolean;
  color: boolean;
}

/** What ListSecrets accepts in a filter value; checked here so a bad one is a usage error, not an AWS one. */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.\-!]{1,512}$/;
const filterValue = (value: string): string => {
  if (!FILTER_VALUE.test(value)) {
    throw new InvalidArgumentError('may only hold letters, digits, spaces and :_@/+=.-! (at most 512).');
  }
  return value;
};
const collectTag = (
  text: string,
  previous: NonNullable<ListOptions['tag']> | undefined,
): NonNullable<ListOptions['tag']> => {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  filterValue(key);
  if (at >= 0) filterValue(text.slice(at + 1));
  return [...(previous ?? []), at < 0 ? { key } : { key, value: text.slice(at + 1) }];
};

export function listCommand(io: CliIo): Command {
  const command = new Command('list')
    .summary('list secrets')
    .description(
      'List secrets (ListSecrets, every page) with when they last changed, their description and tags. Filters ' +
        'combine with AND; --name and --description match the start, --all matches words in any field.',
    )
    .addOption(new Option('-n, --name <prefix>', 'names starting with this').argParser(filterValue))
    .addOption(
      new Option('-t, --tag <key[=value]>', 'with this tag (and value); repeatable').argParser(collectTag),
    )
    .addOption(
      new Option('-d, --description <prefix>', 'descriptions starting with this').argParser(filterValue),
    )
    .addOption(
      new Option('-a, --all <text>', 'these words in the name, description, a tag key or value').argParser(
        filterValue,
      ),
    )
    .addOption(new Option('--include-deleted', 'also secrets scheduled for deletion'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer list
  $ coffer list --name prod/ --tag team=payments
  $ coffer list --all "orders database" --include-deleted
  $ coffer list --json | jq -r '.[].name'`,
    );
  withSecretOptions(command, 'print [{ name, arn, description, lastChangedDate, tags, ... }]');
  return command.action(async (options: ListOptions) => {
    const tags = options.tag ?? [];
    const filters: Filter[] = [];
    if (options.name !== undefined) filters.push({ Key: 'name', Values: [options.name] });
    if (options.description !== undefined)
      filters.push({ Key: 'description', Values: [options.description] });
    if (options.all !== undefined) filters.push({ Key: 'all', Values: [options.all] });
    // AWS matches tag keys and values separately and by prefix: narrow the list with the first tag on the
    // server, then keep only secrets that carry every --tag exactly.
    const [firstTag] = tags;
    if (firstTag !== undefined) filters.push({ Key: 'tag-key', Values: [firstTag.key] });
    const client = clientFor(options);
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
  });
}
