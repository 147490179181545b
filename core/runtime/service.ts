/**
 * The contract between the runner and the processes it starts (mocks, proxy, relay): a child prints exactly one
 * JSON ready line on stdout once it listens, and ends cleanly on SIGTERM/SIGINT or when the pipe on its stdin
 * closes — so even a runner killed with SIGKILL leaves nothing behind.
 */
import { fstatSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';

export interface ReadyLine {
  readonly event: 'ready';
  readonly kind: string;
  readonly url: string;
  readonly pid: number;
}

export function formatReadyLine(kind: string, url: string): string {
  return JSON.stringify({ event: 'ready', kind, url, pid: process.pid } satisfies ReadyLine);
}

export function parseReadyLine(line: string): ReadyLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as Partial<ReadyLine>;
    return value.event === 'ready' && typeof value.url === 'string' && typeof value.pid === 'number'
      ? (value as ReadyLine)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on host:port (0 picks a free port) and returns the http:// origin to reach it (IPv6 in brackets). */
export async function listenOn(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

export interface Service {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServiceIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const CLOSE_GRACE_MS = 5_000;

/** Prints the ready line, then resolves once the service was asked to stop and has closed. */
export async function serveUntilStopped(kind: string, service: Service, io: ServiceIo): Promise<void> {
  io.stdout.write(formatReadyLine(kind, service.url) + '\n');
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    if (stdinIsPipe()) {
      process.stdin.on('data', () => {}); // drain; we only care about the end
      process.stdin.once('end', () => resolve('stdin closed'));
      process.stdin.once('error', () => resolve('stdin error'));
    }
  });
  const grace = setTimeout(() => {
    io.stderr.write(`${kind}: did not close within ${CLOSE_GRACE_MS} ms after ${reason}; exiting\n`);
    process.exit(1);
  }, CLOSE_GRACE_MS);
  grace.unref();
  await service.close();
  clearTimeout(grace);
  process.stdin.destroy();
}

/**
 * Only a pipe means "a parent is holding me": a terminal or /dev/null on stdin must not stop a server. Node's
 * child_process (and so execa) gives a child a Unix socketpair for 'pipe', a shell gives a FIFO: both count.
 */
function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
