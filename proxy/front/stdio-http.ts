/**
 * stdio → Streamable HTTP: `mcp-perf proxy --stdio --upstream URL` (what mcp-remote does). A client that can only
 * spawn stdio servers talks newline-delimited JSON-RPC to us; one StreamableHttpChannel speaks to the upstream (see
 * upstream/channels.ts for the session, SSE and GET-stream handling). Bad lines from the client are answered here;
 * when the client closes stdin the session is DELETEd upstream and we exit.
 */
import { parseMessage, RpcErrorCode, rpcError } from '../../core/protocol/jsonrpc.js';
import type { ProxyConfig } from '../config.js';
import { LineSplitter } from '../../core/protocol/framing.js';
import type { Logger } from '../log.js';
import { StreamableHttpChannel } from '../upstream/channels.js';
import type { StdioIo } from './stdio.js';

const NEWLINE = Buffer.from('\n');

export function runStdioToHttp(config: ProxyConfig, log: Logger, io: StdioIo): Promise<number> {
  const write = (line: string | Buffer): void => {
    io.stdout.write(line);
    io.stdout.write(NEWLINE);
  };
  const channel = new StreamableHttpChannel(
    config.upstreams[0]!,
    { timeoutMs: config.upstreamTimeoutMs, log, headers: config.upstreamHeaders },
    { onLine: write, onClose: () => {} },
  );
  const splitter = new LineSplitter(config.maxLineBytes, {
    onLine: (line) => {
      const parsed = parseMessage(line.toString('utf8'));
      if ('error' in parsed) return write(JSON.stringify(parsed.error));
      channel.send(line);
    },
    onOversize: (bytes) =>
      write(
        JSON.stringify(
          rpcError(
            null,
            RpcErrorCode.INVALID_REQUEST,
            `message of ${bytes}+ bytes exceeds --max-line-bytes ${config.maxLineBytes}`,
          ),
        ),
      ),
  });

  return new Promise<number>((resolve) => {
    let ended = false;
    const finish = async (why: string): Promise<void> => {
      if (ended) return;
      ended = true;
      log.info(`${why}; ending the session upstream`);
      await channel.close();
      resolve(0);
    };
    io.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
    io.stdin.once('end', () => void finish('client closed stdin'));
    process.once('SIGTERM', () => void finish('SIGTERM'));
    process.once('SIGINT', () => void finish('SIGINT'));
  });
}
