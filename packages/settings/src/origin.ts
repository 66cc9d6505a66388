import type { SecretReference } from 'coffer';
import { describeSecretReference } from 'coffer/internal';

/** Where a setting's value came from; shown in errors instead of the value. */
export type Origin =
  | { readonly kind: 'override' }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'dotenv'; readonly file: string; readonly line: number; readonly name: string }
  | { readonly kind: 'secret'; readonly reference: SecretReference; readonly via?: Origin }
  | { readonly kind: 'default' };

export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'override':
      return 'override passed to load()';
    case 'env':
      return `env var ${origin.name}`;
    case 'dotenv':
      return `${origin.file}:${origin.line} (${origin.name})`;
    case 'secret':
      return origin.via === undefined
        ? describeSecretReference(origin.reference)
        : `${describeSecretReference(origin.reference)}, referenced by ${describeOrigin(origin.via)}`;
    case 'default':
      return 'no source set it';
  }
}
