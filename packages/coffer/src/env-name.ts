/** `apiKey` → `API_KEY`, `db_host` → `DB_HOST`: how a field or JSON key is named as an environment variable. */
export const toEnvName = (field: string): string =>
  field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
