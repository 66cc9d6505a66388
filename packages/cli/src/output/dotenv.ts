import { isDeepStrictEqual } from 'node:util';
import { parse } from 'dotenv';

/** Keys dotenv can read back: its parser takes `[\w.-]+`. */
const DOTENV_KEY = /^[\w.-]+$/;

/**
 * One value written so that dotenv's parser gives it back unchanged, or undefined when no form can.
 * dotenv takes quoted values verbatim (newlines included) except that it turns `\n` and `\r` in double quotes
 * into line breaks and reads every CR as a line break; it ends a quoted value at the first closing quote not
 * preceded by a backslash, and trims unquoted ones and cuts them at `#`.
 */
function quote(value: string): string | undefined {
  const endsInBackslash = value.endsWith('\\');
  if (!value.includes('\r') && !endsInBackslash) {
    if (!value.includes("'")) return `'${value}'`;
    if (!value.includes('`')) return `\`${value}\``;
  }
  // Double quotes are the one form that can hold a CR (written \r); they cannot hold a literal \n or \r.
  if (!value.includes('"') && !/\\[nr]/.test(value) && !endsInBackslash) {
    return `"${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
  }
  // Unquoted: no line breaks, no #, no surrounding blanks, and no opening quote to be mistaken for one.
  if (/^[^\s'"`#][^\r\n#]*$/.test(value) && value.trim() === value) return value;
  return undefined;
}

export class DotenvError extends Error {}

/**
 * Writes entries as a .env file, then parses the text back with dotenv and checks that every key and value
 * came back exactly; a value it cannot carry (say, one holding ', ` and " and ending in a backslash) is an
 * error naming its key, never a silent change.
 */
export function toDotenv(entries: Record<string, string>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    if (!DOTENV_KEY.test(key)) {
      throw new DotenvError(`Key "${key}" cannot be a .env variable name (letters, digits, _ . - only)`);
    }
    const quoted = quote(value);
    if (quoted === undefined) throw new DotenvError(`The value of ${key} cannot be written in .env syntax`);
    lines.push(`${key}=${quoted}`);
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  const back = parse(text);
  if (!isDeepStrictEqual({ ...back }, { ...entries })) {
    const bad = Object.keys(entries).find((key) => back[key] !== entries[key]) ?? '(a key)';
    throw new DotenvError(`The value of ${bad} would not read back identically from .env syntax`);
  }
  return text;
}
