import { Agent as HttpAgent, request } from 'node:http';
import type { Agent } from '@coffer/agent';

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Keep-alive, no limit on sockets: tests decide how many connections they open. */
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One request to the agent (TCP or Unix socket), with the given headers. */
export function call(
  agent: Pick<Agent, 'address'>,
  path: string,
  headers: Record<string, string> = {},
  options: { method?: string; httpAgent?: HttpAgent } = {},
): Promise<Answer> {
  const address = agent.address;
  const target =
    address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
  return new Promise((resolve, reject) => {
    const req = request(
      { ...target, path, method: options.method ?? 'GET', headers, agent: options.httpAgent ?? keepAlive },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
