/**
 * HTML as a tagged template that escapes every interpolated value, so nothing a secret's name, tag or
 * description holds can become markup. Written here because it is twenty lines; a template engine
 * would bring a compiler and its own escaping rules to learn for the same result.
 */

const MARKUP = Symbol('markup');

/** Markup that is already safe: built by `html`, never from a string of unknown origin. */
export interface Html {
  readonly [MARKUP]: string;
}

const markup = (text: string): Html => ({ [MARKUP]: text });

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function piece(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(piece).join('');
  if (typeof value === 'object' && MARKUP in value) return (value as Html)[MARKUP];
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: strings are escaped, nested `html` and arrays of it are kept. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + (strings[i + 1] ?? '');
  return markup(out);
}

export const renderHtml = (page: Html): string => page[MARKUP];
