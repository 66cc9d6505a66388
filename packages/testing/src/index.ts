/**
 * @coffer/testing: the fixtures every package's tests share (private, never published). Tests talk to real
 * parts: a local Secrets Manager over HTTP through the official SDK, and real child processes.
 */
export { type FaultProxy, type ProxyMode, startProxy } from './fault-proxy.js';
export { type Finished, type RunOptions, runNode } from './processes.js';
export { type FakeFunctionOptions, lambdaArn, writeFakeFunction } from './rotation-functions.js';
export { canaries, canary, captureLogger, createSecret, expectNoCanary, uniqueName } from './secrets.js';
export {
  awsEnvFor,
  clientFor,
  errorOf,
  exportsIn,
  serverFromEnv,
  startTestServer,
  type TestClientOptions,
} from './server.js';
