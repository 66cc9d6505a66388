/**
 * IAM-style policies: identity policies of local credentials and resource policies of secrets, with
 * Allow/Deny statements of `secretsmanager:*` actions on secret ARN patterns, evaluated as IAM
 * evaluates a request within one account. Hand-written because no maintained npm package evaluates
 * IAM policy documents offline.
 */

import { LRUCache } from 'lru-cache';
import { SECRETS_MANAGER_ACTIONS } from './actions.js';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  /** Resource policies only: who the statement applies to. */
  Principal?: '*' | { AWS: string | string[] };
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/** Full access: the policy of the admin credential. */
export const ADMIN_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }],
};

/** The caller a resource policy is evaluated for. */
export interface Caller {
  /** `arn:aws:iam::<account>:user/<name>` */
  arn: string;
  accountId: string;
}

const list = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

/**
 * Compiled patterns, least recently used first out. Bounded by count and by the patterns' total length:
 * patterns come from policies, which anyone allowed to write one chooses, and a compiled expression's size
 * grows with its pattern.
 */
const patternCache = new LRUCache<string, RegExp>({
  max: 4096,
  maxSize: 1 << 20,
  sizeCalculation: (_re, key) => key.length,
});

function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    patternCache.set(key, re);
  }
  return re;
}

/** A statement's Action, NotAction, Resource and NotResource as matchers, compiled once per statement. */
interface CompiledStatement {
  actions: RegExp[] | undefined;
  notActions: RegExp[] | undefined;
  resources: RegExp[] | undefined;
  notResources: RegExp[] | undefined;
}

/** Policies are parsed once and kept (a credential's, a cached secret's), so their statements are too. */
const compiledStatements = new WeakMap<PolicyStatement, CompiledStatement>();

function compile(statement: PolicyStatement): CompiledStatement {
  let compiled = compiledStatements.get(statement);
  if (compiled === undefined) {
    const patterns = (value: string | string[] | undefined, caseInsensitive: boolean) =>
      list(value)?.map((p) => wildcard(p, caseInsensitive));
    compiled = {
      actions: patterns(statement.Action, true),
      notActions: patterns(statement.NotAction, true),
      resources: patterns(statement.Resource, false),
      notResources: patterns(statement.NotResource, false),
    };
    compiledStatements.set(statement, compiled);
  }
  return compiled;
}

const matchesAny = (patterns: RegExp[], value: string): boolean => patterns.some((p) => p.test(value));

function statementApplies(statement: PolicyStatement, action: string, resource: string): boolean {
  const { actions, notActions, resources, notResources } = compile(statement);
  if (actions && !matchesAny(actions, action)) return false;
  if (notActions && matchesAny(notActions, action)) return false;
  if (resources && !matchesAny(resources, resource)) return false;
  if (notResources && matchesAny(notResources, resource)) return false;
  return true;
}

function statements(policy: PolicyDocument): PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

const ACCOUNT_ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[^*?]+$/;

/** The account a principal value names as a whole (`123456789012` or its `:root` ARN), if it does. */
function accountNamed(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  return ACCOUNT_ROOT.exec(value)?.[1];
}

/** The account of any principal value (an account, or an IAM ARN in it); undefined for `*`. */
function accountOf(value: string): string | undefined {
  return accountNamed(value) ?? /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(value)?.[1];
}

/** Who a resource policy statement names, seen from one caller. */
type PrincipalMatch = 'caller' | 'everyone' | 'account' | 'none';

function principalMatch(statement: PolicyStatement, caller: Caller): PrincipalMatch {
  const principal = statement.Principal;
  if (principal === '*') return 'everyone';
  if (typeof principal !== 'object' || principal === null) return 'none';
  let match: PrincipalMatch = 'none';
  for (const value of list(principal.AWS) ?? []) {
    if (value === caller.arn) return 'caller';
    if (value === '*') match = 'everyone';
    else if (match === 'none' && accountNamed(value) === caller.accountId) match = 'account';
  }
  return match;
}

/**
 * Evaluates an identity policy (no `caller`), or with `caller` a resource policy, as IAM does for a
 * caller of the secret's own account: a Deny that applies wins, even one naming the whole account;
 * an Allow grants only when it names the caller itself or everyone (`*`). An Allow naming the account
 * (`123456789012`, `arn:aws:iam::123456789012:root`) grants nothing by itself: it delegates to each
 * caller's identity policy, which must then allow the action.
 */
export function evaluate(
  policy: PolicyDocument,
  action: string,
  resource: string,
  caller?: Caller,
): Decision {
  let allowed = false;
  for (const statement of statements(policy)) {
    const match: PrincipalMatch = caller === undefined ? 'caller' : principalMatch(statement, caller);
    if (match === 'none' || !statementApplies(statement, action, resource)) continue;
    if (statement.Effect === 'Deny') return 'deny';
    if (match !== 'account') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * Checks a policy document's shape; returns a message naming the first problem, or undefined. Used
 * for credential policies and for resource policies (PutResourcePolicy, ValidateResourcePolicy).
 */
export function policyProblem(value: unknown, { resourcePolicy = false } = {}): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'The policy must be a JSON object.';
  }
  const statement = (value as { Statement?: unknown }).Statement;
  const all = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (all.length === 0) return 'The policy must have at least one Statement.';
  for (const [index, s] of all.entries()) {
    const where = `Statement ${index + 1}`;
    if (typeof s !== 'object' || s === null) return `${where} must be an object.`;
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return `${where}: Effect must be "Allow" or "Deny".`;
    if (st.Action === undefined && st.NotAction === undefined) return `${where} needs Action or NotAction.`;
    for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      const v = st[key];
      if (
        v !== undefined &&
        typeof v !== 'string' &&
        !(Array.isArray(v) && v.every((x) => typeof x === 'string'))
      ) {
        return `${where}: ${key} must be a string or a list of strings.`;
      }
    }
    // Evaluating a statement without its Condition would grant more than its author meant.
    for (const key of ['Condition', 'NotPrincipal'] as const) {
      if (st[key] !== undefined) return `${where}: ${key} is not supported by the local server.`;
    }
    if (resourcePolicy) {
      if (st.Principal === undefined) return `${where} needs a Principal.`;
      const problem = principalProblem(st.Principal);
      if (problem) return `${where}: ${problem}`;
      const unknown = unknownAction(st);
      if (unknown !== undefined) {
        return `${where}: ${unknown} is not a Secrets Manager action (secretsmanager:<Operation>, wildcards allowed).`;
      }
    } else {
      if (st.Principal !== undefined) return `${where}: an identity policy must not have a Principal.`;
      if (st.Resource === undefined && st.NotResource === undefined) {
        return `${where} needs Resource or NotResource.`;
      }
    }
  }
  return undefined;
}

/** The first Action or NotAction of a statement that names no Secrets Manager action, if any. */
function unknownAction(statement: Record<string, unknown>): string | undefined {
  const named = [
    ...(list(statement.Action as string[]) ?? []),
    ...(list(statement.NotAction as string[]) ?? []),
  ];
  return named.find(
    (pattern) => !SECRETS_MANAGER_ACTIONS.some((action) => wildcard(pattern, true).test(action)),
  );
}

function principalProblem(principal: unknown): string | undefined {
  if (principal === '*') return undefined;
  const message = 'Principal must be "*" or {"AWS": <ARN, account id or list of them>}.';
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) return message;
  const keys = Object.keys(principal);
  const aws = (principal as { AWS?: unknown }).AWS;
  if (keys.length !== 1 || keys[0] !== 'AWS') return message;
  const values = typeof aws === 'string' ? [aws] : Array.isArray(aws) ? aws : undefined;
  if (values === undefined || values.length === 0 || !values.every((p) => typeof p === 'string'))
    return message;
  // IAM matches principals exactly: a wildcard only stands alone, never inside an ARN.
  const invalid = (values as string[]).find(
    (p) => p !== '*' && accountNamed(p) === undefined && !IAM_PRINCIPAL.test(p),
  );
  return invalid === undefined
    ? undefined
    : `Principal ${JSON.stringify(invalid)} is not valid: use "*", an account id, or the full ARN of a user or role (IAM principals take no partial wildcards).`;
}

/**
 * Whether a resource policy would let anyone outside the account in: an Allow naming everyone (`*`),
 * or another account or one of its users or roles. BlockPublicPolicy refuses such a policy.
 */
export function grantsOutside(policy: PolicyDocument, accountId: string): boolean {
  return statements(policy).some((s) => {
    if (s.Effect !== 'Allow' || s.Principal === undefined) return false;
    if (s.Principal === '*') return true;
    if (typeof s.Principal !== 'object' || s.Principal === null) return false;
    return (list(s.Principal.AWS) ?? []).some((p) => p === '*' || accountOf(p) !== accountId);
  });
}

/** One finding of ValidateResourcePolicy. */
export interface PolicyFinding {
  CheckName: string;
  ErrorMessage: string;
}

/**
 * What ValidateResourcePolicy checks that this server can check: the policy's syntax (statements,
 * principals, Secrets Manager actions), broad access (anyone outside the account), and that the
 * policy does not lock the caller out of changing it again.
 */
export function validateResourcePolicy(
  policy: unknown,
  options: { caller: Caller; resource: string },
): PolicyFinding[] {
  const problem = policyProblem(policy, { resourcePolicy: true });
  if (problem !== undefined) return [{ CheckName: 'SyntaxCheck', ErrorMessage: problem }];
  const document = policy as PolicyDocument;
  const findings: PolicyFinding[] = [];
  if (grantsOutside(document, options.caller.accountId)) {
    findings.push({
      CheckName: 'BroadAccessCheck',
      ErrorMessage:
        'This resource policy grants access to principals outside the account (a wildcard principal or another account): name the users or roles of this account that need access.',
    });
  }
  for (const action of ['secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteResourcePolicy']) {
    if (evaluate(document, action, options.resource, options.caller) === 'deny') {
      findings.push({
        CheckName: 'LockoutCheck',
        ErrorMessage: `This resource policy denies you ${action} on this secret: you could not change or remove it afterwards.`,
      });
      break;
    }
  }
  return findings;
}
