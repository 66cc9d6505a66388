export const CLONE_SUFFIX = '_clone';

/** `<user>` ↔ `<user>_clone`, as AWS's multi-user templates alternate. */
export function alternateUsername(username: string): string {
  if (username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length) {
    return username.slice(0, -CLONE_SUFFIX.length);
  }
  return `${username}${CLONE_SUFFIX}`;
}
