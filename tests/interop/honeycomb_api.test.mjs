// Honeycomb's API on a real waggle process: events sent by the real npm `libhoney` client
// come back through queries (/1/queries + /1/query_results), with sample rates weighting
// COUNT/AVG/percentiles; the Events API's headers, gzip, per-event statuses; markers,
// columns, datasets, auth, key scopes; and `waggle query` on the command line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import Libhoney from 'libhoney';
import { startWaggle, WAGGLE_BIN } from './waggle_process.mjs';

const run = promisify(execFile);
const INGEST = 'hc-ingest-key';
const QUERY = 'hc-query-key';
let waggle;

before(async () => {
  waggle = await startWaggle({ args: ['--api-key', `${INGEST}:ingest`, '--api-key', `${QUERY}:query`] });
});
after(async () => { await waggle.stop(); waggle.cleanup(); });

const now = () => Math.floor(Date.now() / 1000);

async function api(path, { method = 'GET', key = QUERY, body, headers = {} } = {}) {
  const response = await fetch(waggle.url(path), {
    method, body: body === undefined ? undefined : (typeof body === 'string' || body instanceof Buffer ? body : JSON.stringify(body)),
    headers: { 'x-honeycomb-team': key, 'content-type': 'application/json', ...headers },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

// The Honeycomb flow: create the query, start a result, poll until complete.
async function query(dataset, spec) {
  const created = await api(`/1/queries/${dataset}`, { method: 'POST', body: spec });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.match(created.body.id, /^[0-9a-f]{16}$/);
  const started = await api(`/1/query_results/${dataset}`, { method: 'POST', body: { query_id: created.body.id } });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  assert.equal(started.body.query_id, created.body.id);
  for (let i = 0; i < 500; i++) {
    const result = await api(`/1/query_results/${dataset}/${started.body.id}`);
    assert.equal(result.status, 200, JSON.stringify(result.body));
    if (result.body.complete) return result.body;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('query did not complete');
}

// 60 events from libhoney: endpoint /a or /b, duration 1..60 ms, 12 users; every fifth one
// pre-sampled at 1 in 4, so it counts four times.
function expected() {
  const rows = [];
  for (let i = 1; i <= 60; i++) {
    rows.push({ endpoint: i % 2 ? '/a' : '/b', duration_ms: i, user: `u${i % 12}`, rate: i % 5 === 0 ? 4 : 1 });
  }
  return rows;
}

test('events sent with libhoney are answered by queries, weighted by sample rate', async () => {
  const responses = [];
  const hny = new Libhoney({
    apiHost: waggle.url('/'), writeKey: INGEST, dataset: 'libhoney-test',
    responseCallback: (r) => responses.push(...r),
  });
  const rows = expected();
  for (const row of rows) {
    const ev = hny.newEvent();
    ev.add({ endpoint: row.endpoint, duration_ms: row.duration_ms, 'user.id': row.user });
    ev.timestamp = new Date();
    if (row.rate > 1) { ev.sampleRate = row.rate; ev.sendPresampled(); } else ev.send();
  }
  await hny.flush();
  assert.equal(responses.length, rows.length);
  for (const r of responses) assert.equal(r.status_code, 202, JSON.stringify(r));

  const result = await query('libhoney-test', {
    calculations: [{ op: 'COUNT' }, { op: 'AVG', column: 'duration_ms' }, { op: 'P50', column: 'duration_ms' },
      { op: 'MAX', column: 'duration_ms' }, { op: 'COUNT_DISTINCT', column: 'user.id' }],
    breakdowns: ['endpoint'], orders: [{ column: 'endpoint', order: 'ascending' }], time_range: 600,
  });
  for (const endpoint of ['/a', '/b']) {
    const mine = rows.filter((r) => r.endpoint === endpoint);
    const weight = mine.reduce((s, r) => s + r.rate, 0);
    const avg = mine.reduce((s, r) => s + r.rate * r.duration_ms, 0) / weight;
    // Nearest-rank weighted median.
    const sorted = [...mine].sort((x, y) => x.duration_ms - y.duration_ms);
    let acc = 0; let p50;
    for (const r of sorted) { acc += r.rate; if (acc >= weight / 2) { p50 = r.duration_ms; break; } }
    const row = result.data.results.find((r) => r.data.endpoint === endpoint).data;
    assert.equal(row.COUNT, weight);
    assert.ok(Math.abs(row['AVG(duration_ms)'] - avg) < 1e-9, `${row['AVG(duration_ms)']} vs ${avg}`);
    assert.equal(row['P50(duration_ms)'], p50);
    assert.equal(row['MAX(duration_ms)'], Math.max(...mine.map((r) => r.duration_ms)));
    assert.equal(row['COUNT_DISTINCT(user.id)'], new Set(mine.map((r) => r.user)).size);
  }
  // The series holds the same counts, per time bucket.
  const seriesTotal = result.data.series.reduce((s, p) => s + p.data.COUNT, 0);
  assert.equal(seriesTotal, rows.reduce((s, r) => s + r.rate, 0));
  assert.match(result.data.series[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  // __all__ reaches every dataset of the environment, HEATMAP counts sum to COUNT.
  const all = await query('__all__', { calculations: [{ op: 'COUNT' }, { op: 'HEATMAP', column: 'duration_ms' }],
    filters: [{ column: 'user.id', op: 'exists' }], time_range: 600 });
  const heat = all.data.results[0].data['HEATMAP(duration_ms)'];
  assert.equal(heat.counts.reduce((a, b) => a + b, 0), all.data.results[0].data.COUNT);
  assert.equal(heat.min, 1);
  assert.equal(heat.max, 60);
});

test('Events API: single events with Honeycomb headers, gzip batches, per-event statuses', async () => {
  const t = now() - 30;
  const single = await api('/1/events/plain', { method: 'POST', key: INGEST, body: { kind: 'single', n: 5 },
    headers: { 'x-honeycomb-event-time': String(t), 'x-honeycomb-samplerate': '3' } });
  assert.equal(single.status, 200);
  const batch = gzipSync(JSON.stringify([
    { data: { kind: 'batch', n: 1 }, time: new Date(t * 1000).toISOString() },
    { data: 'not an object' },
    { data: { kind: 'batch', n: 2 }, time: 'yesterday-ish' },
    { data: { kind: 'batch', n: 3 }, samplerate: 2 },
  ]));
  const answer = await api('/1/batch/plain', { method: 'POST', key: INGEST, body: batch, headers: { 'content-encoding': 'gzip' } });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body.map((s) => s.status), [202, 400, 400, 202]);
  assert.match(answer.body[1].error, /"data"/);
  assert.match(answer.body[2].error, /RFC 3339/);

  const result = await query('plain', { calculations: [{ op: 'COUNT' }, { op: 'SUM', column: 'n' }], breakdowns: ['kind'],
    orders: [{ column: 'kind', order: 'ascending' }], time_range: 600 });
  assert.deepEqual(result.data.results.map((r) => r.data), [
    { kind: 'batch', COUNT: 3, 'SUM(n)': 7 },
    { kind: 'single', COUNT: 3, 'SUM(n)': 15 },
  ]);
  // The event time header was honoured: the single event sits in the bucket of t.
  const series = await query('plain', { calculations: [{ op: 'COUNT' }], filters: [{ column: 'kind', op: '=', value: 'single' }],
    start_time: t - 60, end_time: t + 60, granularity: 10 });
  assert.equal(series.data.series.length, 1);
  assert.equal(Date.parse(series.data.series[0].time) / 1000, t - (t % 10));

  assert.equal((await api('/1/batch/plain', { method: 'POST', key: INGEST, body: '{"not":"an array"}' })).status, 400);
  assert.equal((await api('/1/batch/__all__', { method: 'POST', key: INGEST, body: '[]' })).status, 400);
  assert.equal((await api('/1/batch/plain', { method: 'POST', key: QUERY, body: '[]' })).status, 403);
  assert.equal((await api('/1/batch/plain', { method: 'POST', key: 'wrong', body: '[]' })).status, 401);
});

test('bad query specs get 400 naming the field; queries need the query scope', async () => {
  const bad = await api('/1/queries/plain', { method: 'POST', body: { calculations: [{ op: 'P98', column: 'n' }] } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^calculations\[0\]\.op: unknown op 'P98'/);
  const granularity = await api('/1/queries/plain', { method: 'POST', body: { time_range: 600, granularity: 3600 } });
  assert.equal(granularity.status, 400);
  assert.match(granularity.body.error, /^granularity: must be between 1 and 60 seconds/);
  assert.equal((await api('/1/queries/plain', { method: 'POST', key: INGEST, body: {} })).status, 403);
  const missing = await api('/1/query_results/plain', { method: 'POST', body: { query_id: 'nope' } });
  assert.equal(missing.status, 404);
  assert.match(missing.body.error, /query nope not found/);
  assert.equal((await api('/1/query_results/plain/r999999', { method: 'DELETE' })).status, 404);
});

test('columns, datasets, auth and markers', async () => {
  const columns = await api('/1/columns/libhoney-test');
  assert.equal(columns.status, 200);
  const byName = Object.fromEntries(columns.body.map((c) => [c.key_name, c]));
  assert.equal(byName.duration_ms.type, 'integer');
  assert.equal(byName['user.id'].type, 'string');
  assert.match(byName.endpoint.last_written, /^\d{4}-/);
  assert.equal((await api('/1/columns/nosuchdataset')).status, 404);

  const datasets = await api('/1/datasets');
  const slugs = datasets.body.map((d) => d.slug);
  assert.ok(slugs.includes('libhoney-test') && slugs.includes('plain'), JSON.stringify(slugs));

  const auth = await api('/1/auth', { key: INGEST });
  assert.equal(auth.status, 200);
  assert.equal(auth.body.api_key_access.events, true);
  assert.equal(auth.body.api_key_access.queries, false);
  assert.equal((await api('/1/auth', { key: 'nope' })).status, 401);

  const marker = await api('/1/markers/plain', { method: 'POST', key: INGEST,
    body: { message: 'deploy 42', type: 'deploy', start_time: now() - 5, url: 'https://example.com/42' } });
  assert.equal(marker.status, 201);
  assert.match(marker.body.id, /.+/);
  const list = await api('/1/markers/plain');
  assert.deepEqual(list.body.map((m) => m.message), ['deploy 42']);
  const updated = await api(`/1/markers/plain/${marker.body.id}`, { method: 'PUT', key: INGEST, body: { message: 'deploy 43' } });
  assert.equal(updated.body.message, 'deploy 43');
  assert.equal((await api(`/1/markers/plain/${marker.body.id}`, { method: 'DELETE', key: INGEST })).status, 204);
  assert.deepEqual((await api('/1/markers/plain')).body, []);
});

test('waggle query prints a table, heat strips, JSON, and points at errors', async () => {
  const env = { ...process.env, WAGGLE_SERVER: `http://${waggle.http}`, WAGGLE_API_KEY: QUERY };
  const table = await run(WAGGLE_BIN, ['query', '-d', 'libhoney-test',
    'HEATMAP(duration_ms) COUNT P99(duration_ms) GROUP BY endpoint ORDER BY endpoint LAST 10m'], { env });
  const lines = table.stdout.split('\n');
  assert.match(lines[0], /^endpoint\s+HEATMAP\(duration_ms\)\s+COUNT\s+P99\(duration_ms\)$/);
  assert.match(lines[2], /^\/a\s+1 \|.*\| 60\s+48\s+59$/);
  assert.match(lines[3], /^\/b\s+1 \|.*\| 60\s+48\s+60$/);
  const json = JSON.parse((await run(WAGGLE_BIN, ['query', '-d', 'libhoney-test', '--json', 'COUNT LAST 10m'], { env })).stdout);
  assert.equal(json.data.results[0].data.COUNT, 96);
  const error = await run(WAGGLE_BIN, ['query', 'COUNT WHERE endpoint ~ x'], { env }).catch((e) => e);
  assert.equal(error.code, 2);
  assert.match(error.stderr, /at character 22: expected a filter op/);
});
