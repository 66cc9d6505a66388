import type { AuditEntry } from '../audit/audit-log.js';

/** The audit page's filters; empty ones match everything. */
export interface AuditFilter {
  /** Part of the secret's ARN or name (the whole ARN with `exact`). */
  secret: string;
  /** Part of the principal's ARN. */
  principal: string;
  operation: string;
  outcome: '' | 'success' | 'error';
  exact: boolean;
}

export function readAuditFilter(query: URLSearchParams): AuditFilter {
  const outcome = query.get('outcome');
  return {
    secret: (query.get('secret') ?? '').trim().slice(0, 2048),
    principal: (query.get('principal') ?? '').trim().slice(0, 2048),
    operation: (query.get('operation') ?? '').trim().slice(0, 64),
    outcome: outcome === 'success' || outcome === 'error' ? outcome : '',
    exact: query.get('exact') === 'yes',
  };
}

export function auditMatches(filter: AuditFilter, entry: AuditEntry): boolean {
  if (filter.secret !== '') {
    const arn = entry.secretArn ?? '';
    if (filter.exact ? arn !== filter.secret : !arn.includes(filter.secret)) return false;
  }
  if (filter.principal !== '' && !(entry.principal ?? '').includes(filter.principal)) return false;
  if (filter.operation !== '' && entry.operation !== filter.operation) return false;
  if (filter.outcome !== '' && entry.outcome !== filter.outcome) return false;
  return true;
}

export function auditQuery(filter: AuditFilter): URLSearchParams {
  const query = new URLSearchParams();
  if (filter.secret !== '') query.set('secret', filter.secret);
  if (filter.principal !== '') query.set('principal', filter.principal);
  if (filter.operation !== '') query.set('operation', filter.operation);
  if (filter.outcome !== '') query.set('outcome', filter.outcome);
  if (filter.exact) query.set('exact', 'yes');
  return query;
}
