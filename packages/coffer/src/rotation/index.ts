/**
 * coffer/rotation: Secrets Manager's four-step rotation protocol as a Lambda handler, with rotators for
 * PostgreSQL (`coffer/rotation/postgres`) and for anything else (`custom`).
 */
export {
  CURRENT,
  DEFAULT_EXCLUDED_CHARACTERS,
  type PasswordOptions,
  PENDING,
  PREVIOUS,
  RotationContext,
  type RotationContextOptions,
  type RotationEvent,
  type RotationStep,
  STEPS,
} from './context.js';
export { type CustomRotatorSteps, custom } from './custom.js';
export { RotationError } from './errors.js';
export {
  createRotationHandler,
  jsonLogger,
  type LambdaContextLike,
  type RotationHandlerOptions,
  type Rotator,
} from './handler.js';
