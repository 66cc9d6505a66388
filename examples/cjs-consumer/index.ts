// CommonJS: TypeScript compiles these imports to require(), which loads coffer's ES modules on Node 20.19+
// (require(esm)). TypeScript accepts that with "module": "nodenext" (or "node20"), not with "node16".
import { defineSettings } from '@coffer/settings';
import { Secret, SecretCache } from 'coffer';

const apiKey = new Secret('k3y');
const cache = new SecretCache();
const settings = defineSettings({ schema: {}, env: false, dotenv: false });
console.log(`${apiKey} ${typeof cache.get} ${typeof settings.load}`);
void cache.close();
