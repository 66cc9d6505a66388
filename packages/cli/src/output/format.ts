import type { Tag } from '@aws-sdk/client-secrets-manager';

/** Dates for people: UTC, to the second, e.g. `2025-04-01 12:30:05Z`. */
export const humanDate = (date: Date | undefined): string =>
  date === undefined ? '-' : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** Dates for scripts: ISO 8601, or undefined so JSON.stringify leaves the key out. */
export const isoDate = (date: Date | undefined): string | undefined => date?.toISOString();

export const tagsText = (tags: readonly Tag[] | undefined): string =>
  (tags ?? []).map((tag) => `${tag.Key ?? ''}=${tag.Value ?? ''}`).join(', ');

export const tagsObject = (tags: readonly Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** Pretty JSON for `--json`, with a final newline. */
export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
