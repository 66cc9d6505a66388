/**
 * coffer/pg: a pg.Pool whose credentials come from a Secrets Manager database secret and follow its rotation
 * (single-user or alternating users) without dropping a query. Needs the optional peer dependency `pg`.
 */
export { DatabaseAuthenticationError } from '../database/errors.js';
export {
  createRotatingPool,
  RotatingPool,
  type RotatingPoolEvents,
  type RotatingPoolOptions,
  type RotatingPoolSwitchReason,
} from './rotating-pool.js';
