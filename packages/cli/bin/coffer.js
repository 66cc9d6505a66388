#!/usr/bin/env node
// The `coffer` command. It lives outside dist/ and is committed, so that `npm install` links it into
// node_modules/.bin on the first install of a fresh clone: npm links a bin only if its file exists then, and
// dist/ appears only with the first build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error(
    'coffer: the CLI is not built yet: run `npm run build` (or `npm start`) in the repository first.',
  );
  process.exit(1);
}
await import(built.href);
