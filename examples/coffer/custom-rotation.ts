// A rotation function for an API key: generate a new key, register it with the API, test it, revoke old ones.
import { createRotationHandler, custom } from 'coffer/rotation';

export const handler = createRotationHandler({
  rotator: custom({
    generate: async (_current, ctx) => (await ctx.randomPassword({ length: 40 })).reveal(),
    set: async (pending) => paymentsApi.registerKey(pending.reveal()),
    test: async (pending) => paymentsApi.ping(pending.reveal()),
    finish: async () => paymentsApi.revokeOldKeys(),
  }),
});

/** Stands in for your API's client: it keeps its keys in memory. */
const paymentsApi = {
  keys: new Set<string>(),
  async registerKey(key: string): Promise<void> {
    this.keys.add(key);
  },
  async ping(key: string): Promise<void> {
    if (!this.keys.has(key)) throw new Error('the payments API refused the new key');
  },
  async revokeOldKeys(): Promise<void> {},
};
