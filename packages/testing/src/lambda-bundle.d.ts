/** esbuild options for a handler's bundle, in memory, with its metafile (which module brought what). */
export declare const LAMBDA_BUNDLE_OPTIONS: {
  readonly bundle: true;
  readonly minify: true;
  readonly platform: 'node';
  readonly target: 'node20';
  readonly format: 'esm';
  readonly external: string[];
  readonly write: false;
  readonly metafile: true;
  readonly logLevel: 'silent';
};
