/**
 * The logging Coffer needs: pino's `(fields, message)` call shape, which `console` also accepts. Fields
 * name secrets, versions and error codes; never a value.
 */
export interface CofferLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

/** Logs nothing: the default, so a library never writes to a service's output unasked. */
export const silentLogger: CofferLogger = {};
