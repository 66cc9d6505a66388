import { isIP } from 'node:net';
import { AgentConfigError } from '../errors.js';

/** Where the agent listens: a TCP address or a Unix socket. */
export type ListenAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly loopback: boolean }
  | { readonly kind: 'unix'; readonly path: string; readonly loopback: true };

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

function parsePort(text: string, listen: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw new AgentConfigError(`listen "${listen}": the port must be a whole number from 0 to 65535.`);
  return port;
}

/** Parses `host:port`, `[ipv6]:port`, a bare port (on 127.0.0.1) or a Unix socket path (anything with a `/`). */
export function parseListen(listen: string): ListenAddress {
  if (listen.includes('/')) return { kind: 'unix', path: listen, loopback: true };
  if (/^\d+$/.test(listen))
    return { kind: 'tcp', host: '127.0.0.1', port: parsePort(listen, listen), loopback: true };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(listen);
  const at = listen.lastIndexOf(':');
  const host = bracketed?.[1] ?? listen.slice(0, at);
  const port = bracketed?.[2] ?? listen.slice(at + 1);
  if (
    (bracketed === null && (at <= 0 || host.includes(':'))) ||
    (host !== 'localhost' && isIP(host) === 0 && !/^[\w.-]+$/.test(host))
  )
    throw new AgentConfigError(
      `listen "${listen}" is not an address: use host:port (127.0.0.1:2773), [::1]:2773, a port, or a socket path.`,
    );
  return { kind: 'tcp', host, port: parsePort(port, listen), loopback: isLoopback(host) };
}
