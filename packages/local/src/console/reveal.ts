/**
 * Reveal: one version's value, read with GetSecretValue as the console's principal (so the read is
 * audited like any other), and split into its JSON fields so the page can mask each one.
 */
import { call, type PageContext } from './context.js';
import { regionOf } from './pages/layout.js';

export interface RevealedValue {
  versionId: string;
  stages: string[];
  kind: 'string' | 'binary';
  /** A JSON object's top-level fields (nested values as JSON text), each masked until shown. */
  fields?: { name: string; value: string }[];
  /** Anything else: the text, or the bytes in base64. */
  text?: string;
}

export async function revealVersion(
  ctx: PageContext,
  arn: string,
  versionId: string,
): Promise<RevealedValue> {
  const answer = await call<{
    VersionId?: string;
    VersionStages?: string[];
    SecretString?: string;
    SecretBinary?: string;
  }>(ctx, regionOf(arn), 'GetSecretValue', { SecretId: arn, VersionId: versionId });
  const base = { versionId: answer.VersionId ?? versionId, stages: answer.VersionStages ?? [] };
  if (answer.SecretString === undefined) {
    return { ...base, kind: 'binary', text: answer.SecretBinary ?? '' };
  }
  const text = answer.SecretString;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: shown as one masked text.
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const fields = Object.entries(parsed as Record<string, unknown>).map(([name, value]) => ({
      name,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    }));
    return { ...base, kind: 'string', fields };
  }
  return { ...base, kind: 'string', text };
}
