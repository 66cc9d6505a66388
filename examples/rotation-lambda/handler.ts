// The PostgreSQL rotation Lambda: deployed to AWS Lambda as built by the README's esbuild command, or registered
// with the local server (`coffer serve --rotation-function <arn>=<bundle>`).
import { createRotationHandler } from 'coffer/rotation';
import { singleUser } from 'coffer/rotation/postgres';

export const handler = createRotationHandler({ rotator: singleUser() });
