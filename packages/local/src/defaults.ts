/** Where a server listens and what its ARNs say when nothing else is given; the CLI shows the same. */
export const DEFAULT_PORT = 4584;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';
