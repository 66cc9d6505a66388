import { CofferError } from '../errors.js';

/** A rotation step that cannot go on; Secrets Manager keeps AWSPENDING and retries the rotation later. */
export class RotationError extends CofferError {
  override readonly name = 'RotationError' as const;
  readonly code = 'ROTATION_FAILED' as const;
  readonly step: string | undefined;

  constructor(message: string, options: { secretId?: string; step?: string; cause?: unknown } = {}) {
    super(message, options);
    this.step = options.step;
  }
}

/** The RotationError of one step (a RotationContext is one): the secret and step it concerns, and the cause. */
export const rotationError = (
  at: { readonly secretId: string; readonly step: string },
  message: string,
  cause?: unknown,
): RotationError =>
  new RotationError(message, {
    secretId: at.secretId,
    step: at.step,
    ...(cause !== undefined && { cause }),
  });
