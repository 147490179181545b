/**
 * The proxy's HTTP front: one MCP endpoint (default /mcp) behind the stage pipeline, plus GET /metrics.
 *
 *   observe → origin → auth → rate limit → body (limit, JSON-RPC parse) → faults → terminal
 *
 * The terminal is the reverse forwarder (Streamable HTTP upstreams), or the channel bridge: to a stdio child per
 * session (--upstream-cmd) or a legacy SSE session per session (--upstream-sse). Legacy HTTP+SSE clients are served
 * at GET /sse and POST /messages through the same stages, each with an upstream channel of its own.
 * Shutdown is graceful: stop accepting, let in-flight requests finish (up to a grace period), end streams and
 * sessions, end children.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import { listenOn } from '../../core/runtime/service.js';
import type { ProxyConfig } from '../config.js';
import { compose, newExchange, replyError, type Handler, type Stage } from '../exchange.js';
import { Http1Server } from '../http1/server.js';
import type { Logger } from '../log.js';
import { ProxyMetrics } from '../metrics.js';
import { SessionTable } from '../sessions.js';
import { admissionStage } from '../stages/admission.js';
import { authStage } from '../stages/auth.js';
import { bodyStage } from '../stages/body.js';
import { faultStage } from '../stages/faults.js';
import { observeStage } from '../stages/observe.js';
import { originStage } from '../stages/origin.js';
import { rateLimitStage } from '../stages/rate-limit.js';
import { routingStage } from '../stages/routing.js';
import { httpForwarder } from '../upstream/http-forward.js';
import { UpstreamSet, type HttpUpstream } from '../upstream/http-upstreams.js';
import { ChannelBridge, type BridgeSession } from '../upstream/channel-bridge.js';
import type { ChannelFactory } from '../upstream/channel.js';
import { LegacySseChannel, StreamableHttpChannel, stdioChannels } from '../upstream/channels.js';
import { LEGACY_MESSAGES_PATH, LEGACY_SSE_PATH, LegacySseFront } from './legacy-sse.js';

export interface RunningHttpProxy {
  readonly url: string;
  readonly metrics: ProxyMetrics;
  close(): Promise<void>;
}

const DRAIN_GRACE_MS = 2_000;
/** Host names a loopback-only proxy answers to by default: localhost, 127.0.0.0/8, [::1]. */
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/**
 * DNS rebinding defence for every path, /metrics and /sse included: a browser tricked into calling the proxy sends
 * the attacker's host name in Host. A request without Host (HTTP/1.0) passes; an HTTP/1.1 one never gets this far.
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined) return true;
  const lower = host.toLowerCase();
  const name = lower.startsWith('[') ? lower.slice(0, lower.indexOf(']') + 1) : lower.replace(/:\d*$/, '');
  return LOOPBACK_HOST.test(name) || allowed.includes(lower) || allowed.includes(name);
}

export async function startHttpProxy(config: ProxyConfig, log: Logger): Promise<RunningHttpProxy> {
  const metrics = new ProxyMetrics();
  const streams = { open: 0 };
  const stages: Stage[] = [observeStage(metrics, log), originStage(config.allowedOrigins, metrics)];
  if (config.auth !== undefined) stages.push(authStage(config.auth, metrics));
  if (config.rateLimit !== undefined) stages.push(rateLimitStage(config.rateLimit, metrics));
  // Shedding comes before the body is read: a refusal must cost far less than the call it saves.
  if (config.maxInFlight > 0) {
    const admission = admissionStage(config.maxInFlight, metrics);
    stages.push(admission.stage);
    metrics.gauge('mcp_proxy_admitted_in_flight', 'POSTs admitted and not yet answered (--max-in-flight).', () =>
      admission.inFlight(),
    );
  }
  // The reverse proxy forwards bodies as they came: a request's method and id are all it reads of most of them.
  const scan = config.mode === 'http-reverse';
  stages.push(
    bodyStage(config.maxBodyBytes, metrics, { routeOnHeaders: config.routeOnHeaders, scan }),
    routingStage(metrics),
  );
  if (config.faults.latencyMs > 0 || config.faults.errorRate > 0) stages.push(faultStage(config.faults, metrics));

  let close: () => Promise<void>;
  let inFlight: () => number;
  // A stage or handler that throws fails its own request (500), is logged, and disturbs nothing else.
  const onError = (error: unknown): void =>
    log.error('request handler failed', { error: String((error as Error)?.stack ?? error) });
  let handle: Handler;
  /** How a legacy SSE client's session reaches the upstream. */
  let legacyChannel: ChannelFactory;
  const channelOptions = { timeoutMs: config.upstreamTimeoutMs, log, headers: config.upstreamHeaders };
  if (config.mode === 'http-stdio' || config.mode === 'http-legacy') {
    const stdio = config.mode === 'http-stdio';
    legacyChannel = stdio
      ? stdioChannels(config.upstreamCommand, { maxLineBytes: config.maxLineBytes, log, metrics })
      : (events) => new LegacySseChannel(config.upstreams[0]!, channelOptions, events);
    const bridge = new ChannelBridge({
      open: legacyChannel,
      poolSize: config.stdioPool,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      maxQueueBytes: config.maxQueueBytes,
      log,
      metrics,
    });
    const sessions = new SessionTable<BridgeSession>(config.maxSessions, config.sessionIdleMs, (entry, reason) =>
      bridge.onSessionEnd(entry.binding, reason),
    );
    bridge.attach(sessions);
    metrics.gauge('mcp_proxy_active_sessions', 'MCP sessions open.', () => sessions.size);
    metrics.gauge('mcp_proxy_open_streams', 'SSE streams open to clients.', () =>
      [...sessions.values()].reduce((n, e) => n + e.binding.streams.size, 0),
    );
    metrics.gauge(TASK_ROUTES_GAUGE, TASK_ROUTES_HELP, () => bridge.taskRoutes);
    if (stdio) {
      metrics.gauge(
        'mcp_proxy_children',
        'stdio upstream processes alive (sessions and warm pool).',
        () => bridge.channels,
      );
      metrics.gauge(
        'mcp_proxy_children_warm',
        'Pre-spawned stdio upstream processes waiting for a session.',
        () => bridge.warm,
      );
    } else {
      metrics.gauge('mcp_proxy_upstream_channels', 'Legacy SSE sessions open to the upstream.', () => bridge.channels);
    }
    handle = compose(stages, bridge.handler(), onError);
    inFlight = () => bridge.inFlight;
    close = () => bridge.close();
  } else {
    const upstreams = new UpstreamSet(config.upstreams, {
      balance: config.balance,
      healthIntervalMs: config.healthIntervalMs,
      log,
      headers: config.upstreamHeaders,
    });
    const sessions = new SessionTable<HttpUpstream>(config.maxSessions, config.sessionIdleMs, (entry, reason) => {
      // An idle or shut-down session is ended upstream too, so the upstream frees it as well (best effort).
      if (reason === 'idle' || reason === 'shutdown') entry.binding.deleteSession(entry.id);
    });
    metrics.gauge('mcp_proxy_active_sessions', 'MCP sessions open.', () => sessions.size);
    metrics.gauge('mcp_proxy_open_streams', 'SSE streams open to clients.', () => streams.open);
    metrics.gauge(TASK_ROUTES_GAUGE, TASK_ROUTES_HELP, () => upstreams.tasks.size);
    metrics.gauge(
      'mcp_proxy_upstreams_healthy',
      'Upstreams currently taking new sessions.',
      () => upstreams.upstreams.filter((u) => u.healthy).length,
    );
    metrics.gauge('mcp_proxy_upstream_pending', 'Requests in flight to upstreams.', () =>
      upstreams.upstreams.reduce((n, u) => n + u.pending, 0),
    );
    handle = compose(
      stages,
      httpForwarder({
        upstreams,
        sessions,
        timeoutMs: config.upstreamTimeoutMs,
        metrics,
        log,
        streams,
        upstreamHeaders: config.upstreamHeaders,
        maxInFlightPerUpstream: config.maxInFlightPerUpstream,
      }),
      onError,
    );
    legacyChannel = (events) =>
      new StreamableHttpChannel((upstreams.pick() ?? upstreams.upstreams[0]!).url, channelOptions, events);
    // Open SSE streams never "finish"; only requests waiting for an answer count as in flight.
    inFlight = () => upstreams.upstreams.reduce((n, u) => n + u.pending, 0) - streams.open;
    close = async () => {
      sessions.close();
      upstreams.close();
    };
  }

  const legacy = new LegacySseFront(
    legacyChannel,
    { maxSessions: config.maxSessions, maxQueueBytes: config.maxQueueBytes },
    log,
    metrics,
  );
  const legacyHandle = compose(stages, legacy.handler(), onError);
  metrics.gauge('mcp_proxy_legacy_sessions', 'Legacy HTTP+SSE client sessions open.', () => legacy.size);
  const closeModes = close;
  close = async () => {
    await legacy.close();
    await closeModes();
  };

  const renderMetrics: Handler = (ex) => {
    const text = metrics.render();
    ex.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(text) });
    ex.res.end(text);
  };
  const metricsHandle =
    config.metricsAuth && config.auth !== undefined
      ? compose([authStage(config.auth, metrics)], renderMetrics, onError)
      : renderMetrics;

  let allowedHost: string | undefined = '\0'; // matches no Host
  const server = new Http1Server(
    { maxBodyBytes: config.maxBodyBytes, keepAliveTimeoutMs: config.keepAliveMs, onError },
    (req, res) => {
      const path = req.path;
      const host = req.headers.host;
      // The same Host arrives on every request of a client: the last one allowed is not checked again.
      if (host !== allowedHost && !hostAllowed(host, config.allowedHosts)) {
        metrics.rejected.inc({ reason: 'host' });
        return replyError(
          res,
          403,
          null,
          `Host ${JSON.stringify(req.headers.host)} is not allowed (DNS rebinding protection; see --allow-host)`,
        );
      }
      if (host !== undefined) allowedHost = host;
      if (path === config.path) return handle(newExchange(req, res));
      if (path === LEGACY_SSE_PATH || path === LEGACY_MESSAGES_PATH) {
        const allowed = path === LEGACY_SSE_PATH ? 'GET' : 'POST';
        if (req.method !== allowed) {
          res.setHeader('Allow', allowed);
          return replyError(
            res,
            405,
            null,
            `method ${req.method} not allowed on ${path}`,
            RpcErrorCode.INVALID_REQUEST,
          );
        }
        return legacyHandle(newExchange(req, res));
      }
      if (path === '/debug/memory' && req.method === 'GET' && config.debugMemory) {
        const text = JSON.stringify(memoryAfterGc());
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        return void res.end(text);
      }
      if (path === '/metrics' && req.method === 'GET') return metricsHandle(newExchange(req, res));
      replyError(res, 404, null, `no MCP endpoint at ${path}; use ${config.path}`, RpcErrorCode.INVALID_REQUEST);
    },
  );

  const origin = await listenOn(server.net, config.listen.host, config.listen.port);
  log.info('proxy listening', { mode: config.mode, url: `${origin}${config.path}` });

  return {
    url: `${origin}${config.path}`,
    metrics,
    async close() {
      log.info('proxy shutting down', { inFlight: inFlight() });
      // Stop accepting; idle keep-alive connections go now; requests in flight get up to the grace period to be
      // answered; then sessions end (their streams close, their children are ended) and the rest is cut.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = performance.now() + DRAIN_GRACE_MS;
      while (inFlight() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await close();
      server.closeAllConnections();
      await closed;
    },
  };
}

const TASK_ROUTES_GAUGE = 'mcp_proxy_task_routes';
const TASK_ROUTES_HELP = 'Tasks (the tasks extension) whose requests go to the upstream that made them.';

let forceGc: (() => void) | undefined;

/**
 * A full, synchronous GC, then the process's memory. Node exposes gc() only under --expose-gc; the flag can be set at
 * run time, and a fresh context then sees the global (V8 installs it when a context is created).
 */
function memoryAfterGc(): NodeJS.MemoryUsage & { youngGenerationBytes: number; codeBytes: number } {
  if (forceGc === undefined) {
    setFlagsFromString('--expose-gc');
    forceGc = runInNewContext('gc') as () => void;
  }
  forceGc();
  // What V8's young generation holds committed: it grows with the allocation rate (up to twice
  // --max-semi-space-size and more) and stays grown after a GC — memory that does not scale with sessions.
  const spaces = getHeapSpaceStatistics();
  const youngGenerationBytes = spaces
    .filter((s) => s.space_name === 'new_space' || s.space_name === 'new_large_object_space')
    .reduce((n, s) => n + s.space_size, 0);
  // Machine code the JIT has compiled (part of heapUsed): it grows as functions are optimised, deoptimised and
  // optimised again under changing load, whatever the proxy holds for its clients.
  const codeBytes = spaces
    .filter((s) => s.space_name === 'code_space' || s.space_name === 'code_large_object_space')
    .reduce((n, s) => n + s.space_used_size, 0);
  return { ...process.memoryUsage(), youngGenerationBytes, codeBytes };
}
