import type { AuditLog } from '../audit/audit-log.js';
import type { ConsoleApi } from './api.js';
import type { Chrome } from './pages/layout.js';

/** What a page needs to render: the API (as the console's principal, for this browser), and its frame. */
export interface PageContext {
  readonly api: ConsoleApi;
  /** The browser's address: the audit entries of the console's calls name it as their source. */
  readonly sourceIp: string;
  readonly chrome: Chrome;
  readonly defaultRegion: string;
  /** The regions to offer: those with secrets, the default, and any the server is restricted to. */
  regionChoices(): string[];
  readonly audit: AuditLog;
  /** Whether a rotation of the secret is running now. */
  isRotating(arn: string): boolean;
}

/** Calls the API in `region` as the console, for this page's browser. */
export const call = <T = Record<string, unknown>>(
  ctx: PageContext,
  region: string,
  operation: string,
  input: Record<string, unknown>,
): Promise<T> => ctx.api.call<T>(region, operation, input, ctx.sourceIp);
