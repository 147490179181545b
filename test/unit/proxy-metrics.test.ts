import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyMetrics } from '../../proxy/metrics.js';

test('the per-request counter counts each method and status pair, however the pairs alternate', () => {
  const metrics = new ProxyMetrics();
  const calls: Array<[string, number]> = [
    ['POST', 200],
    ['POST', 200],
    ['GET', 200],
    ['POST', 200],
    ['POST', 404],
    ['GET', 200],
    ['POST', 200],
  ];
  for (const [method, status] of calls) metrics.requests.inc2('method', method, 'status', String(status));
  metrics.requests.inc({ method: 'DELETE', status: '204' });
  assert.equal(metrics.requests.get({ method: 'POST', status: '200' }), 4);
  assert.equal(metrics.requests.get({ method: 'GET', status: '200' }), 2);
  assert.equal(metrics.requests.get({ method: 'POST', status: '404' }), 1);
  assert.equal(metrics.requests.get({ method: 'DELETE', status: '204' }), 1);
  // inc() and inc2() add to the same series.
  metrics.requests.inc({ method: 'POST', status: '200' }, 2);
  metrics.requests.inc2('method', 'POST', 'status', '200');
  assert.equal(metrics.requests.get({ method: 'POST', status: '200' }), 7);
  const text = metrics.render();
  assert.match(text, /^mcp_proxy_requests_total\{method="POST",status="200"\} 7$/m);
  assert.match(text, /^mcp_proxy_requests_total\{method="GET",status="200"\} 2$/m);
});
