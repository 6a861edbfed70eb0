// Teams: keys belong to teams, and a key of one team reads nothing of another's through any
// endpoint: datasets, columns, queries (`__all__` too), query results, trace lookup, BubbleUp,
// markers, and the X-Ray API (groups, rules, summaries, traces, graphs) whether called with a
// Waggle key or signed with SigV4. Both teams use the same dataset name, so nothing can rely on
// names differing. The real OTel exporters (proto, gRPC), the Events API, the signed
// @aws-sdk/client-xray and the daemon's UDP port send the data; it survives a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  BatchGetTracesCommand, CreateGroupCommand, CreateSamplingRuleCommand, DeleteGroupCommand, GetGroupCommand,
  GetGroupsCommand, GetSamplingRulesCommand, GetServiceGraphCommand, GetTraceSummariesCommand,
  PutTraceSegmentsCommand, UpdateSamplingRuleCommand,
} from '@aws-sdk/client-xray';
import { startWaggle, makeDataDir } from './waggle_process.mjs';
import { eventually, segmentId, sendDatagrams, xrayClient, xrayTraceId } from './xray_helpers.mjs';

const run = promisify(execFile);
const TEAMS = {
  acme: { ingest: 'acme-ingest-5f1c', query: 'acme-query-9d2e', all: 'acme-all-33ab', akid: 'AKIDACME', secret: 'acme-aws-secret' },
  globex: { ingest: 'globex-ingest-7a4b', query: 'globex-query-1c8f', all: 'globex-all-e6d0', akid: 'AKIDGLOBEX', secret: 'globex-aws-secret' },
};
const args = ['--xray-team', 'globex'];
for (const [team, k] of Object.entries(TEAMS)) {
  args.push('--api-key', `${k.ingest}:ingest:${team}`, '--api-key', `${k.query}:query:${team}`,
    '--api-key', `${k.all}:all:${team}`, '--aws-access-key', `${k.akid}:${k.secret}:${team}`);
}

const dataDir = makeDataDir();
let waggle;
const sent = { acme: {}, globex: {} };  // what each team sent: trace ids, marker ids, ...
const now = () => Math.floor(Date.now() / 1000);

async function api(p, key, { method = 'GET', body } = {}) {
  const response = await fetch(waggle.url(p), {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'x-honeycomb-team': key, 'content-type': 'application/json' },
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, body: json, text };
}

async function query(key, dataset, spec) {
  const created = await api(`/1/queries/${dataset}`, key, { method: 'POST', body: { time_range: 3600, ...spec } });
  assert.equal(created.status, 200, created.text);
  const started = await api(`/1/query_results/${dataset}`, key, { method: 'POST', body: { query_id: created.body.id } });
  assert.equal(started.status, 201, started.text);
  for (let i = 0; i < 500; i++) {
    const result = await api(`/1/query_results/${dataset}/${started.body.id}`, key);
    assert.equal(result.status, 200, result.text);
    if (result.body.complete) return { ...result.body, query_id: created.body.id, result_id: started.body.id };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('query did not complete');
}

async function sendOtlp(kind, team, service, resourceAttributes) {
  const endpoint = kind === 'grpc' ? `http://${waggle.grpc}` : `http://${waggle.http}`;
  const { stdout } = await run(process.execPath, [path.join(import.meta.dirname, 'send_trace.mjs'), kind], {
    env: {
      ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${TEAMS[team].ingest}`, OTEL_RESOURCE_ATTRIBUTES: resourceAttributes,
    },
    timeout: 60000,
  });
  const { spans, exportError } = JSON.parse(stdout);
  assert.equal(exportError, null, `${kind} export for ${team}`);
  return spans[0].traceId;
}

const signed = (team) => xrayClient(waggle, { accessKeyId: TEAMS[team].akid, secretAccessKey: TEAMS[team].secret });

async function start() {
  waggle = await startWaggle({ dataDir, args });
}

before(async () => {
  await start();
  // The same dataset name, `checkout`, in both teams; each team marks its data with a column
  // and a service of its own.
  sent.acme.otlp = await sendOtlp('proto', 'acme', 'checkout', 'acme.region=eu');
  sent.globex.otlp = await sendOtlp('grpc', 'globex', 'checkout', 'globex.secret_column=1');
  sent.globex.otlp2 = await sendOtlp('proto', 'globex', 'globex-billing', 'globex.secret_column=2');
  for (const team of ['acme', 'globex']) {
    const events = [{ data: { [`${team}_field`]: `${team}-value`, duration_ms: 5 } }];
    const r = await api(`/1/batch/${team}-events`, TEAMS[team].ingest, { method: 'POST', body: events });
    assert.equal(r.status, 200, r.text);
    const marker = await api('/1/markers/checkout', TEAMS[team].ingest, { method: 'POST', body: { message: `${team} deploy`, type: 'deploy' } });
    assert.equal(marker.status, 201, marker.text);
    sent[team].marker = marker.body.id;
    const everywhere = await api('/1/markers/__all__', TEAMS[team].ingest, { method: 'POST', body: { message: `${team} outage`, type: 'incident' } });
    assert.equal(everywhere.status, 201, everywhere.text);
  }
  // X-Ray: acme through SigV4, globex through its Waggle key and the daemon's UDP port.
  const acme = signed('acme');
  await acme.send(new CreateGroupCommand({ GroupName: 'acme-group', FilterExpression: 'service("acme-xray")' }));
  await acme.send(new CreateSamplingRuleCommand({ SamplingRule: { RuleName: 'acme-rule', ResourceARN: '*', Priority: 10,
    FixedRate: 1, ReservoirSize: 1, ServiceName: 'acme-xray', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 } }));
  sent.acme.xray = xrayTraceId(now());
  const put = await acme.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify({
    trace_id: sent.acme.xray, id: segmentId(), name: 'acme-xray', start_time: now() - 1, end_time: now(), http: { response: { status: 200 } } })] }));
  assert.deepEqual(put.UnprocessedTraceSegments, []);
  const g = TEAMS.globex.all;
  assert.equal((await api('/CreateGroup', g, { method: 'POST', body: { GroupName: 'globex-group', FilterExpression: 'fault' } })).status, 200);
  assert.equal((await api('/CreateSamplingRule', g, { method: 'POST', body: { SamplingRule: { RuleName: 'globex-rule', ResourceARN: '*',
    Priority: 20, FixedRate: 0.5, ReservoirSize: 1, ServiceName: 'globex-udp', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 } } })).status, 200);
  sent.globex.xray = xrayTraceId(now());
  await sendDatagrams(waggle.xray, [{ trace_id: sent.globex.xray, id: segmentId(), name: 'globex-udp', start_time: now() - 1,
    end_time: now(), fault: true, http: { response: { status: 500 } } }]);
  await eventually(async () => (await api(`/api/traces/${sent.globex.xray}`, TEAMS.globex.query)).status === 200);
});

after(async () => {
  await waggle?.stop();
  waggle?.cleanup();
});

// Everything globex sent, as strings that must never appear in an answer to acme.
const GLOBEX_MARKS = ['globex', 'secret_column'];
function assertNoGlobex(what, value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const mark of [...GLOBEX_MARKS, sent.globex.otlp, sent.globex.otlp2, sent.globex.xray, sent.globex.xray.slice(2).replace('-', '')]) {
    assert.ok(!text.includes(mark), `${what} shows globex's data (${mark}): ${text.slice(0, 400)}`);
  }
}

async function checkIsolation() {
  const key = TEAMS.acme.query;
  // Datasets and columns.
  const datasets = await api('/1/datasets', key);
  assert.equal(datasets.status, 200);
  const names = datasets.body.map((d) => d.slug ?? d.name).sort();
  assert.ok(names.includes('checkout') && names.includes('acme-events') && names.includes('acme-xray'), names.join());
  assertNoGlobex('/1/datasets', datasets.body);
  for (const ds of ['checkout', '__all__']) {
    const columns = await api(`/1/columns/${ds}`, key);
    assert.equal(columns.status, 200, columns.text);
    assert.ok(columns.body.some((c) => c.key_name === 'acme.region'), `acme sees its own columns in ${ds}`);
    assertNoGlobex(`/1/columns/${ds}`, columns.body);
  }
  const foreign = await api('/1/columns/globex-events', key);
  assert.ok(foreign.status === 404 || (foreign.status === 200 && foreign.body.length === 0), foreign.text);

  // Queries: the shared dataset name counts acme's spans only; __all__ lists acme's services;
  // a filter on globex's trace id finds nothing.
  const own = await query(key, 'checkout', { calculations: [{ op: 'COUNT' }] });
  assert.equal(own.data.results[0].data.COUNT, 3, JSON.stringify(own.data));  // 2 spans and a span event
  const services = await query(key, '__all__', { calculations: [{ op: 'COUNT' }], breakdowns: ['service.name', 'trace.trace_id'] });
  assertNoGlobex('__all__ breakdown', services.data);
  assert.ok(services.data.results.some((r) => r.data['trace.trace_id'] === sent.acme.otlp));
  const byId = await query(key, '__all__', { calculations: [{ op: 'COUNT' }],
    filters: [{ column: 'trace.trace_id', op: '=', value: sent.globex.otlp }] });
  assert.ok(byId.data.results.every((r) => !r.data.COUNT), JSON.stringify(byId.data));
  const globexRun = await query(TEAMS.globex.query, 'checkout', { calculations: [{ op: 'COUNT' }], breakdowns: ['globex.secret_column'] });
  assert.equal(globexRun.data.results[0].data.COUNT, 3);
  assert.equal(globexRun.data.results[0].data['globex.secret_column'], '1');
  // Another team's stored query is unknown to acme; its result id (numbered per team) is
  // unknown or names acme's own result.
  assert.equal((await api(`/1/queries/checkout/${globexRun.query_id}`, key)).status, 404);
  const result = await api(`/1/query_results/checkout/${globexRun.result_id}`, key);
  assert.ok(result.status === 404 || result.status === 200, result.text);
  assertNoGlobex('another team\'s query result id', result.body);

  // Trace lookup: globex's traces (OTLP and X-Ray ids) are not found; acme's are.
  for (const id of [sent.globex.otlp, sent.globex.otlp2, sent.globex.xray]) {
    const r = await api(`/api/traces/${id}`, key);
    assert.equal(r.status, 404, `acme looked up globex's trace ${id}: ${r.text.slice(0, 200)}`);
    assert.equal((await api(`/api/traces/${id}`, TEAMS.globex.query)).status, 200, 'globex finds its own trace');
  }
  assert.equal((await api(`/api/traces/${sent.acme.otlp}`, key)).status, 200);
  assert.equal((await api(`/api/traces/${sent.acme.otlp}`, TEAMS.globex.query)).status, 404);

  // BubbleUp over __all__: every event it counts is acme's.
  const bubble = await api('/api/bubbleup/__all__', key, { method: 'POST', body: {
    query: { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], start_time: now() - 3600, end_time: now() + 60 },
    selection: { column: 'duration_ms', start_time: now() - 3600, end_time: now() + 60, min: 0, max: 1e9 } } });
  assert.equal(bubble.status, 200, bubble.text);
  const acmeTotal = (await query(key, '__all__', { calculations: [{ op: 'COUNT' }] })).data.results[0].data.COUNT;
  assert.equal(bubble.body.selection_count + bubble.body.baseline_count, acmeTotal);
  assertNoGlobex('BubbleUp', bubble.body);

  // Markers: listed per team, and another team's marker can be neither changed nor deleted.
  for (const ds of ['checkout', '__all__']) {
    const markers = await api(`/1/markers/${ds}`, key);
    assert.equal(markers.status, 200);
    assert.ok(markers.body.some((m) => m.message.startsWith('acme')));
    assertNoGlobex(`/1/markers/${ds}`, markers.body);
  }
  if (sent.globex.marker !== sent.acme.marker) {
    assert.equal((await api(`/1/markers/checkout/${sent.globex.marker}`, TEAMS.acme.all, { method: 'DELETE' })).status, 404);
    assert.equal((await api(`/1/markers/checkout/${sent.globex.marker}`, TEAMS.acme.all, { method: 'PUT', body: { message: 'x' } })).status, 404);
  }
  const globexMarkers = await api('/1/markers/checkout', TEAMS.globex.query);
  assert.ok(globexMarkers.body.some((m) => m.message === 'globex deploy'), 'globex keeps its marker');

  // /1/auth names the key's team.
  assert.equal((await api('/1/auth', key)).body.team.slug, 'acme');

  // The X-Ray API, through a Waggle key (the web UI's way) and signed with acme's access key.
  const xray = (op, body, k = key) => api(op, k, { method: 'POST', body });
  const range = { StartTime: now() - 600, EndTime: now() + 60 };
  for (const [op, body] of [['/Groups', {}], ['/GetSamplingRules', {}], ['/TraceSummaries', range],
    ['/ServiceGraph', range], ['/TimeSeriesServiceStatistics', range]]) {
    const r = await xray(op, body);
    assert.equal(r.status, 200, `${op}: ${r.text}`);
    assertNoGlobex(`X-Ray ${op} with a key`, r.body);
  }
  // Asked for globex's ids by name: nothing comes back but the ids, unprocessed.
  const asked = await xray('/Traces', { TraceIds: [sent.globex.xray, sent.globex.otlp] });
  assert.equal(asked.status, 200, asked.text);
  assert.deepEqual(asked.body.Traces, []);
  const askedGraph = await xray('/TraceGraph', { TraceIds: [sent.globex.xray] });
  assert.equal(askedGraph.status, 200, askedGraph.text);
  assert.deepEqual(askedGraph.body.Services, []);
  const client = signed('acme');
  const groups = await client.send(new GetGroupsCommand({}));
  assert.ok(groups.Groups.some((x) => x.GroupName === 'acme-group'));
  assertNoGlobex('GetGroups', groups.Groups);
  const rules = await client.send(new GetSamplingRulesCommand({}));
  assert.ok(rules.SamplingRuleRecords.some((r) => r.SamplingRule.RuleName === 'acme-rule'));
  assertNoGlobex('GetSamplingRules', rules.SamplingRuleRecords);
  const summaries = await client.send(new GetTraceSummariesCommand({ StartTime: new Date(range.StartTime * 1000), EndTime: new Date(range.EndTime * 1000) }));
  assert.ok(summaries.TraceSummaries.some((s) => s.Id === sent.acme.xray), 'acme sees its own summaries');
  assertNoGlobex('GetTraceSummaries', summaries.TraceSummaries);
  const traces = await client.send(new BatchGetTracesCommand({ TraceIds: [sent.globex.xray, sent.acme.xray] }));
  assert.deepEqual(traces.Traces.map((t) => t.Id), [sent.acme.xray]);
  const graph = await client.send(new GetServiceGraphCommand({ StartTime: new Date(range.StartTime * 1000), EndTime: new Date(range.EndTime * 1000) }));
  assertNoGlobex('GetServiceGraph', graph.Services);
  await assert.rejects(client.send(new GetGroupCommand({ GroupName: 'globex-group' })));
  await assert.rejects(client.send(new DeleteGroupCommand({ GroupName: 'globex-group' })));
  await assert.rejects(client.send(new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'globex-rule', FixedRate: 0 } })));
  const globexGroups = await api('/Groups', TEAMS.globex.query, { method: 'POST', body: {} });
  assert.ok(globexGroups.body.Groups.some((x) => x.GroupName === 'globex-group'), 'globex keeps its group');
  const globexRules = await api('/GetSamplingRules', TEAMS.globex.query, { method: 'POST', body: {} });
  assert.equal(globexRules.body.SamplingRuleRecords.find((r) => r.SamplingRule.RuleName === 'globex-rule').SamplingRule.FixedRate, 0.5);
}

test('a query key of one team reads none of another team\'s data through any endpoint', async () => {
  await checkIsolation();
});

test('keys of no team, forged signatures and the other team\'s secrets are refused', async () => {
  // No key and an unknown key: refused, though the default team has no key of its own.
  assert.equal((await api('/1/datasets', '')).status, 401);
  assert.equal((await api('/1/datasets', 'not-a-key')).status, 401);
  assert.equal((await api('/api/traces/' + sent.acme.otlp, 'not-a-key')).status, 401);
  const unsigned = await fetch(waggle.url('/Groups'), { method: 'POST', body: '{}' });
  assert.equal(unsigned.status, 403);
  // acme's access key id signed with globex's secret (and the reverse): the signature fails.
  const forged = xrayClient(waggle, { accessKeyId: TEAMS.acme.akid, secretAccessKey: TEAMS.globex.secret });
  await assert.rejects(forged.send(new GetGroupsCommand({})), (e) => e.name === 'InvalidSignatureException');
  const unknown = xrayClient(waggle, { accessKeyId: 'AKIDNOBODY', secretAccessKey: TEAMS.acme.secret });
  await assert.rejects(unknown.send(new GetGroupsCommand({})), (e) => e.name === 'UnrecognizedClientException');
  // An OTLP export with a query key is refused; with acme's ingest key it lands in acme only.
  const r = await fetch(waggle.url('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-honeycomb-team': TEAMS.acme.query }, body: '{}' });
  assert.equal(r.status, 403);
  // The daemon's TCP port serves the --xray-team's sampling rules.
  const daemonRules = await (await fetch(`http://${waggle.xray}/GetSamplingRules`, { method: 'POST', body: '{}' })).json();
  const ruleNames = daemonRules.SamplingRuleRecords.map((x) => x.SamplingRule.RuleName);
  assert.ok(ruleNames.includes('globex-rule') && !ruleNames.includes('acme-rule'), ruleNames.join());
});

test('each team\'s data is its own store, and isolation holds after a restart', async () => {
  if (!process.env.WAGGLE_TEST_STORE) {  // the embedded store: a directory per team (on ClickHouse, a team column)
    assert.ok(existsSync(path.join(dataDir, 'teams', 'acme', 'wal')));
    assert.ok(existsSync(path.join(dataDir, 'teams', 'globex', 'wal')));
  }
  await waggle.stop();
  await start();
  await checkIsolation();
  for (const team of Object.values(TEAMS)) {
    for (const secret of [team.ingest, team.query, team.all, team.secret]) {
      assert.ok(!waggle.stderr().includes(secret), `a key appeared in the log: ${secret}`);
    }
  }
});
