/**
 * The Audit page: the most recent audit entries that pass the filters, newest first, then a live tail
 * (server-sent events from /console/audit/stream) that adds new ones at the top. Audit entries never
 * hold a value: who did what to which secret, and how it ended.
 */
import type { AuditEntry } from '../../audit/audit-log.js';
import { SECRETS_MANAGER_ACTIONS } from '../../auth/actions.js';
import { type AuditFilter, auditMatches, auditQuery } from '../audit-filter.js';
import type { PageContext } from '../context.js';
import { type Html, html } from '../html.js';
import { layout, nameOfArn, regionOf, secretHref } from './layout.js';

const SHOWN = 200;
const OPERATIONS = [
  ...SECRETS_MANAGER_ACTIONS.map((a) => a.slice(a.indexOf(':') + 1)),
  'RotationStep',
].sort();

/** One row; the page's script builds the same cells from the stream's entries. */
function auditRow(entry: AuditEntry): Html {
  return html`<tr>
<td><time datetime="${entry.time}">${entry.time.replace('T', ' ').replace('Z', ' UTC')}</time></td>
<td>${entry.principal ?? html`<span class="muted">(not authenticated)</span>`}</td>
<td>${entry.operation}${entry.step ? html` <span class="chip">${entry.step}</span>` : ''}</td>
<td>${entry.secretArn ? html`<a href="${secretHref(entry.secretArn)}">${nameOfArn(entry.secretArn)}</a>` : ''}</td>
<td>${entry.region ?? (entry.secretArn ? regionOf(entry.secretArn) : '')}</td>
<td class="${entry.outcome === 'success' ? 'on' : 'bad'}">${entry.outcome}${entry.errorCode ? html` <span>${entry.errorCode}</span>` : ''}${entry.errorMessage ? html` <span class="muted">${entry.errorMessage}</span>` : ''}</td>
<td>${entry.sourceIp}</td>
<td>${entry.userAgent ?? ''}</td>
</tr>`;
}

export function auditPage(ctx: PageContext, filter: AuditFilter): Html {
  const recent = ctx.audit.recent();
  const newest = recent.at(-1)?.requestId ?? '';
  const rows: AuditEntry[] = [];
  for (let i = recent.length - 1; i >= 0 && rows.length < SHOWN; i--) {
    const entry = recent[i] as AuditEntry;
    if (auditMatches(filter, entry)) rows.push(entry);
  }
  const stream = auditQuery(filter);
  stream.set('after', newest);
  const body = html`<h1>Audit</h1>
<form class="filters" method="get" action="/console/audit" role="search">
<div class="field"><label for="audit-secret">Secret (ARN or part of it)</label><input id="audit-secret" name="secret" value="${filter.secret}"></div>
<div class="field"><label for="audit-principal">Principal (part of its ARN)</label><input id="audit-principal" name="principal" value="${filter.principal}"></div>
<div class="field"><label for="audit-operation">Operation</label><select id="audit-operation" name="operation"><option value="">Any</option>${OPERATIONS.map((op) => html`<option${op === filter.operation ? html` selected` : ''}>${op}</option>`)}</select></div>
<div class="field"><label for="audit-outcome">Outcome</label><select id="audit-outcome" name="outcome">${(
    [
      ['', 'Any'],
      ['success', 'Success'],
      ['error', 'Error'],
    ] as const
  ).map(
    ([v, t]) => html`<option value="${v}"${v === filter.outcome ? html` selected` : ''}>${t}</option>`,
  )}</select></div>
${filter.exact ? html`<input type="hidden" name="exact" value="yes">` : ''}
<button type="submit" class="primary">Filter</button> <a href="/console/audit">Clear</a>
</form>
<p class="muted"><span id="tail-status" role="status" aria-live="polite">Showing the ${rows.length} most recent matching entries (of the ${recent.length} kept in memory); new ones appear at the top.</span>
<button type="button" id="tail-toggle" hidden>Pause</button></p>
<div class="table-wrap"><table id="audit" data-stream="/console/audit/stream?${stream.toString()}">
<caption class="visually-hidden">Audit entries, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Principal</th><th scope="col">Operation</th><th scope="col">Secret</th><th scope="col">Region</th><th scope="col">Outcome</th><th scope="col">Source</th><th scope="col">Client</th></tr></thead>
<tbody>${rows.map(auditRow)}</tbody>
</table></div>`;
  return layout(ctx.chrome, 'audit', 'Audit', body);
}
