// Waggle's own health: /metrics in Prometheus' text format counts what each protocol sent
// and refused, ingest, fsync and query latency, dropped datagrams and the store's state;
// /healthz and /readyz answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWaggle } from './waggle_process.mjs';
import { sendDatagrams, segmentId, xrayTraceId } from './xray_helpers.mjs';

function parseMetrics(text) {
  const values = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not Prometheus text format: ${line}`);
    values.set(m[1], Number(m[2]));
  }
  return values;
}

// As an exporter sends: again after a 503 (a freshly started server on a busy machine may
// shed ingest while its threads lag; the shed request is not counted as received).
async function send(url, init) {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(url, init);
    if (r.status !== 503 || attempt === 50) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const hex = (n) => [...Array(n)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');

test('/metrics counts per protocol, latencies and store state; /healthz and /readyz answer', async () => {
  const waggle = await startWaggle({ args: ['--flush-interval', '200ms'] });
  try {
    assert.equal((await fetch(waggle.url('/healthz'))).status, 200);
    const ready = await fetch(waggle.url('/readyz'));
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), 'ready\n');

    // OTLP/HTTP: two good spans and one without a span id (rejected through partial_success).
    const now = BigInt(Date.now()) * 1000000n;
    const span = (spanId) => ({ traceId: hex(32), spanId, name: 'op', kind: 2,
      startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000000n) });
    let r = await send(waggle.url('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'm' } }] },
        scopeSpans: [{ spans: [span(hex(16)), span(hex(16)), span('')] }] }] }) });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).partialSuccess.rejectedSpans, '1');
    // Honeycomb batch: one good event, one bad.
    r = await send(waggle.url('/1/batch/metrics'), { method: 'POST', body: JSON.stringify([{ data: { a: 1 } }, { data: 'nope' }]) });
    assert.equal(r.status, 200);
    // X-Ray: a good datagram and a malformed one.
    await sendDatagrams(waggle.xray, [{ trace_id: xrayTraceId(), id: segmentId(), name: 'x', start_time: Date.now() / 1000 - 1, end_time: Date.now() / 1000 }, 'not a datagram']);
    // A query and a BubbleUp.
    const end = Math.floor(Date.now() / 1000) + 5;
    const q = await (await fetch(waggle.url('/1/queries/__all__'), { method: 'POST', body: JSON.stringify({ calculations: [{ op: 'COUNT' }], start_time: end - 600, end_time: end }) })).json();
    let run = await (await fetch(waggle.url('/1/query_results/__all__'), { method: 'POST', body: JSON.stringify({ query_id: q.id }) })).json();
    while (!run.complete) run = await (await fetch(waggle.url(`/1/query_results/__all__/${run.id}`))).json();
    r = await fetch(waggle.url('/api/bubbleup/__all__'), { method: 'POST', body: JSON.stringify({
      query: { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], start_time: end - 600, end_time: end },
      selection: { column: 'duration_ms', start_time: end - 600, end_time: end, min: 0, max: 1e9 } }) });
    assert.equal(r.status, 200, await r.text());
    await new Promise((resolve) => setTimeout(resolve, 700));  // the datagrams' append; a flush

    r = await fetch(waggle.url('/metrics'));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(await r.text());
    assert.equal(m.get('waggle_spans_received_total{protocol="otlp_http"}'), 3);
    assert.equal(m.get('waggle_spans_rejected_total{protocol="otlp_http"}'), 1);
    assert.equal(m.get('waggle_spans_received_total{protocol="honeycomb"}'), 2);
    assert.equal(m.get('waggle_spans_rejected_total{protocol="honeycomb"}'), 1);
    assert.equal(m.get('waggle_spans_received_total{protocol="xray_udp"}'), 2);
    assert.equal(m.get('waggle_spans_rejected_total{protocol="xray_udp"}'), 1);
    assert.equal(m.get('waggle_xray_documents_dropped_total'), 0);
    assert.equal(m.get('waggle_ingest_latency_seconds_count{protocol="otlp_http"}'), 1);
    assert.ok(m.get('waggle_ingest_latency_seconds_bucket{protocol="otlp_http",le="+Inf"}') === 1);
    const onClickHouse = Boolean(process.env.WAGGLE_TEST_STORE);
    if (onClickHouse) assert.ok(m.get('waggle_clickhouse_insert_seconds_count') >= 3);
    else assert.ok(m.get('waggle_wal_fsync_seconds_count') >= 3);
    assert.equal(m.get('waggle_query_seconds_count{kind="honeycomb"}'), 1);
    assert.equal(m.get('waggle_query_seconds_count{kind="bubbleup"}'), 1);
    if (!onClickHouse) {  // the embedded store's own state
      assert.ok(m.get('waggle_store_parts') >= 1, 'flushed into a part');
      assert.ok(m.get('waggle_store_part_bytes') > 0);
    }
    assert.ok(m.has('waggle_http_requests_in_flight'));
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});
