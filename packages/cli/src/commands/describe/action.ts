import { DescribeSecretCommand, type DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { CURRENT, PENDING, PREVIOUS } from 'coffer/internal';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import type { CliIo } from '../../io.js';
import { humanDate, isoDate, json, tagsObject, tagsText } from '../../output/format.js';
import { styleFor } from '../../output/style.js';
import { renderFields, renderTable } from '../../output/table.js';

export interface DescribeOptions extends AwsOptions {
  json?: boolean;
  color: boolean;
}

/** Versions, AWSCURRENT first, then AWSPREVIOUS, AWSPENDING and any others. */
function versionsOf(out: DescribeSecretCommandOutput): { versionId: string; stages: string[] }[] {
  const rank = (stages: string[]) => {
    const order: string[] = [CURRENT, PREVIOUS, PENDING];
    const best = Math.min(...stages.map((s) => (order.includes(s) ? order.indexOf(s) : order.length)));
    return Number.isFinite(best) ? best : order.length + 1;
  };
  return Object.entries(out.VersionIdsToStages ?? {})
    .map(([versionId, stages]) => ({ versionId, stages }))
    .sort((a, b) => rank(a.stages) - rank(b.stages));
}

function rotationText(out: DescribeSecretCommandOutput): string {
  if (!out.RotationEnabled) return out.RotationLambdaARN === undefined ? 'off' : 'off (was set up before)';
  const rules = out.RotationRules;
  const schedule =
    rules?.ScheduleExpression ??
    (rules?.AutomaticallyAfterDays === undefined
      ? 'no schedule'
      : `every ${rules.AutomaticallyAfterDays} days`);
  return `on, ${schedule}${rules?.Duration === undefined ? '' : ` (window ${rules.Duration})`}`;
}

export async function run(io: CliIo, secretId: string, options: DescribeOptions): Promise<void> {
  const client = await clientFor(options);
  const out = await call(secretId, 'DescribeSecret', () =>
    client.send(new DescribeSecretCommand({ SecretId: secretId })),
  );
  const versions = versionsOf(out);
  if (options.json) {
    io.stdout(
      json({
        name: out.Name,
        arn: out.ARN,
        description: out.Description,
        kmsKeyId: out.KmsKeyId,
        createdDate: isoDate(out.CreatedDate),
        lastChangedDate: isoDate(out.LastChangedDate),
        lastAccessedDate: isoDate(out.LastAccessedDate),
        deletedDate: isoDate(out.DeletedDate),
        tags: tagsObject(out.Tags),
        rotationEnabled: out.RotationEnabled ?? false,
        rotationLambdaArn: out.RotationLambdaARN,
        rotationRules: out.RotationRules,
        lastRotatedDate: isoDate(out.LastRotatedDate),
        nextRotationDate: isoDate(out.NextRotationDate),
        primaryRegion: out.PrimaryRegion,
        owningService: out.OwningService,
        versions,
      }),
    );
    return;
  }
  const style = styleFor(options, io.env);
  const fields: [string, string][] = [
    ['Name', style.bold(out.Name ?? '')],
    ['ARN', out.ARN ?? ''],
    ['Description', out.Description ?? '-'],
    ['KMS key', out.KmsKeyId ?? 'aws/secretsmanager (default)'],
    ['Created', humanDate(out.CreatedDate)],
    ['Last changed', humanDate(out.LastChangedDate)],
    // AWS keeps the day only.
    ['Last accessed', out.LastAccessedDate?.toISOString().slice(0, 10) ?? '-'],
    ['Tags', tagsText(out.Tags) || '-'],
  ];
  if (out.DeletedDate !== undefined) {
    fields.push([
      'Deleted',
      style.red(`${humanDate(out.DeletedDate)} (restore with \`coffer restore ${out.Name ?? secretId}\`)`),
    ]);
  }
  fields.push(['Rotation', rotationText(out)]);
  if (out.RotationLambdaARN !== undefined) fields.push(['Rotation function', out.RotationLambdaARN]);
  if (out.LastRotatedDate !== undefined) fields.push(['Last rotated', humanDate(out.LastRotatedDate)]);
  if (out.NextRotationDate !== undefined) fields.push(['Next rotation', humanDate(out.NextRotationDate)]);
  io.stdout(`${renderFields(fields, style.dim)}\n`);
  if (versions.length === 0) {
    io.stdout('\nNo versions: store a value with `coffer put`.\n');
    return;
  }
  io.stdout('\n');
  io.stdout(
    renderTable(
      ['VERSION ID', 'STAGES'],
      versions.map((v) => [v.versionId, v.stages.map((s) => (s === CURRENT ? style.green(s) : s)).join(' ')]),
      style.bold,
    ),
  );
}
