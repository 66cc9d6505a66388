/** The Credentials page: who may call the server and their identity policies (never a secret access key). */
import type { Credential } from '../../auth/credentials.js';
import type { PageContext } from '../context.js';
import { type Html, html } from '../html.js';
import { layout } from './layout.js';

export function credentialsPage(ctx: PageContext, credentials: Credential[], consoleUser: string): Html {
  const body = html`<h1>Credentials</h1>
<p class="muted">Read-only. Add and remove credentials with <code>coffer credentials</code>. Secret access keys are never shown.</p>
${credentials.map(
  (c) => html`<section class="panel" aria-labelledby="user-${c.userName}">
<h2 id="user-${c.userName}">${c.userName}${c.userName === consoleUser ? html` <span class="chip">this console</span>` : ''}</h2>
<dl class="meta"><dt>Principal</dt><dd><code>${c.principalArn}</code></dd><dt>Access key id</dt><dd><code>${c.accessKeyId}</code></dd>
${c.owningService ? html`<dt>Stands for</dt><dd>${c.owningService}</dd>` : ''}</dl>
<h3>Identity policy</h3><pre>${JSON.stringify(c.policy, null, 2)}</pre>
</section>`,
)}`;
  return layout(ctx.chrome, 'credentials', 'Credentials', body);
}
