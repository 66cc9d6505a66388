/**
 * coffer/mysql: a mysql2 pool (`mysql2/promise`) whose credentials come from a Secrets Manager database secret and
 * follow its rotation (single-user or alternating users) without dropping a query. Needs the optional peer
 * dependency `mysql2`.
 */
export { DatabaseAuthenticationError } from '../database/errors.js';
export type { RotatingPoolSwitch, RotatingPoolSwitchReason } from '../database/pool-versions.js';
export {
  createRotatingPool,
  RotatingPool,
  type RotatingPoolEvents,
  type RotatingPoolOptions,
} from './rotating-pool.js';
