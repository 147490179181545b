/**
 * The legacy HTTP+SSE transport (2024-11-05) for clients that still speak it: GET /sse opens a stream whose first
 * event, `endpoint`, names /messages?sessionId=…; the client POSTs each message there (answered 202) and everything
 * the server says comes back as `message` events on the stream. Each legacy session gets one upstream channel of
 * whatever kind the proxy serves (a Streamable HTTP session, a stdio child, a legacy SSE session); it ends when the
 * client's stream closes. A session belongs to the principal that opened it: another principal's POSTs get 404.
 * Everything the server says, answers included, travels on the stream, so a reader that lags by more than
 * --max-queue-bytes has its session closed (nothing can be dropped silently there) rather than grow the proxy.
 */
import { randomUUID } from 'node:crypto';
import { RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import type { Handler } from '../exchange.js';
import type { ProxyRequest, ProxyResponse } from '../http1/server.js';
import { replyError } from '../exchange.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Channel, ChannelFactory } from '../upstream/channel.js';

export const LEGACY_SSE_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';

interface LegacySession {
  readonly res: ProxyResponse;
  readonly channel: Channel;
  readonly owner: string | undefined;
}

export class LegacySseFront {
  readonly #sessions = new Map<string, LegacySession>();

  constructor(
    private readonly open: ChannelFactory,
    private readonly limits: { readonly maxSessions: number; readonly maxQueueBytes: number },
    private readonly log: Logger,
    private readonly metrics: ProxyMetrics,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  handler(): Handler {
    return (ex) => {
      const url = new URL(ex.req.url ?? '/', 'http://proxy');
      if (url.pathname === LEGACY_SSE_PATH && ex.req.method === 'GET')
        return this.#openStream(ex.req, ex.res, ex.principal);
      if (url.pathname === LEGACY_MESSAGES_PATH && ex.req.method === 'POST') {
        const id = url.searchParams.get('sessionId');
        if (id === null || id === '')
          return replyError(ex.res, 400, ex.rpcId, 'missing sessionId query parameter', RpcErrorCode.INVALID_REQUEST);
        const session = this.#sessions.get(id);
        if (session === undefined || session.owner !== ex.principal) {
          this.metrics.rejected.inc({ reason: 'unknown_session' });
          return replyError(ex.res, 404, ex.rpcId, 'unknown or closed SSE session', RpcErrorCode.INVALID_REQUEST);
        }
        session.channel.send(ex.body);
        return void ex.res.writeHead(202, { 'Content-Type': 'text/plain' }).end('Accepted');
      }
      replyError(ex.res, 404, null, `no legacy endpoint at ${url.pathname}`, RpcErrorCode.INVALID_REQUEST); // the router sends only these two here
    };
  }

  #openStream(req: ProxyRequest, res: ProxyResponse, owner: string | undefined): void {
    if (!String(req.headers.accept ?? 'text/event-stream').includes('text/event-stream')) {
      return replyError(res, 406, null, 'GET /sse needs Accept: text/event-stream', RpcErrorCode.INVALID_REQUEST);
    }
    if (this.#sessions.size >= this.limits.maxSessions) {
      this.metrics.rejected.inc({ reason: 'max_sessions' });
      return replyError(res, 503, null, 'session limit reached (--max-sessions)', RpcErrorCode.SERVER_ERROR, {
        'Retry-After': '1',
      });
    }
    const id = randomUUID();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(`event: endpoint\ndata: ${LEGACY_MESSAGES_PATH}?sessionId=${id}\n\n`);
    const channel = this.open({
      onLine: (line) => {
        const lag = res.bufferedBytes;
        if (lag > 0 && lag + line.length > this.limits.maxQueueBytes) {
          if (!this.#sessions.has(id)) return;
          this.log.warn('legacy SSE client reads too slowly; session closed', { session: id, lagBytes: lag });
          this.metrics.dropped.inc({ reason: 'slow_reader' });
          this.#sessions.delete(id);
          void channel.close();
          return void res.destroy();
        }
        res.write(`event: message\ndata: ${line.toString('utf8')}\n\n`);
      },
      onClose: (close) => {
        if (!close.expected)
          this.log.warn('upstream of a legacy SSE session ended', { session: id, reason: close.reason });
        this.#sessions.delete(id);
        res.end();
      },
    });
    this.#sessions.set(id, { res, channel, owner });
    res.once('close', () => {
      if (this.#sessions.delete(id)) void channel.close();
    });
  }

  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      all.map(async ({ res, channel }) => {
        await channel.close();
        res.end();
      }),
    );
  }
}
