/**
 * A raw TCP relay: bytes in, bytes out, no parsing. It is the floor any HTTP-level proxy can reach on this machine,
 * so the proxy's cost is read against it as well as against a direct connection.
 */
import net from 'node:net';
import { listenOn } from '../core/runtime/service.js';

export interface TcpRelayOptions {
  readonly host: string;
  readonly port: number;
  readonly upstream: URL;
}

export interface RunningRelay {
  readonly url: string;
  close(): Promise<void>;
}

export async function startTcpRelay(options: TcpRelayOptions): Promise<RunningRelay> {
  const upstreamPort = Number(options.upstream.port || 80);
  const upstreamHost = options.upstream.hostname.replace(/^\[|\]$/g, '');
  const sockets = new Set<net.Socket>();

  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side failing or closing ends the pair: a relay must not keep half a connection.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  const origin = await listenOn(server, options.host, options.port);
  return {
    url: `${origin}${options.upstream.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
