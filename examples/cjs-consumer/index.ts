// examples/cjs-consumer/index.ts
// A CommonJS project ("module": "nodenext" or "node20", no "type": "module"): TypeScript compiles these imports
// to require(), which loads coffer's ES modules on Node 20.19+ (require(esm)).
import { defineSettings } from '@coffer/settings';
import { Secret, SecretCache } from 'coffer';
import { RotatingPool } from 'coffer/pg';

const apiKey = new Secret('k3y');
const cache = new SecretCache();
const settings = defineSettings({ schema: {}, env: false, dotenv: false });
console.log(`${apiKey} ${typeof cache.get} ${typeof settings.load} ${typeof RotatingPool}`);
void cache.close();
