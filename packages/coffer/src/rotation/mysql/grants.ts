/**
 * An account's grants as SHOW GRANTS prints them, read into sets, and the statements that make another account's
 * grants the same. Lines are never quoted in errors: MariaDB prints the password hash in the USAGE line.
 */

/** What one account was granted: privileges per object, roles, and the default role. */
export interface Grants {
  /** Object as the server prints it (`*.*`, `` `db`.* ``, ``PROCEDURE `db`.`p` ``) → privileges on it. */
  readonly privileges: ReadonlyMap<string, ReadonlySet<string>>;
  /** Role as printed (`` `r` ``, or `` `r`@`%` `` on MySQL) → whether it was granted WITH ADMIN OPTION. */
  readonly roles: ReadonlyMap<string, boolean>;
  /** The role set with SET DEFAULT ROLE (MariaDB prints it among the grants). */
  readonly defaultRole: string | undefined;
}

/** A statement that changes grants, and what it does in words (for errors). */
export interface GrantChange {
  readonly sql: string;
  readonly what: string;
}

const GRANT_OPTION = 'GRANT OPTION';
const ALL = 'ALL PRIVILEGES';

/** Index of `needle` in `text` from `from`, outside quotes (`` ` ``, `'`, `"`) and parentheses; -1 if none. */
function indexOutside(text: string, needle: string, from = 0): number {
  let quote: string | undefined;
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) {
        // A doubled quote stands for itself.
        if (text[i + 1] === quote) i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(needle, i)) return i;
  }
  return -1;
}

/** `text` split at `separator` outside quotes and parentheses, each part trimmed. */
function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let at = indexOutside(text, separator); at !== -1; at = indexOutside(text, separator, start)) {
    parts.push(text.slice(start, at).trim());
    start = at + separator.length;
  }
  parts.push(text.slice(start).trim());
  return parts.filter((part) => part !== '');
}

/** Quoted strings removed, so keywords inside them (a certificate subject) are not taken for clauses. */
function withoutQuotedText(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else out += c;
  }
  return out;
}

/** `SELECT (`a`, `b`)` → `SELECT (`a`)`, `SELECT (`b`)`; `INSERT` → `INSERT`. */
function privilegeAtoms(item: string): string[] {
  // Privilege names are keywords: the first parenthesis opens the column list.
  const open = item.indexOf('(');
  if (open === -1) return [item.toUpperCase() === 'ALL' ? ALL : item];
  const name = item.slice(0, open).trim();
  const columns = splitOutside(item.slice(open + 1, item.lastIndexOf(')')), ',');
  return columns.map((column) => `${name} (${column})`);
}

/** Thrown for a SHOW GRANTS line of a form not understood; the message never quotes the line. */
export class UnknownGrantError extends Error {
  override readonly name = 'UnknownGrantError';
}

/** Where ` TO <grantee>` ends the line's grant part, or -1. */
function granteeAt(line: string, marker: string, grantees: readonly string[]): { at: number; after: string } {
  for (const grantee of grantees) {
    const needle = `${marker}${grantee}`;
    const at = line.lastIndexOf(needle);
    if (at === -1) continue;
    const after = line.slice(at + needle.length);
    if (after === '' || after.startsWith(' ')) return { at, after };
  }
  return { at: -1, after: '' };
}

/**
 * Reads SHOW GRANTS output. `grantees` are the ways the server may print the account (MySQL 8 and MariaDB
 * quote with backticks, MySQL 5.7 with single quotes).
 */
export function parseGrants(lines: readonly string[], grantees: readonly string[]): Grants {
  const privileges = new Map<string, Set<string>>();
  const roles = new Map<string, boolean>();
  let defaultRole: string | undefined;
  for (const line of lines) {
    const firstWords = line.split(' ', 3).slice(0, 3).join(' ');
    if (line.startsWith('SET DEFAULT ROLE ')) {
      const { at } = granteeAt(line, ' FOR ', grantees);
      if (at === -1) throw new UnknownGrantError(`a "${firstWords}" line for another account`);
      const role = line.slice('SET DEFAULT ROLE '.length, at).trim();
      defaultRole = role === 'NONE' ? undefined : role;
      continue;
    }
    if (!line.startsWith('GRANT ')) {
      throw new UnknownGrantError(`a line starting "${line.split(' ', 1)[0]}"`);
    }
    const { at, after } = granteeAt(line, ' TO ', grantees);
    if (at === -1) throw new UnknownGrantError(`a "${firstWords}" line for another account`);
    const head = line.slice('GRANT '.length, at);
    const options = withoutQuotedText(after);
    const on = indexOutside(head, ' ON ');
    if (on === -1) {
      const admin = /\bWITH\b.*\bADMIN OPTION\b/.test(options);
      for (const role of splitOutside(head, ',')) roles.set(role, admin || (roles.get(role) ?? false));
      continue;
    }
    const object = head.slice(on + ' ON '.length).trim();
    const set = privileges.get(object) ?? new Set<string>();
    for (const item of splitOutside(head.slice(0, on), ',')) {
      for (const atom of privilegeAtoms(item)) if (atom !== 'USAGE') set.add(atom);
    }
    if (/\bWITH\b.*\bGRANT OPTION\b/.test(options)) set.add(GRANT_OPTION);
    if (set.size > 0) privileges.set(object, set);
  }
  return { privileges, roles, defaultRole };
}

/** `SELECT (`a`)`, `SELECT (`b`)`, `INSERT` → `INSERT, SELECT (`a`, `b`)`. */
function privilegeList(atoms: Iterable<string>): string {
  const plain: string[] = [];
  const columns = new Map<string, string[]>();
  for (const atom of atoms) {
    const open = atom.indexOf(' (');
    if (open === -1) {
      plain.push(atom);
      continue;
    }
    const name = atom.slice(0, open);
    const list = columns.get(name) ?? [];
    list.push(atom.slice(open + 2, -1));
    columns.set(name, list);
  }
  return [...plain, ...[...columns].map(([name, cols]) => `${name} (${cols.join(', ')})`)].join(', ');
}

const minus = <T>(a: Iterable<T>, b: ReadonlySet<T> | ReadonlyMap<T, unknown>): T[] =>
  [...a].filter((item) => !b.has(item));

/**
 * The statements that give `to` (an account name as SQL) exactly `source`'s grants, given it has `target`'s now.
 * Grants come before revokes, so that no privilege both accounts share is ever missing in between.
 */
export function grantChanges(source: Grants, target: Grants, to: string): GrantChange[] {
  const changes: GrantChange[] = [];
  for (const [object, wanted] of source.privileges) {
    const has = target.privileges.get(object) ?? new Set<string>();
    const missing = minus(wanted, has);
    if (missing.length === 0) continue;
    const withGrant = missing.includes(GRANT_OPTION);
    const list = privilegeList(missing.filter((atom) => atom !== GRANT_OPTION)) || 'USAGE';
    changes.push({
      sql: `GRANT ${list} ON ${object} TO ${to}${withGrant ? ' WITH GRANT OPTION' : ''}`,
      what: `grant ${list}${withGrant ? ' (with grant option)' : ''} on ${object}`,
    });
  }
  for (const [role, admin] of source.roles) {
    if (target.roles.has(role) && (target.roles.get(role) || !admin)) continue;
    changes.push({
      sql: `GRANT ${role} TO ${to}${admin ? ' WITH ADMIN OPTION' : ''}`,
      what: `grant role ${role}`,
    });
  }
  for (const [object, has] of target.privileges) {
    const wanted = source.privileges.get(object) ?? new Set<string>();
    // ALL PRIVILEGES holds every other privilege on the object but the grant option.
    const extra = minus(has, wanted).filter((atom) => !wanted.has(ALL) || atom === GRANT_OPTION);
    if (extra.length === 0) continue;
    const list = privilegeList(extra);
    changes.push({ sql: `REVOKE ${list} ON ${object} FROM ${to}`, what: `revoke ${list} on ${object}` });
  }
  for (const [role, admin] of target.roles) {
    if (!source.roles.has(role)) {
      changes.push({ sql: `REVOKE ${role} FROM ${to}`, what: `revoke role ${role}` });
    } else if (admin && !source.roles.get(role)) {
      changes.push({
        sql: `REVOKE ADMIN OPTION FOR ${role} FROM ${to}`,
        what: `revoke the admin option of role ${role}`,
      });
    }
  }
  if (source.defaultRole !== target.defaultRole) {
    const role = source.defaultRole ?? 'NONE';
    changes.push({ sql: `SET DEFAULT ROLE ${role} FOR ${to}`, what: `set default role ${role}` });
  }
  return changes;
}
