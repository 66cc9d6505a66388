/**
 * AWS region names and the partitions they belong to. A region is "valid" when it has the shape of a
 * region in one of AWS's partitions (the patterns the AWS SDK resolves endpoints with), so a region AWS
 * opens next year works here at once; the partition names the ARN prefix (`arn:aws-cn:...`).
 */

interface Partition {
  readonly name: string;
  readonly regions: RegExp;
}

/** Most specific first: `us-gov-west-1` is also shaped like a commercial region. */
const PARTITIONS: readonly Partition[] = [
  { name: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/ },
  { name: 'aws-iso', regions: /^us-iso-\w+-\d+$/ },
  { name: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/ },
  { name: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/ },
  { name: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/ },
  { name: 'aws-eusc', regions: /^eusc-de-\w+-\d+$/ },
  { name: 'aws-cn', regions: /^cn-\w+-\d+$/ },
  { name: 'aws', regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
];

const byRegion = new Map<string, string | undefined>();

/** The partition of a region (`aws`, `aws-cn`, ...), or undefined when the name is no AWS region. */
function partitionOf(region: string): string | undefined {
  let partition = byRegion.get(region);
  if (partition === undefined && !byRegion.has(region)) {
    partition = PARTITIONS.find((p) => p.regions.test(region))?.name;
    // Bounded: region names come from request signatures.
    if (byRegion.size >= 256) byRegion.clear();
    byRegion.set(region, partition);
  }
  return partition;
}

export const isRegionName = (value: string): boolean => partitionOf(value) !== undefined;

/** Whether two regions are in one partition (replication never crosses partitions). */
export const samePartition = (a: string, b: string): boolean => partitionOf(a) === partitionOf(b);

/** The start of every secret ARN in a region: `arn:<partition>:secretsmanager:<region>:<account>:secret:`. */
export const secretArnPrefix = (region: string, accountId: string): string =>
  `arn:${partitionOf(region) ?? 'aws'}:secretsmanager:${region}:${accountId}:secret:`;

/** The region field of an ARN (`arn:partition:service:region:account:...`), or undefined. */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':', 5);
  return parts.length === 5 && parts[0] === 'arn' ? parts[3] : undefined;
}

/** The regions a server answers: any region name, or only those it was started with. */
export class RegionSet {
  private readonly allowed: ReadonlySet<string> | undefined;

  constructor(regions: readonly string[] | undefined) {
    this.allowed = regions === undefined ? undefined : new Set(regions);
  }

  has(region: string): boolean {
    return this.allowed === undefined ? isRegionName(region) : this.allowed.has(region);
  }

  /** The regions it was restricted to, or undefined when it answers every region. */
  list(): readonly string[] | undefined {
    return this.allowed === undefined ? undefined : [...this.allowed];
  }
}
