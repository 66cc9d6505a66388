import { type Html, html } from '../html.js';
import type { Flash } from '../security.js';

export interface Chrome {
  /** The console's principal (shown in the header). */
  principal: string;
  csrf: string;
  /** URLs of the hashed stylesheet and script. */
  styleUrl: string;
  scriptUrl: string;
  iconUrl: string;
  flash?: Flash | undefined;
}

export type Section = 'secrets' | 'audit' | 'credentials';

const NAV: readonly [Section, string, string][] = [
  ['secrets', 'Secrets', '/console/secrets'],
  ['audit', 'Audit', '/console/audit'],
  ['credentials', 'Credentials', '/console/credentials'],
];

/** The frame of every signed-in page: skip link, navigation, who you are, the flash, then `body`. */
export function layout(chrome: Chrome, section: Section, title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="csrf-token" content="${chrome.csrf}">
<title>${title} · Coffer console</title>
<link rel="stylesheet" href="${chrome.styleUrl}">
<link rel="icon" href="${chrome.iconUrl}" type="image/svg+xml">
<script type="module" src="${chrome.scriptUrl}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">Coffer console</span>
<nav aria-label="Main"><ul>${NAV.map(
    ([id, label, href]) =>
      html`<li><a href="${href}"${id === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
<div class="who"><span>Acting as <code>${chrome.principal}</code></span>
<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${chrome.csrf}"><button type="submit" class="link">Sign out</button></form></div>
</header>
<main id="main" tabindex="-1">
${chrome.flash ? html`<p class="flash ${chrome.flash.kind}" role="${chrome.flash.kind === 'error' ? 'alert' : 'status'}">${chrome.flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A page for someone without a session (or with a refused request): no navigation, no data. */
export function bare(styleUrl: string, iconUrl: string, title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Coffer console</title>
<link rel="stylesheet" href="${styleUrl}">
<link rel="icon" href="${iconUrl}" type="image/svg+xml">
</head>
<body><main class="login" id="main"><h1>${title}</h1>${body}</main></body>
</html>`;
}

/** Epoch seconds (as the API gives dates) as a `<time>`, in UTC. */
export function when(epochSeconds: unknown, { dateOnly = false } = {}): Html {
  if (typeof epochSeconds !== 'number' || !Number.isFinite(epochSeconds))
    return html`<span class="muted">—</span>`;
  const iso = new Date(epochSeconds * 1000).toISOString();
  const shown = dateOnly ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return html`<time datetime="${iso}">${shown}</time>`;
}

/** A staging label as a badge; AWS's three get their own colours. */
export const stageLabel = (stage: string): Html =>
  html`<span class="label ${/^AWS(CURRENT|PREVIOUS|PENDING)$/.test(stage) ? stage : 'custom'}">${stage}</span>`;

/** The name part of a secret ARN (`...:secret:<name>-AbCdEf`). */
export function nameOfArn(arn: string): string {
  const at = arn.indexOf(':secret:');
  if (at < 0) return arn;
  const tail = arn.slice(at + ':secret:'.length);
  return /-[A-Za-z0-9]{6}$/.test(tail) ? tail.slice(0, -7) : tail;
}

export const regionOf = (arn: string): string => arn.split(':')[3] ?? '';

export const secretHref = (arn: string): string => `/console/secret?arn=${encodeURIComponent(arn)}`;

/** The "I confirm" box of an action form: without script it must be ticked; the script turns it into a dialog. */
export const confirmBox = (text: string): Html =>
  html`<label class="confirm-box"><input type="checkbox" name="confirmed" value="yes" required> ${text}</label>`;
