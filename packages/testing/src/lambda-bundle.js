// How the coffer README's "Bundle size" section bundles a Lambda handler: esbuild, minified, one ES module, the AWS
// SDK left to the Lambda runtime. One home for the test that checks what a bundle holds and the bench that weighs
// it, so they measure the same thing. Plain JavaScript so that the bench (plain JavaScript too) shares it.

/** esbuild options for a handler's bundle, in memory, with its metafile (which module brought what). */
export const LAMBDA_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@aws-sdk/*'],
  write: false,
  metafile: true,
  logLevel: 'silent',
});
