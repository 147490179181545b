/** The 2026-07-28 routing headers against the body: what must be there, what must match. Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  declaredRevision,
  routedName,
  routingHeaders,
  routingMismatch,
  statelessMeta,
} from '../../core/protocol/stateless.js';

test('Mcp-Name is params.name for tools/call and prompts/get, params.uri for resources, nothing otherwise', () => {
  assert.equal(routedName('tools/call', { name: 'echo' }), 'echo');
  assert.equal(routedName('prompts/get', { name: 'p' }), 'p');
  assert.equal(routedName('resources/read', { uri: 'file:///a' }), 'file:///a');
  assert.equal(routedName('tools/list', { name: 'x' }), undefined);
  assert.deepEqual(routingHeaders('tools/call', { name: 'echo' }), { 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
  assert.deepEqual(routingHeaders('server/discover', {}), { 'mcp-method': 'server/discover' });
});

test('a mismatch is refused with its reason; absent headers only where they are required', () => {
  const params = { name: 'echo' };
  assert.equal(
    routingMismatch({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, 'tools/call', params, true),
    undefined,
  );
  assert.equal(routingMismatch({}, 'tools/call', params, false), undefined, 'an older revision may leave them out');
  assert.equal(routingMismatch({}, 'tools/call', params, true), 'missing Mcp-Method header');
  assert.equal(
    routingMismatch({ 'mcp-method': 'tools/call' }, 'tools/call', params, true),
    'missing Mcp-Name header (tools/call names "echo")',
  );
  assert.equal(routingMismatch({ 'mcp-method': 'tools/call' }, 'tools/call', params, false), undefined);
  assert.match(
    routingMismatch({ 'mcp-method': 'tools/list' }, 'tools/call', params, false) ?? '',
    /does not match the body's method/,
  );
  assert.match(
    routingMismatch({ 'mcp-method': 'tools/call', 'mcp-name': 'x' }, 'tools/call', params, false) ?? '',
    /Mcp-Name "x" does not match the body's "echo"/,
  );
  assert.match(
    routingMismatch({ 'mcp-method': 'tools/list', 'mcp-name': 'x' }, 'tools/list', {}, false) ?? '',
    /names nothing in tools\/list/,
  );
  assert.match(routingMismatch({ 'mcp-method': ['a', 'b'] }, 'a', {}, false) ?? '', /once each/);
});

test('the revision a request declares is read from its _meta', () => {
  assert.equal(declaredRevision({ _meta: statelessMeta('t') }), '2026-07-28');
  assert.equal(declaredRevision({ name: 'echo' }), undefined);
  assert.equal(declaredRevision(undefined), undefined);
});
