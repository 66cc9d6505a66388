import { AwsError, invalidParameter } from '../protocol/errors.js';
import type { Input } from '../protocol/input.js';
import { type SecretRecord, SORT_COLUMNS, type SortKey as SortBy } from '../store/store.js';
import {
  authorize,
  describe,
  type Operation,
  type OperationContext,
  primaryRegionOf,
  replicaView,
} from './context.js';

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

/**
 * Reads `Filters` (ListSecrets, BatchGetSecretValue). Constraint violations join the request's
 * ValidationException; call `complete()` after `input.done()` for what AWS reports apart: a filter
 * without `Key` or without `Values` is an InvalidParameterException.
 */
export function readFilters(input: Input): { complete(): Filter[] } | undefined {
  const raw = input.objectList('Filters', { max: 10 });
  if (raw === undefined) return undefined;
  const read = raw.map((member, index) => {
    const key = member.string('Key', { oneOf: FILTER_KEYS }) as FilterKey | undefined;
    const values = member.stringList('Values', {
      min: 1,
      max: 10,
      item: { max: 512, pattern: FILTER_VALUE },
    });
    input.adopt(member, `filters.${index + 1}.member`);
    return { key, values };
  });
  return {
    complete: () =>
      read.map(({ key, values }) => {
        if (key === undefined) throw invalidParameter('Invalid filter key');
        if (values === undefined) throw invalidParameter(`Invalid filter values for key: ${key}`);
        return { key, values };
      }),
  };
}

/**
 * The words of a text as the user guide's "Find secrets" describes them: runs of letters and digits,
 * split where lower case turns upper case, where letters and digits meet, and at every other character
 * (punctuation and spaces are ignored). `credsDatabase#892` is `creds`, `Database`, `892`.
 */
function words(text: string): string[] {
  return text.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? [];
}

/** Whether each word of `value` begins some word of `text`, ignoring case. No words never match. */
function wordsMatch(value: string, text: string): boolean {
  const wanted = words(value).map((w) => w.toLowerCase());
  if (wanted.length === 0) return false;
  const have = words(text).map((w) => w.toLowerCase());
  return wanted.every((w) => have.some((h) => h.startsWith(w)));
}

/**
 * Whether one (non-negated) filter value matches a secret, by the rules of the Secrets Manager user
 * guide ("Find secrets"). Where the API reference says otherwise, the user guide is followed, as AWS
 * behaves: `description` matches words of the description (the reference says "prefix match"), and
 * `owning-service` ignores case (the reference says case-sensitive).
 */
function matches(secret: SecretRecord, key: FilterKey, value: string): boolean {
  switch (key) {
    case 'name':
      return secret.name.startsWith(value);
    case 'description':
      return secret.description !== undefined && wordsMatch(value, secret.description);
    case 'tag-key':
      return secret.tags.some((t) => t.Key.startsWith(value));
    case 'tag-value':
      return secret.tags.some((t) => t.Value.startsWith(value));
    case 'primary-region':
      // Only replicated secrets (primaries and replicas) report a PrimaryRegion.
      return primaryRegionOf(secret)?.startsWith(value) ?? false;
    case 'owning-service':
      return secret.owningService?.toLowerCase().startsWith(value.toLowerCase()) ?? false;
    case 'all': {
      // The user guide: "searching for My_Secret matches secrets with the word my or secret in the
      // name, description, or tags": any one word of the value, in any of those fields.
      const fields = [
        secret.name,
        secret.description ?? '',
        ...secret.tags.map((t) => t.Key),
        ...secret.tags.map((t) => t.Value),
      ];
      return words(value).some((word) => fields.some((field) => wordsMatch(word, field)));
    }
  }
}

/**
 * A secret passes when every filter matches (filters are ANDed, also two with the same key), and a
 * filter matches when any of its values does (values are ORed); `!value` matches what `value` does not.
 */
const passes = (secret: SecretRecord, filters: readonly Filter[]): boolean =>
  filters.every(({ key, values }) =>
    values.some((value) =>
      value.startsWith('!') ? !matches(secret, key, value.slice(1)) : matches(secret, key, value),
    ),
  );

const SORT_KEYS = Object.keys(SORT_COLUMNS) as SortBy[];
type SortOrder = 'asc' | 'desc';

/** A secret's place in a listing: its sort value, then its creation order (unique) to break ties. */
type Position = [number | string, number];

/** The row's own place in the store's order (a replica's row, not the primary it shows). */
function positionOf(secret: SecretRecord, by: SortBy): Position {
  switch (by) {
    case 'created-date':
      return [secret.createdAt, secret.seq];
    case 'last-changed-date':
      return [secret.lastChangedAt, secret.seq];
    // Never accessed sorts before any date, as NULL does in an SQL index.
    case 'last-accessed-date':
      return [secret.lastAccessedAt ?? -1, secret.seq];
    case 'name':
      return [secret.name, secret.seq];
  }
}

const invalidToken = () => new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');

/**
 * Rows a page may read per result it can return. A filter that matches few secrets would otherwise read the
 * whole region to fill one page, holding every other request back (1–2 s at 50,000 secrets); AWS too may answer
 * a filtered view of a long list with fewer results than asked for, even none, and a NextToken.
 */
const ROWS_READ_PER_RESULT = 10;
/** And at least this many, so small pages of a sparse filter still make headway. */
const MIN_ROWS_READ = 100;

/**
 * One page of the region's secrets that pass the filters, in a listing order. The NextToken is a keyset: the
 * order and the position of the last secret read, so the next page starts right after it even when secrets
 * were created or deleted in between (an offset would skip or repeat them). Secrets are read from the order's
 * index until the page is full or the page's reading budget is spent, so a page costs what it can return,
 * filtered or not.
 */
export function listingPage(
  ctx: OperationContext,
  filters: readonly Filter[],
  options: {
    by: SortBy;
    order: SortOrder;
    size: number;
    token: string | undefined;
    includePlannedDeletion: boolean;
  },
): { items: SecretRecord[]; next?: string } {
  const { by, order, size } = options;
  const after = options.token === undefined ? undefined : parseToken(options.token, by, order);
  const budget = Math.max(size * ROWS_READ_PER_RESULT, MIN_ROWS_READ);
  const items: SecretRecord[] = [];
  let read = 0;
  /** Where the next page starts: after the last secret returned, or after the last one read past it. */
  let last: Position | undefined;
  const page = () => (last === undefined ? { items } : { items, next: makeToken(by, order, last) });
  for (const record of ctx.store.ordered(ctx.region, by, order, after)) {
    if (read === budget) return page();
    read++;
    const passing =
      !(record.deletionDate !== undefined && record.deletionDate <= ctx.now) &&
      (options.includePlannedDeletion || record.deletedAt === undefined);
    const secret = passing ? replicaView(ctx.store, record) : undefined;
    if (secret !== undefined && passes(secret, filters)) {
      if (items.length === size) return page();
      items.push(secret);
    }
    // Secrets read and left out need not be read again: the next page starts after them too.
    last = positionOf(record, by);
  }
  return { items };
}

function makeToken(by: SortBy, order: SortOrder, at: Position): string {
  return Buffer.from(JSON.stringify({ by, order, after: at })).toString('base64url');
}

function parseToken(token: string, by: SortBy, order: SortOrder): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  const { by: tokenBy, order: tokenOrder, after } = (parsed ?? {}) as Record<string, unknown>;
  // A token continues the listing it came from; under another order it would mean nothing.
  if (tokenBy !== by || tokenOrder !== order || !Array.isArray(after) || after.length !== 2)
    throw invalidToken();
  const [value, seq] = after as unknown[];
  const valueOk = by === 'name' ? typeof value === 'string' : typeof value === 'number';
  if (!valueOk || typeof seq !== 'number') throw invalidToken();
  return [value as number | string, seq];
}

/** NextToken as an opaque offset into a stable ordering (versions of one secret). */
export function page<T>(
  items: readonly T[],
  size: number,
  token: string | undefined,
): { items: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    const parsed = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!parsed) throw invalidToken();
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
  const filters = readFilters(input);
  const sortOrder = input.string('SortOrder', { oneOf: ['asc', 'desc'] }) as SortOrder | undefined;
  const sortBy = input.string('SortBy', { oneOf: SORT_KEYS }) as SortBy | undefined;
  input.done();
  const checked = filters?.complete() ?? [];
  authorize(ctx, 'ListSecrets', '*');
  const { items, next } = listingPage(ctx, checked, {
    by: sortBy ?? 'created-date',
    order: sortOrder ?? 'asc',
    size: maxResults ?? 100,
    token: nextToken,
    includePlannedDeletion,
  });
  const list = items.map((s) => describe(ctx.store, s, 'SecretVersionsToStages'));
  return next === undefined ? { SecretList: list } : { SecretList: list, NextToken: next };
};
