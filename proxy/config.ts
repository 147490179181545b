/** `mcp-perf proxy` configuration: defaults in one frozen object, flags validated once into a Readonly<ProxyConfig>. */
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import {
  choiceFlag,
  HELP_FLAG,
  intFlag,
  listenFlag,
  loopbackUrlFlag,
  numberFlag,
  parseFlags,
  type FlagSpecs,
} from '../core/runtime/flags.js';
import { ConfigError } from '../core/runtime/errors.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import type { AuthOptions } from './stages/auth.js';
import type { FaultOptions } from './stages/faults.js';
import type { RateLimitOptions } from './stages/rate-limit.js';
import { splitCommand } from '../core/runtime/argv.js';
import type { Balance } from './upstream/http-upstreams.js';

export type ProxyMode = 'http-reverse' | 'http-stdio' | 'http-legacy' | 'stdio-forward' | 'stdio-http';

export interface ProxyConfig {
  readonly mode: ProxyMode;
  readonly listen: { readonly host: string; readonly port: number };
  /** The MCP endpoint path the HTTP front serves. */
  readonly path: string;
  readonly upstreams: readonly URL[];
  readonly upstreamCommand: readonly string[];
  readonly balance: Balance;
  readonly healthIntervalMs: number;
  readonly upstreamTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly maxLineBytes: number;
  readonly maxSessions: number;
  /** POSTs in flight across the proxy beyond which one more gets 503 (load shedding); 0: no limit. */
  readonly maxInFlight: number;
  /** POSTs in flight to one HTTP upstream beyond which one more gets 503; 0: no limit. */
  readonly maxInFlightPerUpstream: number;
  readonly sessionIdleMs: number;
  /** A client connection idle this long between requests is closed. */
  readonly keepAliveMs: number;
  readonly stdioPool: number;
  readonly auth: AuthOptions | undefined;
  readonly rateLimit: RateLimitOptions | undefined;
  readonly allowedOrigins: readonly string[];
  /** Host header values accepted besides loopback names (DNS rebinding): lowercased host or host:port. */
  readonly allowedHosts: readonly string[];
  /** Headers every upstream request carries (names lowercased); the client's Authorization and Cookie never do. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** With auth on: GET /metrics needs a valid token too. */
  readonly metricsAuth: boolean;
  /** Bytes of server → client messages held per bridged session while no GET stream takes them, or its reader lags. */
  readonly maxQueueBytes: number;
  readonly faults: FaultOptions;
  readonly logLevel: LogLevel;
  /** Serve GET /debug/memory (forces a GC, answers process.memoryUsage()) for the memory scenarios. */
  readonly debugMemory: boolean;
  /**
   * Reverse mode: a POST of the stateless revision (2026-07-28) that carries Mcp-Method is forwarded on its headers,
   * its body never parsed; the server checks that the headers match the body, as the revision requires of it.
   */
  readonly routeOnHeaders: boolean;
}

export const PROXY_DEFAULTS = Object.freeze({
  /** @default '127.0.0.1:0' */
  listen: '127.0.0.1:0',
  /** @default '/mcp' */
  path: '/mcp',
  /** @default 'round-robin' */
  balance: 'round-robin' as Balance,
  /** @default 5000 */
  healthIntervalMs: 5_000,
  /** @default 30000 */
  upstreamTimeoutMs: 30_000,
  /** @default 4 MiB */
  maxBodyBytes: 4 * 1024 * 1024,
  /** @default 4 MiB */
  maxLineBytes: 4 * 1024 * 1024,
  /** @default 10000 */
  maxSessions: 10_000,
  /** @default 300000 (5 minutes); 0 never expires */
  sessionIdleMs: 300_000,
  keepAliveMs: 30_000,
  /** @default 0 */
  stdioPool: 0,
  /** @default 4 MiB */
  maxQueueBytes: 4 * 1024 * 1024,
  /** @default 'warn' */
  logLevel: 'warn' as LogLevel,
});

const d = PROXY_DEFAULTS;

/** Every flag of `mcp-perf proxy`, once: parseArgs reads these and `--help` is generated from them. */
export const PROXY_FLAGS: FlagSpecs = {
  upstream: {
    type: 'string',
    multiple: true,
    value: 'URL',
    help: 'a Streamable HTTP upstream (repeatable); with --stdio, the one to reach',
  },
  'upstream-cmd': { type: 'string', value: '"CMD ARGS"', help: 'the stdio server to bridge to, one child per session' },
  'upstream-sse': { type: 'string', value: 'URL', help: "a legacy HTTP+SSE server's /sse URL" },
  stdio: { type: 'boolean', help: 'speak stdio to our client (upstream: a command after --, or --upstream URL)' },
  listen: { type: 'string', value: 'HOST:PORT', help: 'where to listen; loopback only', default: d.listen },
  path: { type: 'string', value: 'PATH', help: 'the MCP endpoint', default: d.path },
  balance: {
    type: 'string',
    value: 'HOW',
    help: 'round-robin | least-pending: where new sessions go',
    default: d.balance,
  },
  'upstream-timeout-ms': {
    type: 'string',
    value: 'MS',
    help: 'wait this long for an upstream answer, in every mode',
    default: d.upstreamTimeoutMs,
  },
  'health-interval-ms': {
    type: 'string',
    value: 'MS',
    help: 'probe upstreams this often, 0 = never',
    default: d.healthIntervalMs,
  },
  'max-body-bytes': { type: 'string', value: 'N', help: 'larger HTTP bodies get 413', default: d.maxBodyBytes },
  'max-line-bytes': { type: 'string', value: 'N', help: 'larger stdio lines are refused', default: d.maxLineBytes },
  'max-sessions': { type: 'string', value: 'N', help: 'more sessions get 503', default: d.maxSessions },
  'session-idle-ms': {
    type: 'string',
    value: 'MS',
    help: 'end sessions idle this long, 0 = never',
    default: d.sessionIdleMs,
  },
  'keep-alive-ms': {
    type: 'string',
    value: 'MS',
    help: 'close a client connection idle this long between requests',
    default: d.keepAliveMs,
  },
  'stdio-pool': {
    type: 'string',
    value: 'N',
    help: 'keep N stdio children pre-spawned for new sessions',
    default: d.stdioPool,
  },
  'auth-token': {
    type: 'string',
    multiple: true,
    value: 'TOKEN',
    help: 'accept this bearer token (repeatable; compared in constant time)',
  },
  'auth-hs256-secret': { type: 'string', value: 'SECRET', help: 'accept HS256 JWTs signed with SECRET' },
  'auth-jwks': { type: 'string', value: 'FILE', help: 'accept RS256 JWTs signed by a key in this JWKS file' },
  'auth-audience': { type: 'string', value: 'AUD', help: 'require this "aud" claim in JWTs' },
  'max-in-flight': {
    type: 'string',
    value: 'N',
    help: 'load shedding: beyond N POSTs awaiting their answer, one more gets 503 with Retry-After\nat once, before its body is read (default 0: no limit)',
  },
  'max-in-flight-per-upstream': {
    type: 'string',
    value: 'N',
    help: 'the same per HTTP upstream (--upstream), counted by the requests sent to it (default 0)',
  },
  'rate-limit': {
    type: 'string',
    value: 'N',
    help: 'at most N requests/s per client (token bucket; 429 with Retry-After)',
  },
  'rate-limit-burst': { type: 'string', value: 'N', help: 'bucket size (default: N of --rate-limit)' },
  'allow-origin': {
    type: 'string',
    multiple: true,
    value: 'ORIGIN',
    help: 'allow browser requests from ORIGIN (repeatable; loopback origins always are)',
  },
  'allow-host': {
    type: 'string',
    multiple: true,
    value: 'HOST[:PORT]',
    help: 'answer requests whose Host is HOST (repeatable; loopback names always are;\nany other Host gets 403, against DNS rebinding)',
  },
  'upstream-header': {
    type: 'string',
    multiple: true,
    value: '"NAME: VALUE"',
    help: "send this header with every upstream request (repeatable), e.g. the upstream's\nown credentials; the client's Authorization and Cookie are never forwarded",
  },
  'metrics-auth': {
    type: 'boolean',
    help: 'GET /metrics needs a valid token too (with --auth-*; default: open on loopback)',
  },
  'max-queue-bytes': {
    type: 'string',
    value: 'N',
    help: 'server → client messages held per bridged session while no GET stream is\nopen or its reader lags; older ones are dropped and counted',
    default: d.maxQueueBytes,
  },
  'inject-latency-ms': { type: 'string', value: 'MS', help: 'chaos: delay every POST by MS before forwarding' },
  'inject-error-rate': {
    type: 'string',
    value: 'P',
    help: 'chaos: answer this fraction (0..1) of POSTs with an injected 503',
  },
  'log-level': {
    type: 'string',
    value: 'LEVEL',
    help: 'error | warn | info | debug, JSON lines on stderr',
    default: d.logLevel,
  },
  'route-on-headers': {
    type: 'boolean',
    help: 'reverse mode: forward a 2026-07-28 POST on its Mcp-Method / Mcp-Name headers without\nparsing its body (the server checks the match, as the revision requires); off: every body\nis parsed and checked here',
  },
  'debug-memory': {
    type: 'boolean',
    help: 'serve GET /debug/memory: forces a full GC, then answers process.memoryUsage()\nas JSON (the memory scenarios use it; off by default, a GC pauses the proxy)',
  },
  help: HELP_FLAG,
};

/** Parses `mcp-perf proxy` argv. Everything after `--` is the stdio upstream command (with --stdio). */
export function validateProxyConfig(argv: readonly string[]): { config: Readonly<ProxyConfig>; help: boolean } {
  const dash = argv.indexOf('--');
  const flags = dash === -1 ? argv : argv.slice(0, dash);
  const trailing = dash === -1 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseFlags('proxy', flags, PROXY_FLAGS, true);
  if (values.help) return { config: undefined as never, help: true };
  if (positionals.length > 0)
    throw new ConfigError(`unexpected argument "${positionals[0]}"; a stdio upstream command goes after \`--\``);

  const upstreamUrls = ((values.upstream as string[] | undefined) ?? []).map((u) => loopbackUrlFlag('upstream', u));
  const upstreamCmd = values['upstream-cmd'];
  let mode: ProxyMode;
  let upstreamCommand: string[] = [];
  if (values.stdio === true) {
    if (upstreamUrls.length > 0) {
      if (trailing.length > 0) throw new ConfigError('--stdio takes --upstream URL or a command after `--`, not both');
      if (upstreamUrls.length > 1) throw new ConfigError('--stdio --upstream takes one upstream');
      mode = 'stdio-http';
    } else {
      if (trailing.length === 0)
        throw new ConfigError(
          '--stdio needs --upstream URL or the upstream command after `--`, e.g. mcp-perf proxy --stdio -- node server.js',
        );
      mode = 'stdio-forward';
      upstreamCommand = trailing;
    }
  } else if (values['upstream-sse'] !== undefined) {
    if (upstreamUrls.length > 0 || upstreamCmd !== undefined)
      throw new ConfigError('give one of --upstream, --upstream-cmd, --upstream-sse');
    upstreamUrls.push(loopbackUrlFlag('upstream-sse', values['upstream-sse']));
    mode = 'http-legacy';
  } else if (upstreamCmd !== undefined) {
    if (upstreamUrls.length > 0) throw new ConfigError('give --upstream or --upstream-cmd, not both');
    try {
      upstreamCommand = splitCommand(String(upstreamCmd));
    } catch (err) {
      throw new ConfigError(`--upstream-cmd: ${(err as Error).message}`);
    }
    if (upstreamCommand.length === 0) throw new ConfigError('--upstream-cmd is empty');
    mode = 'http-stdio';
  } else {
    if (upstreamUrls.length === 0)
      throw new ConfigError(
        '--upstream is required (an http://127.0.0.1:PORT/... URL), or --upstream-cmd, --upstream-sse, or --stdio -- <command>',
      );
    if (trailing.length > 0) throw new ConfigError('a command after `--` needs --stdio');
    mode = 'http-reverse';
  }

  const path = typeof values.path === 'string' ? values.path : PROXY_DEFAULTS.path;
  if (!path.startsWith('/') || ['/metrics', '/sse', '/messages', '/debug/memory'].includes(path))
    throw new ConfigError(
      `--path must start with / and not be /metrics, /sse, /messages or /debug/memory, got "${path}"`,
    );

  const tokens = (values['auth-token'] as string[] | undefined) ?? [];
  const secret = values['auth-hs256-secret'] as string | undefined;
  const jwksFile = values['auth-jwks'] as string | undefined;
  const audience = values['auth-audience'] as string | undefined;
  if (tokens.some((t) => t.length < 8)) throw new ConfigError('--auth-token must be at least 8 characters');
  if (secret !== undefined && secret.length < 16)
    throw new ConfigError('--auth-hs256-secret must be at least 16 characters');
  const auth =
    tokens.length > 0 || secret !== undefined || jwksFile !== undefined
      ? { tokens, hs256Secret: secret, jwks: jwksFile === undefined ? undefined : readJwks(jwksFile), audience }
      : undefined;

  const ratePerSec = numberFlag('rate-limit', values['rate-limit'], 0, 0);
  const rateLimit =
    ratePerSec > 0
      ? {
          ratePerSec,
          burst: intFlag('rate-limit-burst', values['rate-limit-burst'], Math.max(1, Math.ceil(ratePerSec)), 1),
        }
      : undefined;
  if (ratePerSec === 0 && values['rate-limit-burst'] !== undefined)
    throw new ConfigError('--rate-limit-burst makes no sense without --rate-limit');

  const allowedOrigins = ((values['allow-origin'] as string[] | undefined) ?? []).map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new ConfigError(`--allow-origin must be an origin like https://app.example, got "${o}"`);
    }
  });

  const allowedHosts = ((values['allow-host'] as string[] | undefined) ?? []).map((h) => {
    if (!/^[A-Za-z0-9.\-[\]:]+$/.test(h))
      throw new ConfigError(`--allow-host must be a host name, optionally with :port, got "${h}"`);
    return h.toLowerCase();
  });
  const upstreamHeaders = parseUpstreamHeaders((values['upstream-header'] as string[] | undefined) ?? []);
  const metricsAuth = values['metrics-auth'] === true;
  if (metricsAuth && auth === undefined)
    throw new ConfigError('--metrics-auth makes no sense without --auth-token, --auth-hs256-secret or --auth-jwks');

  const routeOnHeaders = values['route-on-headers'] === true;
  if (routeOnHeaders && mode !== 'http-reverse')
    throw new ConfigError(
      '--route-on-headers is for the reverse proxy (--upstream): the other modes read every message',
    );

  const stdioPool = intFlag('stdio-pool', values['stdio-pool'], PROXY_DEFAULTS.stdioPool, 0, 1_000);
  if (stdioPool > 0 && mode !== 'http-stdio')
    throw new ConfigError('--stdio-pool makes no sense without --upstream-cmd');
  const balance = choiceFlag('balance', values.balance, PROXY_DEFAULTS.balance, [
    'round-robin',
    'least-pending',
  ] as const);

  return {
    help: false,
    config: Object.freeze({
      mode,
      listen: listenFlag('listen', values.listen, PROXY_DEFAULTS.listen),
      path,
      upstreams: upstreamUrls,
      upstreamCommand,
      balance,
      healthIntervalMs: intFlag(
        'health-interval-ms',
        values['health-interval-ms'],
        PROXY_DEFAULTS.healthIntervalMs,
        0,
        3_600_000,
      ),
      upstreamTimeoutMs: intFlag(
        'upstream-timeout-ms',
        values['upstream-timeout-ms'],
        PROXY_DEFAULTS.upstreamTimeoutMs,
        1,
        3_600_000,
      ),
      maxBodyBytes: intFlag('max-body-bytes', values['max-body-bytes'], PROXY_DEFAULTS.maxBodyBytes, 1, 1024 ** 3),
      maxLineBytes: intFlag('max-line-bytes', values['max-line-bytes'], PROXY_DEFAULTS.maxLineBytes, 64, 1024 ** 3),
      maxSessions: intFlag('max-sessions', values['max-sessions'], PROXY_DEFAULTS.maxSessions, 1, 10_000_000),
      maxInFlight: intFlag('max-in-flight', values['max-in-flight'], 0, 0, 10_000_000),
      maxInFlightPerUpstream: intFlag(
        'max-in-flight-per-upstream',
        values['max-in-flight-per-upstream'],
        0,
        0,
        10_000_000,
      ),
      sessionIdleMs: intFlag('session-idle-ms', values['session-idle-ms'], PROXY_DEFAULTS.sessionIdleMs, 0, 86_400_000),
      keepAliveMs: intFlag('keep-alive-ms', values['keep-alive-ms'], PROXY_DEFAULTS.keepAliveMs, 100, 3_600_000),
      stdioPool,
      auth,
      rateLimit,
      allowedOrigins,
      allowedHosts,
      upstreamHeaders,
      metricsAuth,
      maxQueueBytes: intFlag(
        'max-queue-bytes',
        values['max-queue-bytes'],
        PROXY_DEFAULTS.maxQueueBytes,
        1_024,
        1024 ** 3,
      ),
      faults: {
        latencyMs: numberFlag('inject-latency-ms', values['inject-latency-ms'], 0, 0, 600_000),
        errorRate: numberFlag('inject-error-rate', values['inject-error-rate'], 0, 0, 1),
      },
      logLevel: choiceFlag('log-level', values['log-level'], PROXY_DEFAULTS.logLevel, LOG_LEVELS),
      debugMemory: values['debug-memory'] === true,
      routeOnHeaders,
    }),
  };
}

/** Fields the proxy frames or routes itself: an --upstream-header may not set them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'mcp-session-id',
]);

/** `--upstream-header "Name: value"` → { name: value }, names lowercased. */
function parseUpstreamHeaders(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name))
      throw new ConfigError(`--upstream-header must look like "Name: value", got "${line}"`);
    if (/[\0\r\n]/.test(value))
      throw new ConfigError(`--upstream-header ${name}: the value may not hold CR, LF or NUL`);
    if (RESERVED_HEADERS.has(name))
      throw new ConfigError(`--upstream-header cannot set ${name}: the proxy sets it itself`);
    out[name] = value;
  }
  return out;
}

function readJwks(file: string): JSONWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--auth-jwks: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new ConfigError(`--auth-jwks: ${file} is not a JWKS (an object with a "keys" array)`);
  }
  return value as JSONWebKeySet;
}
