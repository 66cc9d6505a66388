/**
 * The console's only script: progressive enhancement of server-rendered pages that work without it.
 * It turns the "I confirm" boxes into a dialog, reveals a version's value in place (fetched on click,
 * each JSON field masked until shown, all of it dropped when the page is left), and follows the audit
 * log's server-sent events for the audit tail and a running rotation's steps. Plain DOM, no framework:
 * a few hundred lines do not need one, and the page must load fast with nothing from outside.
 */

const MASK = '••••••••';
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Confirmations: the dialog replaces the box that must be ticked without script.
function setUpConfirmations(): void {
  const dialog = document.querySelector<HTMLDialogElement>('#confirm-dialog');
  if (!dialog) return;
  const text = dialog.querySelector<HTMLElement>('#confirm-text');
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-confirm]')) {
    const box = form.querySelector<HTMLInputElement>('input[name="confirmed"]');
    const label = box?.closest('label');
    if (!box || !label) continue;
    box.required = false;
    label.hidden = true;
    form.addEventListener('submit', (event) => {
      if (box.checked) return;
      event.preventDefault();
      if (text) text.textContent = form.dataset.confirm ?? 'Are you sure?';
      const submitter = (event as SubmitEvent).submitter;
      dialog.returnValue = '';
      dialog.addEventListener(
        'close',
        () => {
          if (dialog.returnValue !== 'confirm') {
            (submitter instanceof HTMLElement ? submitter : form).focus();
            return;
          }
          box.checked = true;
          form.requestSubmit(submitter instanceof HTMLButtonElement ? submitter : null);
        },
        { once: true },
      );
      dialog.showModal();
    });
  }
}

interface Revealed {
  versionId: string;
  kind: 'string' | 'binary';
  fields?: { name: string; value: string }[];
  text?: string;
}

/** One masked value with its own Show/Hide button. */
function maskedValue(value: string, label: string): HTMLElement {
  const code = el('code', { className: 'masked', text: MASK });
  const button = el('button', { text: 'Show', attrs: { type: 'button', 'aria-label': `Show ${label}` } });
  button.setAttribute('aria-pressed', 'false');
  button.addEventListener('click', () => {
    const shown = button.getAttribute('aria-pressed') === 'true';
    code.textContent = shown ? MASK : value;
    code.className = shown ? 'masked' : '';
    button.textContent = shown ? 'Show' : 'Hide';
    button.setAttribute('aria-label', `${shown ? 'Show' : 'Hide'} ${label}`);
    button.setAttribute('aria-pressed', shown ? 'false' : 'true');
  });
  return el('span', {}, code, ' ', button);
}

function renderRevealed(slot: HTMLElement, value: Revealed, form: HTMLFormElement): void {
  const box = el('div', { className: 'value', attrs: { 'data-revealed': '' } });
  if (value.fields !== undefined) {
    const body = el('tbody');
    for (const field of value.fields) {
      body.append(
        el(
          'tr',
          {},
          el('th', { attrs: { scope: 'row' } }, el('code', { text: field.name })),
          el('td', {}, maskedValue(field.value, field.name)),
        ),
      );
    }
    box.append(el('table', {}, body));
  } else {
    box.append(maskedValue(value.text ?? '', value.kind === 'binary' ? 'the bytes (base64)' : 'the value'));
  }
  const hide = el('button', { text: 'Hide value', attrs: { type: 'button' } });
  hide.addEventListener('click', () => {
    slot.replaceChildren();
    form.hidden = false;
    form.querySelector('button')?.focus();
  });
  box.append(
    el(
      'p',
      {
        className: 'muted',
        text: 'Read just now with GetSecretValue (audited). Leaving this page hides it. ',
      },
      hide,
    ),
  );
  slot.replaceChildren(box);
  form.hidden = true;
  box.querySelector('button')?.focus();
}

function setUpReveal(): void {
  for (const form of document.querySelectorAll<HTMLFormElement>('form.reveal-form')) {
    const slot = form.parentElement?.querySelector<HTMLElement>('.reveal-slot');
    if (!slot) continue;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      slot.textContent = 'Reading…';
      try {
        const response = await fetch(form.action, {
          method: 'POST',
          headers: { accept: 'application/json', 'x-csrf-token': csrf },
          body: new URLSearchParams(new FormData(form) as unknown as Record<string, string>),
          credentials: 'same-origin',
          cache: 'no-store',
        });
        const answer = (await response.json()) as Revealed & { error?: string };
        if (!response.ok || answer.error !== undefined) {
          slot.replaceChildren(
            el('p', {
              className: 'flash error',
              text: answer.error ?? 'The value could not be read.',
              attrs: { role: 'alert' },
            }),
          );
          return;
        }
        renderRevealed(slot, answer, form);
      } catch {
        slot.replaceChildren(
          el('p', {
            className: 'flash error',
            text: 'The value could not be read.',
            attrs: { role: 'alert' },
          }),
        );
      }
    });
  }
  // A value never outlives the page: dropped when it is left (and so never kept in the back/forward cache).
  window.addEventListener('pagehide', () => {
    for (const revealed of document.querySelectorAll('[data-revealed]')) revealed.remove();
  });
}

interface AuditEntry {
  time: string;
  requestId: string;
  principal?: string;
  region?: string;
  operation: string;
  step?: string;
  secretArn?: string;
  sourceIp: string;
  userAgent?: string;
  outcome: 'success' | 'error';
  errorCode?: string;
  errorMessage?: string;
}

function nameOfArn(arn: string): string {
  const at = arn.indexOf(':secret:');
  if (at < 0) return arn;
  const tail = arn.slice(at + 8);
  return /-[A-Za-z0-9]{6}$/.test(tail) ? tail.slice(0, -7) : tail;
}

function auditRow(entry: AuditEntry): HTMLTableRowElement {
  const time = el('time', {
    text: entry.time.replace('T', ' ').replace('Z', ' UTC'),
    attrs: { datetime: entry.time },
  });
  const operation = el('td', { text: entry.operation });
  if (entry.step) operation.append(' ', el('span', { className: 'chip', text: entry.step }));
  const secret = el('td');
  if (entry.secretArn) {
    secret.append(
      el('a', {
        text: nameOfArn(entry.secretArn),
        attrs: { href: `/console/secret?arn=${encodeURIComponent(entry.secretArn)}` },
      }),
    );
  }
  const outcome = el('td', { className: entry.outcome === 'success' ? 'on' : 'bad', text: entry.outcome });
  if (entry.errorCode) outcome.append(' ', el('span', { text: entry.errorCode }));
  if (entry.errorMessage) outcome.append(' ', el('span', { className: 'muted', text: entry.errorMessage }));
  return el(
    'tr',
    { className: 'new' },
    el('td', {}, time),
    el('td', { text: entry.principal ?? '(not authenticated)' }),
    operation,
    secret,
    el('td', { text: entry.region ?? entry.secretArn?.split(':')[3] ?? '' }),
    outcome,
    el('td', { text: entry.sourceIp }),
    el('td', { text: entry.userAgent ?? '' }),
  );
}

function setUpAuditTail(): void {
  const table = document.querySelector<HTMLTableElement>('table#audit[data-stream]');
  const body = table?.tBodies[0];
  const status = document.querySelector<HTMLElement>('#tail-status');
  const toggle = document.querySelector<HTMLButtonElement>('#tail-toggle');
  if (!table || !body || !status || !toggle) return;
  let paused = false;
  let held: AuditEntry[] = [];
  let added = 0;
  toggle.hidden = false;
  toggle.setAttribute('aria-pressed', 'false');
  const show = (entry: AuditEntry) => {
    body.prepend(auditRow(entry));
    while (body.rows.length > 500) body.deleteRow(-1);
    added++;
  };
  toggle.addEventListener('click', () => {
    paused = !paused;
    toggle.textContent = paused ? 'Resume' : 'Pause';
    toggle.setAttribute('aria-pressed', paused ? 'true' : 'false');
    if (!paused) {
      for (const entry of held) show(entry);
      held = [];
    }
  });
  const source = new EventSource(table.dataset.stream ?? '');
  source.addEventListener('entry', (event) => {
    const entry = JSON.parse((event as MessageEvent<string>).data) as AuditEntry;
    if (paused) held.push(entry);
    else show(entry);
    status.textContent = paused
      ? `Paused: ${held.length} new entries held.`
      : `Live: ${added} new entr${added === 1 ? 'y' : 'ies'} since the page loaded.`;
  });
  source.addEventListener('open', () => {
    table.dataset.live = 'yes';
  });
  window.addEventListener('pagehide', () => source.close());
}

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

function setUpRotationProgress(): void {
  const box = document.querySelector<HTMLElement>('#rotation-progress[data-stream]');
  const list = box?.querySelector<HTMLOListElement>('ol.steps');
  const status = box?.querySelector<HTMLElement>('.rotation-status');
  if (!box || !list || !status) return;
  const item = (step: string): HTMLLIElement => {
    let li = list.querySelector<HTMLLIElement>(`li[data-step="${step}"]`);
    if (!li) {
      li = el(
        'li',
        { attrs: { 'data-step': step } },
        el('span', { className: 'step-name', text: step }),
        ': ',
        el('span', { className: 'step-state' }),
      );
      list.append(li);
    }
    return li;
  };
  const set = (step: string, state: string, detail?: string) => {
    const li = item(step);
    li.className = state === 'not run' ? 'not-run' : state;
    const stateText = li.querySelector('.step-state');
    if (stateText) stateText.textContent = state;
    li.querySelector('.step-error')?.remove();
    if (detail) li.append(el('span', { className: 'step-error', text: ` (${detail})` }));
  };
  const source = new EventSource(box.dataset.stream ?? '');
  source.addEventListener('open', () => {
    box.dataset.live = 'yes';
  });
  source.addEventListener('entry', (event) => {
    const entry = JSON.parse((event as MessageEvent<string>).data) as AuditEntry;
    const at = STEPS.indexOf(entry.step ?? '');
    if (at < 0) return;
    if (entry.step === 'createSecret') for (const step of STEPS) set(step, 'waiting');
    if (entry.outcome === 'error') {
      set(STEPS[at] as string, 'failed', [entry.errorCode, entry.errorMessage].filter(Boolean).join(': '));
      for (const step of STEPS.slice(at + 1)) set(step, 'not run');
      status.textContent = `The rotation failed at ${entry.step}.`;
      return;
    }
    set(STEPS[at] as string, 'done');
    const next = STEPS[at + 1];
    if (next !== undefined) {
      set(next, 'running');
      status.textContent = `Rotating: ${entry.step} done, ${next} running.`;
    } else {
      status.textContent = 'The rotation finished. ';
      status.append(el('a', { text: 'Show the new versions', attrs: { href: location.href } }));
    }
  });
  window.addEventListener('pagehide', () => source.close());
}

setUpConfirmations();
setUpReveal();
setUpAuditTail();
setUpRotationProgress();

export {};
