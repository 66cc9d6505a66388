/**
 * The Secret page: metadata and tags, the versions as a timeline with their staging labels, rotation
 * (with the last rotation's steps, live while one runs), replication, the resource policy, and the
 * actions. Everything comes from the API as the console's principal; no value is in the page unless
 * `revealed` holds the one version the user asked to see.
 */
import { ConsoleApiError } from '../api.js';
import { call, type PageContext } from '../context.js';
import { type Html, html } from '../html.js';
import type { RevealedValue } from '../reveal.js';
import { lastRotation, type StepView } from '../rotation-steps.js';
import { confirmBox, layout, nameOfArn, regionOf, secretHref, stageLabel, when } from './layout.js';

interface Described {
  ARN: string;
  Name: string;
  Description?: string;
  KmsKeyId?: string;
  Type?: string;
  OwningService?: string;
  RotationEnabled?: boolean;
  RotationLambdaARN?: string;
  RotationRules?: { AutomaticallyAfterDays?: number; ScheduleExpression?: string; Duration?: string };
  LastRotatedDate?: number;
  NextRotationDate?: number;
  LastChangedDate?: number;
  LastAccessedDate?: number;
  DeletedDate?: number;
  CreatedDate?: number;
  Tags?: { Key: string; Value: string }[];
  PrimaryRegion?: string;
  ReplicationStatus?: {
    Region: string;
    KmsKeyId?: string;
    Status: string;
    StatusMessage?: string;
    LastAccessedDate?: number;
  }[];
}

interface Version {
  VersionId: string;
  VersionStages?: string[];
  CreatedDate?: number;
  LastAccessedDate?: number;
}

export interface SecretPageOptions {
  deprecated: boolean;
  /** The one version whose value the user asked for (the page without script). */
  revealed?: RevealedValue | undefined;
}

async function versionsOf(ctx: PageContext, arn: string, deprecated: boolean): Promise<Version[]> {
  const out: Version[] = [];
  let token: string | undefined;
  do {
    const page = await call<{ Versions?: Version[]; NextToken?: string }>(
      ctx,
      regionOf(arn),
      'ListSecretVersionIds',
      { SecretId: arn, IncludeDeprecated: deprecated, MaxResults: 100, ...(token && { NextToken: token }) },
    );
    out.push(...(page.Versions ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}

async function policyOf(ctx: PageContext, arn: string): Promise<Html> {
  try {
    const answer = await call<{ ResourcePolicy?: string }>(ctx, regionOf(arn), 'GetResourcePolicy', {
      SecretId: arn,
    });
    if (answer.ResourcePolicy === undefined) return html`<p class="muted">No resource policy.</p>`;
    let shown = answer.ResourcePolicy;
    try {
      shown = JSON.stringify(JSON.parse(shown), null, 2);
    } catch {
      // Shown as stored.
    }
    return html`<pre>${shown}</pre>`;
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    return html`<p class="muted">Not shown: ${error.code}: ${error.message}</p>`;
  }
}

const hidden = (name: string, value: string): Html =>
  html`<input type="hidden" name="${name}" value="${value}">`;

function revealedValue(value: RevealedValue): Html {
  const body =
    value.fields !== undefined
      ? html`<table><caption class="visually-hidden">Fields of version ${value.versionId}</caption><tbody>${value.fields.map(
          (f) =>
            html`<tr><th scope="row"><code>${f.name}</code></th><td><details><summary><span class="masked">••••••••</span> <span class="visually-hidden">show ${f.name}</span></summary><code>${f.value}</code></details></td></tr>`,
        )}</tbody></table>`
      : html`<details><summary><span class="masked">••••••••</span> show the ${value.kind === 'binary' ? 'bytes (base64)' : 'value'}</summary><pre>${value.text ?? ''}</pre></details>`;
  return html`<div class="value" data-revealed>${body}<p class="muted">Read just now with GetSecretValue (audited). Leaving this page hides it.</p></div>`;
}

function timeline(
  ctx: PageContext,
  secret: Described,
  versions: Version[],
  options: SecretPageOptions,
): Html {
  if (versions.length === 0) return html`<p class="muted">No versions.</p>`;
  return html`<ol class="timeline" aria-label="Versions, newest first">${versions.map((v) => {
    const stages = v.VersionStages ?? [];
    const isCurrent = stages.includes('AWSCURRENT');
    const revealed = options.revealed?.versionId === v.VersionId ? options.revealed : undefined;
    return html`<li class="${isCurrent ? 'current' : stages.length === 0 ? 'deprecated' : ''}" data-version="${v.VersionId}">
<div class="version-head"><code>${v.VersionId}</code> ${stages.length > 0 ? stages.map(stageLabel) : html`<span class="muted">deprecated (no label)</span>`}</div>
<div class="muted">created ${when(v.CreatedDate)} · last accessed ${when(v.LastAccessedDate, { dateOnly: true })}</div>
<form method="post" action="/console/secret/reveal" class="reveal-form">${hidden('_csrf', ctx.chrome.csrf)}${hidden('arn', secret.ARN)}${hidden('version', v.VersionId)}<button type="submit" aria-label="Reveal the value of version ${v.VersionId}">Reveal</button></form>
<div class="reveal-slot" aria-live="polite">${revealed ? revealedValue(revealed) : ''}</div>
</li>`;
  })}</ol>`;
}

function stepsList(steps: StepView[] | undefined, streamUrl: string, running: boolean): Html {
  const items = (steps ?? []).map(
    (s) =>
      html`<li data-step="${s.step}" class="${s.state === 'not run' ? 'not-run' : s.state}"><span class="step-name">${s.step}</span>: <span class="step-state">${s.state}</span>${s.entry?.errorCode ? html` <span class="step-error">(${s.entry.errorCode}${s.entry.errorMessage ? `: ${s.entry.errorMessage}` : ''})</span>` : ''}</li>`,
  );
  return html`<div id="rotation-progress" data-stream="${streamUrl}" data-running="${running ? 'yes' : 'no'}">
<p class="rotation-status" role="status">${running ? 'A rotation is running.' : steps === undefined ? 'No rotation recorded since the server started.' : 'Last rotation:'}</p>
<ol class="steps" aria-label="Rotation steps">${items}</ol>
</div>`;
}

function rules(secret: Described): string {
  const r = secret.RotationRules;
  if (r === undefined) return 'none';
  const parts = [];
  if (r.AutomaticallyAfterDays !== undefined) parts.push(`every ${r.AutomaticallyAfterDays} days`);
  if (r.ScheduleExpression !== undefined) parts.push(r.ScheduleExpression);
  if (r.Duration !== undefined) parts.push(`window ${r.Duration}`);
  return parts.join(', ');
}

function actions(ctx: PageContext, secret: Described, versions: Version[]): Html {
  const name = secret.Name;
  const csrf = hidden('_csrf', ctx.chrome.csrf);
  const arn = hidden('arn', secret.ARN);
  if (secret.PrimaryRegion !== undefined && secret.PrimaryRegion !== regionOf(secret.ARN)) {
    const primary = secret.ARN.split(':');
    primary[3] = secret.PrimaryRegion;
    return html`<p>This is a replica: change it through <a href="${secretHref(primary.join(':'))}">its primary in ${secret.PrimaryRegion}</a>.</p>`;
  }
  if (secret.DeletedDate !== undefined) {
    return html`<div class="actions"><form method="post" action="/console/secret/restore" data-confirm="Restore ${name}? It can be read and changed again.">${csrf}${arn}
<h3>Restore</h3><p>Scheduled for deletion (deleted ${when(secret.DeletedDate)}).</p>${confirmBox(`Restore ${name}`)}<button type="submit" class="primary">Restore</button></form></div>`;
  }
  const labels = [...new Set(versions.flatMap((v) => v.VersionStages ?? []))];
  return html`<div class="actions">
<form method="post" action="/console/secret/put" data-confirm="Put a new version of ${name}?" autocomplete="off">${csrf}${arn}
<h3>Put a new value</h3>
<div class="field"><label for="new-value">New value (a new version)</label><textarea id="new-value" name="value" required spellcheck="false" autocomplete="off"></textarea></div>
<label><input type="checkbox" name="current" value="yes" checked> Make it AWSCURRENT</label>
<div class="field"><label for="new-label">Also label it (optional; required without AWSCURRENT)</label><input id="new-label" name="label" maxlength="256" pattern="[A-Za-z0-9_+=.@-]+"></div>
${confirmBox(`Put a new version of ${name}`)}<button type="submit" class="primary">Put value</button></form>

<form method="post" action="/console/secret/stage" data-confirm="Move the staging label on ${name}?">${csrf}${arn}
<h3>Move a staging label</h3>
<div class="field"><label for="stage-name">Label</label><input id="stage-name" name="stage" list="stage-names" required maxlength="256" value="AWSCURRENT"><datalist id="stage-names">${labels.map((l) => html`<option value="${l}"></option>`)}</datalist></div>
<div class="field"><label for="stage-version">To version</label><select id="stage-version" name="version">${versions.map(
    (v) =>
      html`<option value="${v.VersionId}">${v.VersionId.slice(0, 8)}… ${(v.VersionStages ?? []).join(' ') || '(no label)'}</option>`,
  )}<option value="">(remove the label)</option></select></div>
${confirmBox('Move the label')}<button type="submit">Move label</button></form>

<form method="post" action="/console/secret/rotate" data-confirm="Rotate ${name} now?">${csrf}${arn}
<h3>Rotate now</h3>
${secret.RotationLambdaARN ? html`<p class="muted">With <code>${secret.RotationLambdaARN}</code>.</p>` : html`<div class="field"><label for="rotation-function">Rotation function (Lambda ARN)</label><input id="rotation-function" name="lambda" required></div>`}
${confirmBox(`Rotate ${name} now`)}<button type="submit">Rotate now</button></form>

<form method="post" action="/console/secret/delete" data-confirm="Delete ${name}?">${csrf}${arn}
<h3>Delete</h3>
<div class="field"><label for="recovery-days">Recovery window (days, 7 to 30)</label><input id="recovery-days" name="days" type="number" min="7" max="30" value="30"></div>
<label><input type="checkbox" name="force" value="yes"> Delete at once, without recovery</label>
${confirmBox(`Delete ${name}`)}<button type="submit" class="danger">Delete</button></form>
</div>`;
}

export async function secretPage(
  ctx: PageContext,
  arn: string,
  options: SecretPageOptions,
): Promise<Html | undefined> {
  const region = regionOf(arn);
  let secret: Described;
  try {
    secret = await call<Described>(ctx, region, 'DescribeSecret', { SecretId: arn });
  } catch (error) {
    if (error instanceof ConsoleApiError && error.code === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  const versions = await versionsOf(ctx, secret.ARN, options.deprecated);
  const policy = await policyOf(ctx, secret.ARN);
  const running = ctx.isRotating(secret.ARN);
  const steps = lastRotation(ctx.audit, secret.ARN, running);
  const after = ctx.audit.recent(1)[0]?.requestId ?? '';
  const streamUrl = `/console/audit/stream?${new URLSearchParams({ secret: secret.ARN, operation: 'RotationStep', exact: 'yes', after }).toString()}`;
  const deprecatedHref = `${secretHref(secret.ARN)}${options.deprecated ? '' : '&deprecated=yes'}`;
  const tags = secret.Tags ?? [];
  const body = html`<p><a href="/console/secrets?region=${region}">← Secrets in ${region}</a></p>
<h1>${secret.Name}</h1>
<dl class="meta">
<dt>ARN</dt><dd><code>${secret.ARN}</code></dd>
<dt>Description</dt><dd>${secret.Description ?? html`<span class="muted">none</span>`}</dd>
<dt>Encryption key</dt><dd>${secret.KmsKeyId ?? 'aws/secretsmanager (default)'}</dd>
${secret.OwningService ? html`<dt>Managed by</dt><dd>${secret.OwningService}</dd>` : ''}
${secret.Type ? html`<dt>Type</dt><dd>${secret.Type}</dd>` : ''}
<dt>Created</dt><dd>${when(secret.CreatedDate)}</dd>
<dt>Last changed</dt><dd>${when(secret.LastChangedDate)}</dd>
<dt>Last accessed</dt><dd>${when(secret.LastAccessedDate, { dateOnly: true })}</dd>
${secret.DeletedDate !== undefined ? html`<dt>Deletion</dt><dd class="bad">Scheduled (deleted ${when(secret.DeletedDate)})</dd>` : ''}
</dl>
<h2 id="tags">Tags</h2>
${tags.length === 0 ? html`<p class="muted">No tags.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead><tbody>${tags.map((t) => html`<tr><td>${t.Key}</td><td>${t.Value}</td></tr>`)}</tbody></table></div>`}
<h2 id="versions">Versions</h2>
<p><a href="${deprecatedHref}">${options.deprecated ? 'Hide deprecated versions' : 'Show deprecated versions'}</a></p>
${timeline(ctx, secret, versions, options)}
<h2 id="rotation">Rotation</h2>
<dl class="meta">
<dt>Rotation</dt><dd>${secret.RotationEnabled ? html`<span class="on">Enabled</span>` : html`<span class="off">Disabled</span>`}</dd>
<dt>Function</dt><dd>${secret.RotationLambdaARN ?? html`<span class="muted">none</span>`}</dd>
<dt>Schedule</dt><dd>${rules(secret)}</dd>
<dt>Last rotated</dt><dd>${when(secret.LastRotatedDate)}</dd>
<dt>Next rotation</dt><dd>${when(secret.NextRotationDate)}</dd>
</dl>
${stepsList(steps, streamUrl, running)}
<h2 id="replication">Replication</h2>
${
  secret.PrimaryRegion === undefined
    ? html`<p class="muted">Not replicated.</p>`
    : secret.PrimaryRegion !== region
      ? html`<p>Replica of the secret in ${secret.PrimaryRegion}.</p>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">Region</th><th scope="col">Status</th><th scope="col">Message</th><th scope="col">Key</th><th scope="col">Last accessed</th></tr></thead><tbody>${(
          secret.ReplicationStatus ?? []
        ).map(
          (r) =>
            html`<tr><td>${r.Region}</td><td class="${r.Status === 'InSync' ? 'on' : 'bad'}">${r.Status}</td><td>${r.StatusMessage ?? ''}</td><td>${r.KmsKeyId ?? ''}</td><td>${when(r.LastAccessedDate, { dateOnly: true })}</td></tr>`,
        )}</tbody></table></div>`
}
<h2 id="policy">Resource policy</h2>
${policy}
<h2 id="actions">Actions</h2>
${actions(ctx, secret, versions)}
<dialog id="confirm-dialog" aria-labelledby="confirm-text"><form method="dialog"><p id="confirm-text"></p><div class="buttons"><button value="cancel">Cancel</button><button value="confirm" class="primary">Confirm</button></div></form></dialog>`;
  return layout(ctx.chrome, 'secrets', nameOfArn(secret.ARN), body);
}
