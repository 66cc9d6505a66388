import { AwsError } from '../protocol/errors.js';
import type { Input } from '../protocol/input.js';
import type { SecretRecord } from '../store/store.js';
import { authorize, describe, type Operation, type OperationContext } from './context.js';

type FilterKey =
  | 'description'
  | 'name'
  | 'tag-key'
  | 'tag-value'
  | 'primary-region'
  | 'owning-service'
  | 'all';

export interface Filter {
  key: FilterKey;
  values: string[];
}

const FILTER_KEYS: readonly FilterKey[] = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];
const FILTER_VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;

export function readFilters(input: Input): Filter[] | undefined {
  const raw = input.objectList('Filters', { max: 10 });
  if (raw === undefined) return undefined;
  return raw.map((member, index) => {
    const key = member.string('Key', { oneOf: FILTER_KEYS });
    const values = member.stringList('Values', {
      min: 1,
      max: 10,
      item: { max: 512, pattern: FILTER_VALUE },
    });
    input.adopt(member, `filters.${index + 1}.member`);
    return { key: (key ?? 'all') as FilterKey, values: values ?? [] };
  });
}

/** The strings a filter key compares against, and whether the comparison ignores case. */
function fieldsFor(ctx: OperationContext, secret: SecretRecord, key: FilterKey): [string[], boolean] {
  switch (key) {
    case 'name':
      return [[secret.name], false];
    case 'description':
      return [secret.description === undefined ? [] : [secret.description], true];
    case 'tag-key':
      return [secret.tags.map((t) => t.Key), false];
    case 'tag-value':
      return [secret.tags.map((t) => t.Value), false];
    case 'primary-region':
      return [[ctx.region], false];
    case 'owning-service':
      return [[], false];
    case 'all':
      return [
        [
          secret.name,
          secret.description ?? '',
          ...secret.tags.map((t) => t.Key),
          ...secret.tags.map((t) => t.Value),
        ],
        true,
      ];
  }
}

function valueMatches(fields: string[], value: string, key: FilterKey, ignoreCase: boolean): boolean {
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (key === 'all') {
    // Every word must be found in one and the same field.
    const words = norm(value).split(/\s+/).filter(Boolean);
    return fields.some((f) => words.every((w) => norm(f).includes(w)));
  }
  return fields.some((f) => norm(f).startsWith(norm(value)));
}

/**
 * AWS's filter semantics: values of one filter are ORed, filters are ANDed, and a value starting
 * with `!` excludes secrets that match it.
 */
function matchesFilters(ctx: OperationContext, secret: SecretRecord, filters: readonly Filter[]): boolean {
  return filters.every(({ key, values }) => {
    const [fields, ignoreCase] = fieldsFor(ctx, secret, key);
    const negated = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    const positive = values.filter((v) => !v.startsWith('!'));
    if (negated.some((v) => valueMatches(fields, v, key, ignoreCase))) return false;
    return positive.length === 0 || positive.some((v) => valueMatches(fields, v, key, ignoreCase));
  });
}

export function matchingSecrets(
  ctx: OperationContext,
  filters: readonly Filter[],
  includePlannedDeletion: boolean,
): SecretRecord[] {
  return ctx.store
    .all(ctx.region)
    .filter(
      (s) =>
        (s.deletionDate === undefined || s.deletionDate > ctx.now) &&
        (includePlannedDeletion || s.deletedAt === undefined),
    )
    .filter((s) => matchesFilters(ctx, s, filters));
}

/** NextToken is an opaque offset into a stable ordering. */
export function page<T>(
  items: readonly T[],
  size: number,
  token: string | undefined,
): { items: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    const parsed = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!parsed) throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
    offset = Number(parsed[1]);
  }
  const slice = items.slice(offset, offset + size);
  const end = offset + slice.length;
  return end < items.length
    ? { items: slice, next: Buffer.from(`o${end}`).toString('base64url') }
    : { items: slice };
}

export const listSecrets: Operation = (input, ctx) => {
  const includePlannedDeletion = input.boolean('IncludePlannedDeletion') ?? false;
  const maxResults = input.integer('MaxResults', { min: 1, max: 100 });
  const nextToken = input.string('NextToken', { min: 1, max: 4096 });
  const filters = readFilters(input) ?? [];
  const sortOrder = input.string('SortOrder', { oneOf: ['asc', 'desc'] });
  input.done();
  authorize(ctx, 'ListSecrets', '*');
  const matches = matchingSecrets(ctx, filters, includePlannedDeletion);
  if (sortOrder === 'desc') matches.reverse();
  const { items, next } = page(matches, maxResults ?? 100, nextToken);
  const list = items.map((s) => describe(ctx.store, s, 'SecretVersionsToStages'));
  return next === undefined ? { SecretList: list } : { SecretList: list, NextToken: next };
};
