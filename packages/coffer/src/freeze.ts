/**
 * Freezes a value and everything reachable from it. Byte arrays are left as they are (a typed array with
 * elements cannot be frozen); each object is frozen before its children, so a cycle ends the walk.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || Object.isFrozen(value)) {
    return value;
  }
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
