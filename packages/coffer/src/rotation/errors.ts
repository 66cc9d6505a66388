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
