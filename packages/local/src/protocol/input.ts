import { serialization, validation } from './errors.js';

/**
 * Reads one request body field by field the way AWS's front end does: a wrong JSON type is a
 * SerializationException; a constraint violation is collected and all of them are reported together
 * as one ValidationException ("2 validation errors detected: ..."). Values of sensitive fields are
 * never echoed, as AWS redacts them.
 */
export class Input {
  private readonly violations: Violation[] = [];

  private constructor(private readonly fields: Record<string, unknown>) {}

  static parse(body: string): Input {
    if (BLANK.test(body)) return new Input({});
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw serialization('The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw serialization('The request body must be a JSON object.');
    }
    return new Input(parsed as Record<string, unknown>);
  }

  static of(fields: Record<string, unknown>): Input {
    return new Input(fields);
  }

  /** Reports a missing required member whatever its type. */
  require(name: string): void {
    if (!this.has(name)) this.violate(name, null, 'Member must not be null');
  }

  has(name: string): boolean {
    const value = this.fields[name];
    return value !== undefined && value !== null;
  }

  private raw(name: string, expected: string, check: (v: unknown) => boolean): unknown {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) {
      throw serialization(`Expected ${expected} for ${name}, got ${describeJsonType(value)}.`);
    }
    return value;
  }

  private violate(name: string, value: unknown, constraint: string, sensitive = false): void {
    this.violations.push({ shown: shownValue(value, sensitive), path: memberName(name), constraint });
  }

  string(name: string, rule: StringRule & { required: true }): string;
  string(name: string, rule?: StringRule): string | undefined;
  string(name: string, rule: StringRule = {}): string | undefined {
    const value = this.raw(name, 'a string', (v) => typeof v === 'string') as string | undefined;
    if (value === undefined) {
      if (rule.required) this.violate(name, null, 'Member must not be null');
      return undefined;
    }
    // AWS counts characters for these limits except for secret values, which are limited in bytes.
    const length = rule.bytes ? Buffer.byteLength(value, 'utf8') : codePoints(value);
    if (rule.min !== undefined && length < rule.min) {
      this.violate(
        name,
        value,
        `Member must have length greater than or equal to ${rule.min}`,
        rule.sensitive,
      );
    } else if (rule.max !== undefined && length > rule.max) {
      this.violate(name, value, `Member must have length less than or equal to ${rule.max}`, rule.sensitive);
    } else if (rule.pattern && !fullMatch(rule.pattern, value)) {
      this.violate(
        name,
        value,
        `Member must satisfy regular expression pattern: ${rule.pattern.source}`,
        rule.sensitive,
      );
    } else if (rule.oneOf && !rule.oneOf.includes(value)) {
      this.violate(
        name,
        value,
        `Member must satisfy enum value set: [${rule.oneOf.join(', ')}]`,
        rule.sensitive,
      );
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    return this.raw(name, 'a boolean', (v) => typeof v === 'boolean') as boolean | undefined;
  }

  integer(name: string, rule: { min?: number; max?: number } = {}): number | undefined {
    const value = this.raw(name, 'an integer', (v) => typeof v === 'number' && Number.isInteger(v));
    if (value === undefined) return undefined;
    const n = value as number;
    if (rule.min !== undefined && n < rule.min) {
      this.violate(name, n, `Member must have value greater than or equal to ${rule.min}`);
    } else if (rule.max !== undefined && n > rule.max) {
      this.violate(name, n, `Member must have value less than or equal to ${rule.max}`);
    }
    return n;
  }

  /** A blob member: base64 text on the wire. */
  blob(name: string, rule: { min?: number; max?: number } = {}): Buffer | undefined {
    const value = this.raw(name, 'a base64 string', (v) => typeof v === 'string') as string | undefined;
    if (value === undefined) return undefined;
    if (!BASE64.test(value) || value.length % 4 !== 0) {
      throw serialization(`${name} is not valid base64.`);
    }
    const bytes = Buffer.from(value, 'base64');
    if (rule.min !== undefined && bytes.length < rule.min) {
      this.violate(name, null, `Member must have length greater than or equal to ${rule.min}`, true);
    } else if (rule.max !== undefined && bytes.length > rule.max) {
      this.violate(name, null, `Member must have length less than or equal to ${rule.max}`, true);
    }
    return bytes;
  }

  stringList(
    name: string,
    rule: { min?: number; max?: number; item?: StringRule } = {},
  ): string[] | undefined {
    const value = this.raw(
      name,
      'a list of strings',
      (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
    ) as string[] | undefined;
    if (value === undefined) return undefined;
    this.checkListLength(name, value, rule);
    if (rule.item) {
      for (const [index, item] of value.entries()) {
        const member = Input.of({ [name]: item });
        member.string(name, rule.item);
        this.adoptAs(member, `${memberName(name)}.${index + 1}.member`);
      }
    }
    return value;
  }

  /** A JSON object member (a structure), read with its own Input. */
  object(name: string): Input | undefined {
    const value = this.raw(
      name,
      'an object',
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    ) as Record<string, unknown> | undefined;
    return value === undefined ? undefined : new Input(value);
  }

  /** A list of JSON objects, each read with its own Input. */
  objectList(name: string, rule: { min?: number; max?: number } = {}): Input[] | undefined {
    const value = this.raw(
      name,
      'a list of objects',
      (v) =>
        Array.isArray(v) &&
        v.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item)),
    ) as Record<string, unknown>[] | undefined;
    if (value === undefined) return undefined;
    this.checkListLength(name, value, rule);
    return value.map((item) => new Input(item));
  }

  /** Reports another Input's violations (of a list member) as this request's. */
  adopt(child: Input, prefix: string): void {
    for (const v of child.violations) this.violations.push({ ...v, path: `${memberName(prefix)}.${v.path}` });
  }

  private adoptAs(child: Input, path: string): void {
    for (const v of child.violations) this.violations.push({ ...v, path });
  }

  private checkListLength(name: string, value: unknown[], rule: { min?: number; max?: number }) {
    if (rule.min !== undefined && value.length < rule.min) {
      this.violate(name, value, `Member must have length greater than or equal to ${rule.min}`);
    } else if (rule.max !== undefined && value.length > rule.max) {
      this.violate(name, value, `Member must have length less than or equal to ${rule.max}`);
    }
  }

  /** Throws the aggregated ValidationException if any constraint failed. */
  done(): void {
    const count = this.violations.length;
    if (count === 0) return;
    throw validation(
      `${count} validation error${count === 1 ? '' : 's'} detected: ${this.violations.map(render).join('; ')}`,
    );
  }
}

export interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  /** The model's pattern; the whole value must match it. */
  pattern?: RegExp;
  oneOf?: readonly string[];
  /** Never echo the value in an error (secret values, passwords, policies). */
  sensitive?: boolean;
  /** Count the limit in UTF-8 bytes instead of characters. */
  bytes?: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BLANK = /^\s*$/;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Characters as AWS counts them (code points); without surrogate pairs, that is the string's length. */
const codePoints = (value: string): number => (SURROGATE.test(value) ? [...value].length : value.length);

const anchored = new WeakMap<RegExp, RegExp>();
/** AWS matches a member's pattern against the whole value, as the model's unanchored patterns mean. */
function fullMatch(pattern: RegExp, value: string): boolean {
  let whole = anchored.get(pattern);
  if (whole === undefined) {
    whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
    anchored.set(pattern, whole);
  }
  return whole.test(value);
}

interface Violation {
  /** `Value 'x'`, `Value null`, or just `Value` when the value is not shown. */
  readonly shown: string;
  readonly path: string;
  readonly constraint: string;
}

const render = (v: Violation): string =>
  `${v.shown} at '${v.path}' failed to satisfy constraint: ${v.constraint}`;

/**
 * Coral's rendering of an offending value: quoted (lists as `[a, b]`), `null` when absent, and left
 * out entirely for sensitive members and for structures.
 */
function shownValue(value: unknown, sensitive: boolean): string {
  if (sensitive) return 'Value';
  if (value === null) return 'Value null';
  if (typeof value === 'string' || typeof value === 'number') return `Value '${value}'`;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return `Value '[${value.join(', ')}]'`;
  }
  return 'Value';
}

/** AWS names members in validation messages with a lower-case first letter ("at 'secretId'"). */
const memberName = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

function describeJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
