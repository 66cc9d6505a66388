/**
 * IAM-style policies for local credentials: Allow/Deny statements of `secretsmanager:*` actions on
 * secret ARN patterns, evaluated as IAM does (an explicit Deny wins, then any Allow, else denied).
 * Hand-written because no maintained npm package evaluates IAM policy documents offline.
 */

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

const list = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

const patternCache = new Map<string, RegExp>();

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

const matchesAny = (patterns: string[], value: string, caseInsensitive: boolean): boolean =>
  patterns.some((p) => wildcard(p, caseInsensitive).test(value));

function statementApplies(statement: PolicyStatement, action: string, resource: string): boolean {
  const actions = list(statement.Action);
  const notActions = list(statement.NotAction);
  if (actions && !matchesAny(actions, action, true)) return false;
  if (notActions && matchesAny(notActions, action, true)) return false;
  const resources = list(statement.Resource);
  const notResources = list(statement.NotResource);
  if (resources && !matchesAny(resources, resource, false)) return false;
  if (notResources && matchesAny(notResources, resource, false)) return false;
  return true;
}

function principalMatches(statement: PolicyStatement, principalArn: string, accountId: string): boolean {
  const principal = statement.Principal;
  if (principal === undefined) return false;
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const names = list(principal.AWS) ?? [];
  return names.some(
    (p) =>
      typeof p === 'string' &&
      (p === '*' ||
        p === principalArn ||
        p === accountId ||
        p === `arn:aws:iam::${accountId}:root` ||
        wildcard(p, false).test(principalArn)),
  );
}

function statements(policy: PolicyDocument): PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

/** Evaluates an identity policy (no Principal) or, with `principal`, a resource policy. */
export function evaluate(
  policy: PolicyDocument,
  action: string,
  resource: string,
  principal?: { arn: string; accountId: string },
): Decision {
  let allowed = false;
  for (const statement of statements(policy)) {
    if (principal && !principalMatches(statement, principal.arn, principal.accountId)) continue;
    if (!statementApplies(statement, action, resource)) continue;
    if (statement.Effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * Checks a policy document's shape; returns a message naming the first problem, or undefined.
 * Used for credential policies and for PutResourcePolicy.
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
    } else {
      if (st.Principal !== undefined) return `${where}: an identity policy must not have a Principal.`;
      if (st.Resource === undefined && st.NotResource === undefined) {
        return `${where} needs Resource or NotResource.`;
      }
    }
  }
  return undefined;
}

function principalProblem(principal: unknown): string | undefined {
  if (principal === '*') return undefined;
  const message = 'Principal must be "*" or {"AWS": <ARN, account id or list of them>}.';
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) return message;
  const keys = Object.keys(principal);
  const aws = (principal as { AWS?: unknown }).AWS;
  if (keys.length !== 1 || keys[0] !== 'AWS') return message;
  const ok = typeof aws === 'string' || (Array.isArray(aws) && aws.every((p) => typeof p === 'string'));
  return ok ? undefined : message;
}

/** Whether a resource policy grants anything to everyone (what BlockPublicPolicy refuses). */
export function isPublic(policy: PolicyDocument): boolean {
  return statements(policy).some((s) => {
    if (s.Effect !== 'Allow' || s.Principal === undefined) return false;
    if (s.Principal === '*') return true;
    if (typeof s.Principal !== 'object' || s.Principal === null) return false;
    return (list(s.Principal.AWS) ?? []).includes('*');
  });
}
