// Waggle on ClickHouse (`--store clickhouse://...`, Debian's clickhouse-server 18.16 started by
// the ctest fixture): two stateless nodes on one database see each other's spans through
// trace lookup, queries, BubbleUp and the X-Ray API, whichever protocol sent them (the real
// OTel exporters, the Events API, @aws-sdk/client-xray, daemon datagrams). Then, on a
// ClickHouse of its own, an outage: acknowledged spans survive it, clients get 503 +
// Retry-After while it lasts, and ingest resumes by itself when ClickHouse is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BatchGetTracesCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand } from '@aws-sdk/client-xray';
import { startWaggle } from './waggle_process.mjs';
import { eventually, segmentId, sendDatagrams, xrayClient, xrayTraceId } from './xray_helpers.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = process.env.WAGGLE_CLICKHOUSE_URL;
const DATABASE = `waggle_it_${randomBytes(4).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);
let a, b;

function storeUrl(base, database) {
  return `${base.replace(/\/[A-Za-z0-9_]*$/, '')}/${database}`;
}

before(async () => {
  assert.ok(FIXTURE, 'WAGGLE_CLICKHOUSE_URL names the fixture\'s ClickHouse (ctest sets it)');
  const args = ['--store', storeUrl(FIXTURE, DATABASE)];
  a = await startWaggle({ args });
  b = await startWaggle({ args });
});

after(async () => {
  for (const node of [a, b]) {
    await node?.stop();
    node?.cleanup();
  }
});

async function sendOtlp(node, kind, service) {
  const endpoint = kind === 'grpc' ? `http://${node.grpc}` : `http://${node.http}`;
  const { stdout } = await run(process.execPath, [path.join(import.meta.dirname, 'send_trace.mjs'), kind], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: service },
    timeout: 60000,
  });
  const { spans, exportError } = JSON.parse(stdout);
  assert.equal(exportError, null, `${kind} export`);
  return { traceId: spans[0].traceId, names: spans.map((s) => s.name).sort() };
}

const spansOf = (body) => body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

async function query(node, dataset, spec) {
  const post = (p, body) => fetch(node.url(p), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const created = await (await post(`/1/queries/${dataset}`, { time_range: 3600, ...spec })).json();
  const started = await (await post(`/1/query_results/${dataset}`, { query_id: created.id })).json();
  for (let i = 0; i < 500; i++) {
    const result = await (await fetch(node.url(`/1/query_results/${dataset}/${started.id}`))).json();
    if (result.complete) return result.data;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('query did not complete');
}

test('two nodes on one ClickHouse: OTLP spans sent to either are found and counted by both', async () => {
  const sent = [await sendOtlp(a, 'proto', 'ch-frontend'), await sendOtlp(b, 'grpc', 'ch-backend'), await sendOtlp(a, 'json', 'ch-backend')];
  for (const node of [a, b]) {
    for (const trace of sent) {
      const r = await fetch(node.url(`/api/traces/${trace.traceId}`));
      assert.equal(r.status, 200);
      assert.deepEqual(spansOf(await r.json()).map((s) => s.name).sort(), trace.names);
    }
    const data = await query(node, '__all__', { calculations: [{ op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }], breakdowns: ['service.name'] });
    const counts = Object.fromEntries(data.results.map((r) => [r.data['service.name'], r.data.COUNT]));
    assert.deepEqual(counts, { 'ch-frontend': 3, 'ch-backend': 6 });  // 2 spans and a span event each
    const datasets = (await (await fetch(node.url('/1/datasets'))).json()).map((d) => d.slug).sort();
    assert.deepEqual(datasets, ['ch-backend', 'ch-frontend']);
    const columns = (await (await fetch(node.url('/1/columns/ch-backend'))).json()).map((c) => c.key_name);
    assert.ok(columns.includes('db.system') && columns.includes('duration_ms'), columns.join());
  }
  assert.equal((await fetch(a.url(`/api/traces/${randomBytes(16).toString('hex')}`))).status, 404);
});

test('the Events API, BubbleUp and the X-Ray API on ClickHouse, across nodes', async () => {
  const events = Array.from({ length: 20 }, (_, i) => ({ data: { endpoint: i < 5 ? '/slow' : '/fast', duration_ms: i < 5 ? 900 + i : 10 + i } }));
  const sentEvents = await fetch(b.url('/1/batch/ch-events'), { method: 'POST', body: JSON.stringify(events) });
  assert.equal(sentEvents.status, 200);
  const count = await query(a, 'ch-events', { calculations: [{ op: 'COUNT' }], filters: [{ column: 'duration_ms', op: '>=', value: 900 }] });
  assert.equal(count.results[0].data.COUNT, 5);
  const bubble = await (await fetch(a.url('/api/bubbleup/ch-events'), { method: 'POST', body: JSON.stringify({
    query: { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], start_time: now() - 600, end_time: now() + 60 },
    selection: { column: 'duration_ms', start_time: now() - 600, end_time: now() + 60, min: 800, max: 2000 } }) })).json();
  assert.equal(bubble.selection_count, 5);
  assert.equal(bubble.baseline_count, 15);
  const endpoint = bubble.dimensions.find((d) => d.column === 'endpoint');
  assert.equal(endpoint.bars.find((bar) => bar.label === '/slow').selection, 1);

  // X-Ray: a segment through the API on one node, a datagram to the other's daemon port.
  const viaApi = xrayTraceId(now());
  const put = await xrayClient(a).send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify({
    trace_id: viaApi, id: segmentId(), name: 'ch-xray', start_time: now() - 1, end_time: now(), http: { response: { status: 500 } }, fault: true })] }));
  assert.deepEqual(put.UnprocessedTraceSegments, []);
  const viaUdp = xrayTraceId(now());
  await sendDatagrams(b.xray, [{ trace_id: viaUdp, id: segmentId(), name: 'ch-udp', start_time: now() - 1, end_time: now() }]);
  await eventually(async () => (await fetch(a.url(`/api/traces/${viaUdp}`))).status === 200);
  const client = xrayClient(b);
  const { TraceSummaries } = await client.send(new GetTraceSummariesCommand({ StartTime: new Date((now() - 60) * 1000),
    EndTime: new Date((now() + 5) * 1000), FilterExpression: 'service("ch-xray") { fault }' }));
  assert.deepEqual(TraceSummaries.map((s) => s.Id), [viaApi]);
  const { Traces } = await client.send(new BatchGetTracesCommand({ TraceIds: [viaApi, viaUdp] }));
  assert.deepEqual(Traces.map((t) => t.Id).sort(), [viaApi, viaUdp].sort());
});

test('markers, sampling rules and groups changed on one node are seen by the other; reservoirs are split', async () => {
  const json = (node, p, body, method = 'POST') => fetch(node.url(p), { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const marker = await (await json(a, '/1/markers/ch-backend', { message: 'deploy 42', type: 'deploy' })).json();
  assert.ok((await (await fetch(b.url('/1/markers/ch-backend'))).json()).some((m) => m.id === marker.id && m.message === 'deploy 42'));
  assert.equal((await json(b, `/1/markers/ch-backend/${marker.id}`, { message: 'deploy 43' }, 'PUT')).status, 200);
  assert.ok((await (await fetch(a.url('/1/markers/ch-backend'))).json()).some((m) => m.message === 'deploy 43'));

  assert.equal((await json(a, '/CreateGroup', { GroupName: 'ch-faults', FilterExpression: 'fault' })).status, 200);
  assert.equal((await json(a, '/CreateSamplingRule', { SamplingRule: { RuleName: 'ch-rule', ResourceARN: '*', Priority: 5,
    FixedRate: 0.25, ReservoirSize: 7, ServiceName: 'ch-svc', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 } })).status, 200);
  const groups = await (await json(b, '/Groups', {})).json();
  assert.ok(groups.Groups.some((g) => g.GroupName === 'ch-faults'), JSON.stringify(groups));
  // The SDKs' own call on the other node's daemon port sees the rule too.
  const rules = await (await fetch(`http://${b.xray}/GetSamplingRules`, { method: 'POST', body: '{}' })).json();
  assert.equal(rules.SamplingRuleRecords.find((r) => r.SamplingRule.RuleName === 'ch-rule').SamplingRule.FixedRate, 0.25);
  // The two nodes split the rule's reservoir of 7 between them: together they grant 7.
  const quota = async (node, client) => {
    const r = await (await fetch(`http://${node.xray}/SamplingTargets`, { method: 'POST', body: JSON.stringify({ SamplingStatisticsDocuments: [
      { RuleName: 'ch-rule', ClientID: client, Timestamp: now(), RequestCount: 1, SampledCount: 1, BorrowCount: 0 }] }) })).json();
    return r.SamplingTargetDocuments[0].ReservoirQuota;
  };
  const quotas = await eventually(async () => {
    const q = [await quota(a, 'a'.repeat(24)), await quota(b, 'b'.repeat(24))];
    return q[0] + q[1] === 7 ? q : undefined;
  }, { timeoutMs: 15000, intervalMs: 500 });
  assert.deepEqual(quotas.sort(), [3, 4]);
  assert.equal((await json(b, '/UpdateSamplingRule', { SamplingRuleUpdate: { RuleName: 'ch-rule', FixedRate: 0.5 } })).status, 200);
  assert.equal((await json(b, '/DeleteGroup', { GroupName: 'ch-faults' })).status, 200);
  const after = await (await json(a, '/GetSamplingRules', {})).json();
  assert.equal(after.SamplingRuleRecords.find((r) => r.SamplingRule.RuleName === 'ch-rule').SamplingRule.FixedRate, 0.5);
  assert.ok(!(await (await json(a, '/Groups', {})).json()).Groups.some((g) => g.GroupName === 'ch-faults'));
});

function startClickHouse(dir, httpPort, tcpPort) {
  return Number(execFileSync('bash', [path.join(ROOT, 'scripts/clickhouse/start.sh'), dir, String(httpPort), String(tcpPort)]).toString().trim());
}

function traceBody(traceId) {
  const start = BigInt(Date.now()) * 1000000n;
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ch-outage' } }] },
    scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8).toString('hex'), name: 'op', kind: 2,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000000n) }] }] }] });
}

const post = (node, traceId) => fetch(node.url('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: traceBody(traceId) });

test('a ClickHouse outage: 503 + Retry-After while it lasts, no acknowledged span lost, ingest resumes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'waggle-ch-outage-'));
  const [httpPort, tcpPort] = [28124, 29124];
  let pid = startClickHouse(dir, httpPort, tcpPort);
  const node = await startWaggle({ args: ['--store', `clickhouse://127.0.0.1:${httpPort}/outage`, '--clickhouse-retry', '1s'] });
  try {
    const acked = [];
    for (let i = 0; i < 20; i++) {
      const id = randomBytes(16).toString('hex');
      const r = await post(node, id);
      assert.equal(r.status, 200);
      acked.push(id);
    }
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const during = await post(node, randomBytes(16).toString('hex'));
    assert.equal(during.status, 503, await during.text());
    assert.ok(Number(during.headers.get('retry-after')) >= 1, 'Retry-After is set');
    const lookup = await fetch(node.url(`/api/traces/${acked[0]}`));
    assert.ok(lookup.status >= 500, 'a lookup during the outage says it cannot answer, not 404');
    assert.equal((await fetch(node.url('/healthz'))).status, 200, 'Waggle itself stays up');

    pid = startClickHouse(dir, httpPort, tcpPort);  // the same data directory
    const after = randomBytes(16).toString('hex');
    await eventually(async () => (await post(node, after)).status === 200, { timeoutMs: 20000, intervalMs: 250 });
    for (const id of [...acked, after]) {
      assert.equal((await fetch(node.url(`/api/traces/${id}`))).status, 200, `acknowledged trace ${id} is in ClickHouse`);
    }
  } finally {
    await node.stop();
    node.cleanup();
    try { process.kill(pid, 'SIGTERM'); } catch {}
    await new Promise((r) => setTimeout(r, 500));
    try { process.kill(pid, 'SIGKILL'); } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
});
