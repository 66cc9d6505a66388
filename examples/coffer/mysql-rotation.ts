// The MySQL / MariaDB rotation Lambda, alternating between <user> and <user>_clone: the secret's `masterarn`
// names the secret of a user that may create users and grant privileges.
import { createRotationHandler } from 'coffer/rotation';
import { alternatingUsers } from 'coffer/rotation/mysql';

export const handler = createRotationHandler({ rotator: alternatingUsers() });
