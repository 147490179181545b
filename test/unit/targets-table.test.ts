/** The targets table: templates fill as documented, and a row that cannot work is refused with its name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTarget, expandArgv, expandWord, placesPort, TARGETS, type TargetSpec } from '../../scenarios/targets.js';

test('placeholders fill inside words; a list placeholder becomes several words only as a whole word', () => {
  const values = {
    upstream_url: 'http://127.0.0.1:9/mcp',
    upstream_cmd: "'node' 'mock.js'",
    upstream_argv: ['node', 'mock.js', '--latency-ms', '5'],
    port: '4242',
    host: '127.0.0.1',
  };
  assert.deepEqual(expandArgv(['peer', '--listen', '{host}:{port}', '--to', '{upstream_url}'], values), [
    'peer',
    '--listen',
    '127.0.0.1:4242',
    '--to',
    'http://127.0.0.1:9/mcp',
  ]);
  assert.deepEqual(expandArgv(['peer', '--', '{upstream_argv}'], values), [
    'peer',
    '--',
    'node',
    'mock.js',
    '--latency-ms',
    '5',
  ]);
  assert.deepEqual(expandArgv(['peer', '--stdio', '{upstream_cmd}'], values), ['peer', '--stdio', "'node' 'mock.js'"]);
  assert.throws(() => expandArgv(['peer', '--x={upstream_argv}'], values), /\{upstream_argv\} is a list/);
  assert.throws(() => expandWord('http://{host}:{nope}/mcp', values), /no value for placeholder \{nope\}/);
});

test('every row of the table is well formed', () => {
  for (const [name, spec] of Object.entries(TARGETS)) assert.doesNotThrow(() => checkTarget(name, spec), name);
  assert.deepEqual(Object.keys(TARGETS), [
    'direct',
    'proxied',
    'relay',
    'bridged',
    'supergateway',
    'supergateway-stateless',
    'mcp-proxy',
    'nginx',
  ]);
  // nginx is told its port in the config file it is given, not in its argv.
  assert.ok(placesPort(TARGETS.nginx) && !TARGETS.nginx.argv.some((w) => w.includes('{port}')));
  assert.match(
    expandWord(TARGETS.nginx.files['nginx.conf'], {
      dir: '/tmp/x',
      host: '127.0.0.1',
      port: '8080',
      upstream_hostport: '127.0.0.1:9000',
    }),
    /upstream mcp \{ server 127\.0\.0\.1:9000; keepalive 64; \}[^]*listen 127\.0\.0\.1:8080 /,
  );
});

test('a row that cannot work is refused, naming the target and why', () => {
  const base: TargetSpec = {
    description: 'x',
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  };
  const refused = (name: string, spec: TargetSpec, why: RegExp): void =>
    assert.throws(
      () => checkTarget(name, spec),
      (err: Error) => err.message.startsWith(`target "${name}"`) && why.test(err.message),
    );
  refused('Bad Name', base, /kebab-case/);
  refused('empty', { ...base, process: 'p', argv: [] }, /argv is empty/);
  refused('nameless', { ...base, argv: ['peer'] }, /needs a process name/);
  refused('no-url', { ...base, process: 'p', argv: ['peer', '{port}'], ready: 'port' }, /needs a url template/);
  refused(
    'no-port',
    { ...base, process: 'p', argv: ['peer'], ready: { http: '/health' }, url: 'http://{host}:8080/mcp' },
    /must place \{port\}/,
  );
  refused('running-self', { ...base, url: 'http://127.0.0.1:8080/mcp', ready: 'port' }, /charge must be "none"/);
  refused('running-line', { ...base, url: 'http://127.0.0.1:8080/mcp', charge: 'none' }, /prints no ready line/);
  refused('files-alone', { ...base, ready: 'ready-line', files: { 'a.conf': 'x' } }, /files are written for a command/);
});
