/**
 * The Secrets page: one region's secrets, searched with ListSecrets' own filters, sorted and paged
 * with its SortBy and keyset NextToken, so a page costs the same with 10 or 10,000 secrets. Rotation
 * on/off and "only scheduled for deletion" are not ListSecrets filters: the console applies them
 * over pages of 100, at most SCAN_CALLS pages per screen, and says so when it stopped early.
 */
import { ConsoleApiError } from '../api.js';
import { call, type PageContext } from '../context.js';
import { type Html, html } from '../html.js';
import { layout, regionOf, secretHref, when } from './layout.js';

const FIELDS = [
  ['all', 'All fields'],
  ['name', 'Name'],
  ['description', 'Description'],
  ['tag-key', 'Tag key'],
  ['tag-value', 'Tag value'],
] as const;
const SORTS = ['name', 'created-date', 'last-changed-date', 'last-accessed-date'] as const;
const SIZES = [25, 50, 100] as const;
/** The most ListSecrets calls one screen makes when the console filters pages itself. */
const SCAN_CALLS = 10;
/** Previous pages remembered in the URL (their NextTokens), so "Previous" works without server state. */
const MAX_TRAIL = 40;

type Field = (typeof FIELDS)[number][0];
type Sort = (typeof SORTS)[number];

interface ListParams {
  region: string;
  q: string;
  field: Field;
  rotation: 'any' | 'on' | 'off';
  deleted: 'hide' | 'include' | 'only';
  sort: Sort;
  order: 'asc' | 'desc';
  size: number;
  token: string | undefined;
  /** The tokens of the pages before this one ('' for the first). */
  trail: string[];
}

interface ListedSecret {
  ARN: string;
  Name: string;
  Description?: string;
  Tags?: { Key: string; Value: string }[];
  RotationEnabled?: boolean;
  NextRotationDate?: number;
  LastChangedDate?: number;
  LastAccessedDate?: number;
  DeletedDate?: number;
  PrimaryRegion?: string;
  OwningService?: string;
}

const oneOf = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback;

function readParams(query: URLSearchParams, defaultRegion: string): ListParams {
  const size = Number(query.get('size'));
  const trail = (query.get('trail') ?? '').split('.').filter((t) => /^[A-Za-z0-9_-]*$/.test(t));
  return {
    region: query.get('region') || defaultRegion,
    q: (query.get('q') ?? '').trim(),
    field: oneOf(
      query.get('field'),
      FIELDS.map((f) => f[0]),
      'all',
    ),
    rotation: oneOf(query.get('rotation'), ['any', 'on', 'off'], 'any'),
    deleted: oneOf(query.get('deleted'), ['hide', 'include', 'only'], 'hide'),
    sort: oneOf(query.get('sort'), SORTS, 'name'),
    order: oneOf(query.get('order'), ['asc', 'desc'], 'asc'),
    size: (SIZES as readonly number[]).includes(size) ? size : 50,
    token: query.get('token') || undefined,
    trail: query.has('trail') ? trail : [],
  };
}

function listHref(params: ListParams, change: Partial<ListParams>): string {
  const p = { ...params, ...change };
  const query = new URLSearchParams();
  query.set('region', p.region);
  if (p.q !== '') query.set('q', p.q);
  if (p.field !== 'all') query.set('field', p.field);
  if (p.rotation !== 'any') query.set('rotation', p.rotation);
  if (p.deleted !== 'hide') query.set('deleted', p.deleted);
  query.set('sort', p.sort);
  query.set('order', p.order);
  if (p.size !== 50) query.set('size', String(p.size));
  if (p.token !== undefined) {
    query.set('token', p.token);
    query.set('trail', p.trail.join('.'));
  }
  return `/console/secrets?${query.toString()}`;
}

interface ListResult {
  items: ListedSecret[];
  next: string | undefined;
  /** Set when the console filtered pages itself and stopped at its budget before the page was full. */
  scannedOut: boolean;
}

async function fetchPage(ctx: PageContext, params: ListParams): Promise<ListResult> {
  const base: Record<string, unknown> = {
    SortBy: params.sort,
    SortOrder: params.order,
    IncludePlannedDeletion: params.deleted !== 'hide',
  };
  if (params.q !== '') base.Filters = [{ Key: params.field, Values: [params.q] }];
  const keep = (s: ListedSecret): boolean =>
    (params.rotation === 'any' || (s.RotationEnabled === true) === (params.rotation === 'on')) &&
    (params.deleted !== 'only' || s.DeletedDate !== undefined);
  const list = (max: number, token: string | undefined) =>
    call<{ SecretList?: ListedSecret[]; NextToken?: string }>(ctx, params.region, 'ListSecrets', {
      ...base,
      MaxResults: max,
      ...(token !== undefined && { NextToken: token }),
    });
  if (params.rotation === 'any' && params.deleted !== 'only') {
    const page = await list(params.size, params.token);
    return { items: page.SecretList ?? [], next: page.NextToken, scannedOut: false };
  }
  const items: ListedSecret[] = [];
  let token = params.token;
  for (let calls = 0; calls < SCAN_CALLS; calls++) {
    const page = await list(100, token);
    const batch = page.SecretList ?? [];
    for (let i = 0; i < batch.length; i++) {
      const secret = batch[i] as ListedSecret;
      if (!keep(secret)) continue;
      items.push(secret);
      if (items.length === params.size) {
        if (i === batch.length - 1) return { items, next: page.NextToken, scannedOut: false };
        // The page filled mid-batch: the token that continues right after this secret, from listing up to it
        // again (in as many calls as ListSecrets takes to return those i + 1 secrets: a sparse search may need
        // more than one).
        let wanted = i + 1;
        let exact = token;
        do {
          const part = await list(wanted, exact);
          wanted -= part.SecretList?.length ?? 0;
          exact = part.NextToken;
        } while (wanted > 0 && exact !== undefined);
        return { items, next: exact, scannedOut: false };
      }
    }
    if (page.NextToken === undefined) return { items, next: undefined, scannedOut: false };
    token = page.NextToken;
  }
  return { items, next: token, scannedOut: true };
}

const SORT_NAMES: Record<Sort, string> = {
  name: 'Name',
  'created-date': 'Created',
  'last-changed-date': 'Last changed',
  'last-accessed-date': 'Last accessed',
};

function sortHeader(params: ListParams, sort: Sort, text = SORT_NAMES[sort]): Html {
  const active = params.sort === sort;
  const order = active && params.order === 'asc' ? 'desc' : 'asc';
  const ariaSort = active ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined;
  const arrow = active ? (params.order === 'asc' ? ' ▲' : ' ▼') : '';
  return html`<th scope="col"${ariaSort ? html` aria-sort="${ariaSort}"` : ''}><a href="${listHref(params, { sort, order, token: undefined, trail: [] })}">${text}${arrow}</a></th>`;
}

function replication(secret: ListedSecret): Html {
  const region = regionOf(secret.ARN);
  if (secret.PrimaryRegion === undefined) return html`${region}`;
  return secret.PrimaryRegion === region
    ? html`${region} <span class="chip">primary</span>`
    : html`${region} <span class="chip">replica of ${secret.PrimaryRegion}</span>`;
}

function tags(secret: ListedSecret): Html {
  const list = secret.Tags ?? [];
  const shown = list.slice(0, 3).map((t) => html`<span class="chip">${t.Key}=${t.Value}</span>`);
  return html`${shown}${list.length > 3 ? html`<span class="muted">+${list.length - 3}</span>` : ''}`;
}

function row(secret: ListedSecret): Html {
  return html`<tr>
<td class="name"><a href="${secretHref(secret.ARN)}">${secret.Name}</a></td>
<td class="desc"${secret.Description ? html` title="${secret.Description}"` : ''}>${secret.Description ?? ''}</td>
<td>${tags(secret)}</td>
<td>${replication(secret)}</td>
<td>${secret.RotationEnabled ? html`<span class="on">On</span>${secret.NextRotationDate !== undefined ? html`, next ${when(secret.NextRotationDate, { dateOnly: true })}` : ''}` : html`<span class="off">Off</span>`}</td>
<td>${when(secret.LastChangedDate)}</td>
<td>${when(secret.LastAccessedDate, { dateOnly: true })}</td>
<td>${secret.DeletedDate !== undefined ? html`<span class="bad">Scheduled</span> (deleted ${when(secret.DeletedDate, { dateOnly: true })})` : ''}</td>
</tr>`;
}

const select = (
  name: string,
  label: string,
  value: string,
  options: readonly (readonly [string, string])[],
) =>
  html`<div class="field"><label for="filter-${name}">${label}</label><select id="filter-${name}" name="${name}">${options.map(
    ([v, text]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${text}</option>`,
  )}</select></div>`;

export async function secretsPage(ctx: PageContext, query: URLSearchParams): Promise<Html> {
  const params = readParams(query, ctx.defaultRegion);
  let result: ListResult | undefined;
  let problem: string | undefined;
  try {
    result = await fetchPage(ctx, params);
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    problem = `${error.code}: ${error.message}`;
  }
  const regions = ctx.regionChoices();
  if (!regions.includes(params.region)) regions.push(params.region);
  const form = html`<form class="filters" method="get" action="/console/secrets" role="search">
${select(
  'region',
  'Region',
  params.region,
  regions.map((r) => [r, r] as const),
)}
<div class="field"><label for="filter-q">Search</label><input id="filter-q" type="search" name="q" value="${params.q}" maxlength="512" placeholder="words of a name, description or tag"></div>
${select('field', 'In', params.field, FIELDS)}
${select('rotation', 'Rotation', params.rotation, [
  ['any', 'Any'],
  ['on', 'On'],
  ['off', 'Off'],
])}
${select('deleted', 'Scheduled for deletion', params.deleted, [
  ['hide', 'Hide'],
  ['include', 'Include'],
  ['only', 'Only those'],
])}
${select(
  'size',
  'Per page',
  String(params.size),
  SIZES.map((s) => [String(s), String(s)] as const),
)}
<input type="hidden" name="sort" value="${params.sort}"><input type="hidden" name="order" value="${params.order}">
<button type="submit" class="primary">Search</button>
${params.q !== '' || params.rotation !== 'any' || params.deleted !== 'hide' ? html`<a href="${listHref(params, { q: '', field: 'all', rotation: 'any', deleted: 'hide', token: undefined, trail: [] })}">Clear</a>` : ''}
</form>`;
  const items = result?.items ?? [];
  const onFirst = params.token === undefined;
  const previousToken = params.trail.at(-1);
  const previous = onFirst
    ? undefined
    : listHref(params, {
        token: previousToken === '' || previousToken === undefined ? undefined : previousToken,
        trail: params.trail.slice(0, -1),
      });
  const next =
    result?.next === undefined
      ? undefined
      : listHref(params, {
          token: result.next,
          trail: [...params.trail, params.token ?? ''].slice(-MAX_TRAIL),
        });
  const table = html`<div class="table-wrap"><table id="secrets">
<caption>${items.length === 0 ? (next !== undefined ? 'None on this page: a page reads only so many secrets, and Next goes on with the rest.' : 'No secrets match.') : `${items.length} secret${items.length === 1 ? '' : 's'} on this page, in ${params.region}, by ${SORT_NAMES[params.sort].toLowerCase()} (${params.order === 'asc' ? 'ascending' : 'descending'})`}</caption>
<thead><tr>${sortHeader(params, 'name')}<th scope="col">Description</th><th scope="col">Tags</th><th scope="col">Region</th><th scope="col">Rotation</th>${sortHeader(params, 'last-changed-date')}${sortHeader(params, 'last-accessed-date')}<th scope="col">Deletion</th></tr></thead>
<tbody>${items.map(row)}</tbody>
</table></div>
<nav class="pager" aria-label="Pages">
${onFirst ? '' : html`<a href="${listHref(params, { token: undefined, trail: [] })}">First page</a>`}
${previous !== undefined && params.trail.length > 0 ? html`<a href="${previous}" rel="prev">Previous</a>` : ''}
${next !== undefined ? html`<a href="${next}" rel="next">Next</a>` : ''}
${result?.scannedOut ? html`<span class="muted">Stopped after ${SCAN_CALLS * 100} secrets without filling the page: Next goes on.</span>` : ''}
<span class="muted">Sort by: ${sortLink(params, 'created-date')}</span>
</nav>`;
  return layout(
    ctx.chrome,
    'secrets',
    'Secrets',
    html`<h1>Secrets</h1>${form}${problem ? html`<p class="flash error" role="alert">${problem}</p>` : table}`,
  );
}

function sortLink(params: ListParams, sort: Sort): Html {
  return html`<a href="${listHref(params, { sort, order: params.sort === sort && params.order === 'asc' ? 'desc' : 'asc', token: undefined, trail: [] })}">${SORT_NAMES[sort].toLowerCase()}</a>`;
}
