/**
 * Targets as data: what can sit in a comparison's seat, each a row of one table. A row says how the target starts
 * (an argv template, the URL of something already running, or nothing: the upstream itself), what it fronts, which
 * transport it serves, how readiness is known and which process's CPU the seat is charged. The runner knows no
 * target by name; a new target is a new row.
 *
 * Placeholders in `argv` and `url`, filled by the runner:
 *   {upstream_url}   the Streamable HTTP mock's URL
 *   {upstream_cmd}   the stdio mock's command line as one string, quoted (core/runtime/argv.ts)
 *   {upstream_argv}  the same command as separate words (only as a whole word: `-- {upstream_argv}`)
 *   {host} {port}    where a target that cannot print a ready line must listen: loopback and a free port
 *   {max_sessions}   twice the scenario's sessions: room for every session a target's load opens
 * `argv[0]` `mcp-perf` is this package's CLI (run with the same node); a bare name is looked up in this package's
 * node_modules/.bin first (the peers it installs), then on PATH; anything else is a path.
 */

/**
 * How the runner knows a started target is ready:
 *   ready-line  it prints mcp-perf's JSON ready line on stdout (core/runtime/service.ts), which also gives its URL
 *   port        {port} accepts a TCP connection
 *   http        an HTTP GET of `path` on it answers at all (any status)
 */
export type Readiness = 'ready-line' | 'port' | { readonly http: string };

export interface TargetSpec {
  /** One line for help and reports. */
  readonly description: string;
  /** The process as it appears in progress lines ("proxy", "relay"); absent when nothing is started. */
  readonly process?: string;
  /** The command that starts it, with placeholders; absent for the upstream itself and for a running target. */
  readonly argv?: readonly string[];
  /**
   * Where its clients connect, with placeholders: required for a target without a ready line
   * (`http://{host}:{port}/mcp`) and for one already running (then only loopback is allowed).
   */
  readonly url?: string;
  /** Which mock it fronts: the Streamable HTTP mock or the stdio mock (same behaviour, other transport). */
  readonly upstream: 'http' | 'stdio';
  /** What its clients speak to it. */
  readonly transport: 'streamable-http';
  readonly ready: Readiness;
  /** How long it may take to become ready, ms (an `npx` that installs first needs longer). @default 15000 */
  readonly readyTimeoutMs?: number;
  /**
   * Whose CPU a request costs: the process started for the seat (with its children), the upstream mock (direct),
   * or nobody we can see (a target already running: its figures then carry no CPU, and say so).
   */
  readonly charge: 'self' | 'upstream' | 'none';
}

export const TARGETS = Object.freeze({
  direct: {
    description: 'the HTTP mock itself: the reference every other seat is measured against',
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'upstream',
  },
  proxied: {
    description: 'our reverse proxy in front of the HTTP mock',
    process: 'proxy',
    argv: ['mcp-perf', 'proxy', '--upstream', '{upstream_url}'],
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
  relay: {
    description: 'a raw TCP relay in front of the HTTP mock: the floor any proxy can reach',
    process: 'relay',
    argv: ['mcp-perf', 'relay', '--upstream', '{upstream_url}'],
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
  bridged: {
    description: 'our HTTP → stdio bridge in front of the stdio mock, one child per session',
    process: 'bridge',
    argv: ['mcp-perf', 'proxy', '--upstream-cmd', '{upstream_cmd}', '--max-sessions', '{max_sessions}'],
    upstream: 'stdio',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
  // Peers people use, from npm (devDependencies, pinned: the versions measured). Each bridges the stdio mock.
  supergateway: {
    description: 'supergateway 4.0.0 (npm): stdio → Streamable HTTP, stateful (a child per session)',
    process: 'supergateway',
    argv: [
      'supergateway',
      '--stdio',
      '{upstream_cmd}',
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      '{port}',
      '--logLevel',
      'none',
    ],
    url: 'http://{host}:{port}/mcp',
    upstream: 'stdio',
    transport: 'streamable-http',
    ready: 'port',
    charge: 'self',
  },
  'mcp-proxy': {
    description: 'mcp-proxy 6.7.19 (npm, TypeScript): stdio → Streamable HTTP',
    process: 'mcp-proxy',
    argv: ['mcp-proxy', '--port', '{port}', '--', '{upstream_argv}'],
    url: 'http://{host}:{port}/mcp',
    upstream: 'stdio',
    transport: 'streamable-http',
    ready: 'port',
    charge: 'self',
  },
} satisfies Record<string, TargetSpec>);

export type TargetName = keyof typeof TARGETS;

/** Words of a filled template; a whole-word placeholder whose value is a list becomes that many words. */
export type PlaceholderValues = Readonly<Record<string, string | readonly string[]>>;

/** A target's argv with its placeholders filled; an unknown placeholder is an error, not a literal. */
export function expandArgv(argv: readonly string[], values: PlaceholderValues): string[] {
  return argv.flatMap((word) => {
    const whole = /^\{([a-z_]+)\}$/.exec(word);
    const value = whole === null ? undefined : values[whole[1]!];
    if (Array.isArray(value)) return [...(value as readonly string[])];
    return [expandWord(word, values)];
  });
}

/** One template string with its placeholders filled (a list value is refused inside a word). */
export function expandWord(word: string, values: PlaceholderValues): string {
  return word.replace(/\{([a-z_]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`target template: no value for placeholder {${key}}`);
    if (typeof value !== 'string') throw new Error(`target template: {${key}} is a list; use it as a whole word`);
    return value;
  });
}

/** Checks a row once, when it is read: what is wrong is named with the row. */
export function checkTarget(name: string, spec: TargetSpec): void {
  const fail = (why: string): never => {
    throw new Error(`target "${name}": ${why}`);
  };
  if (!/^[a-z][a-z0-9-]*$/.test(name)) fail('its name must be kebab-case');
  if (spec.argv !== undefined && spec.argv.length === 0) fail('argv is empty');
  if (spec.argv !== undefined && spec.process === undefined) fail('a target with argv needs a process name');
  if (spec.ready !== 'ready-line' && spec.url === undefined)
    fail('a target without a ready line needs a url template (e.g. http://{host}:{port}/mcp)');
  if (spec.argv === undefined && spec.url !== undefined && spec.ready === 'ready-line')
    fail('a target already running prints no ready line: ready must be "port" or { http: path }');
  if (spec.argv === undefined && spec.url !== undefined && spec.charge === 'self')
    fail('a target already running has no process of ours to charge: charge must be "none"');
  const port = spec.ready === 'port' || typeof spec.ready === 'object';
  if (port && spec.argv !== undefined && !spec.argv.some((w) => w.includes('{port}')))
    fail('its argv must place {port}: readiness is known by that port');
}

for (const [name, spec] of Object.entries(TARGETS)) checkTarget(name, spec);

/**
 * A target from a one-line template, as `mcp-perf run --target NAME=TEMPLATE` takes it: either the URL of a target
 * already running (loopback), or a command line with placeholders. A command must place {port} (it is told where to
 * listen; readiness is that port opening; its clients connect to http://{host}:{port}/mcp) and {upstream_url}
 * (it fronts the HTTP mock) or {upstream_cmd} / {upstream_argv} (it fronts the stdio mock). `argv[0]` `mcp-perf`
 * is this package's CLI.
 */
export function targetFromTemplate(name: string, template: string, split: (line: string) => string[]): TargetSpec {
  const line = template.trim();
  if (line === '') throw new Error(`target "${name}": the template is empty`);
  let spec: TargetSpec;
  if (/^https?:\/\//.test(line)) {
    const host = new URL(line).hostname.replace(/^\[|\]$/g, '');
    if (!(host === 'localhost' || host === '::1' || /^127\./.test(host)))
      throw new Error(`target "${name}": ${line} is not loopback: load stays on this machine`);
    spec = {
      description: `${name}: already running at ${line}`,
      url: line,
      upstream: 'http',
      transport: 'streamable-http',
      ready: 'port',
      charge: 'none',
    };
  } else {
    const argv = split(line);
    const has = (p: string): boolean => argv.some((w) => w.includes(`{${p}}`));
    if (!has('port'))
      throw new Error(
        `target "${name}": the command must place {port} (where it listens), e.g. ${name}='node my-proxy.js --port {port} --upstream {upstream_url}'`,
      );
    const http = has('upstream_url');
    const stdio = has('upstream_cmd') || has('upstream_argv');
    if (http === stdio)
      throw new Error(
        `target "${name}": the command must place exactly one upstream: {upstream_url} (the HTTP mock) or {upstream_cmd} / {upstream_argv} (the stdio mock)`,
      );
    spec = {
      description: `${name}: ${line}`,
      process: name,
      argv,
      url: 'http://{host}:{port}/mcp',
      upstream: http ? 'http' : 'stdio',
      transport: 'streamable-http',
      ready: 'port',
      charge: 'self',
    };
  }
  checkTarget(name, spec);
  return spec;
}
