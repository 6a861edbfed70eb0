// The real OpenTelemetry JS exporters (protobuf, JSON, gRPC; plain and gzip) send a trace to
// a real waggle; the test reads it back through /api/traces/<id> and checks every field
// against the spans the SDK itself recorded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { startWaggle } from './waggle_process.mjs';

const run = promisify(execFile);
const INGEST_KEY = 'interop-ingest-key';
const QUERY_KEY = 'interop-query-key';
let waggle;

before(async () => {
  waggle = await startWaggle({ args: ['--api-key', `${INGEST_KEY}:ingest`, '--api-key', `${QUERY_KEY}:query`] });
});
after(async () => { await waggle.stop(); waggle.cleanup(); });

async function sendWith(kind, extraEnv = {}) {
  const endpoint = kind === 'grpc' ? `http://${waggle.grpc}` : `http://${waggle.http}`;
  const { stdout } = await run(process.execPath, [path.join(import.meta.dirname, 'send_trace.mjs'), kind], {
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${INGEST_KEY}`,
      OTEL_SERVICE_NAME: 'backend-flask',
      ...extraEnv,
    },
    timeout: 60000,
  });
  return JSON.parse(stdout);
}

async function sendOk(kind, extraEnv) {
  const { spans, exportError } = await sendWith(kind, extraEnv);
  assert.equal(exportError, null, 'the exporter reports success');
  return spans;
}

function attributeMap(list) {
  const out = {};
  for (const { key, value } of list ?? []) {
    if ('stringValue' in value) out[key] = value.stringValue;
    else if ('intValue' in value) out[key] = Number(value.intValue);
    else if ('doubleValue' in value) out[key] = value.doubleValue;
    else if ('boolValue' in value) out[key] = value.boolValue;
  }
  return out;
}

async function fetchTrace(traceId) {
  const res = await fetch(waggle.url(`/api/traces/${traceId}`), { headers: { 'x-honeycomb-team': QUERY_KEY } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

function checkTrace(sent, stored) {
  const storedSpans = [];
  for (const rs of stored.resourceSpans) {
    const resource = attributeMap(rs.resource.attributes);
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) storedSpans.push({ span, resource, scope: ss.scope });
    }
  }
  assert.equal(storedSpans.length, sent.length, 'every span comes back');
  for (const expected of sent) {
    const found = storedSpans.find((s) => s.span.spanId === expected.spanId);
    assert.ok(found, `span ${expected.name} is stored`);
    const { span, resource, scope } = found;
    assert.equal(span.traceId, expected.traceId);
    assert.equal(span.parentSpanId ?? '', expected.parentSpanId);
    assert.equal(span.name, expected.name);
    assert.equal(span.kind, expected.kind + 1, 'OTLP kinds are the API kinds + 1');
    assert.equal(span.startTimeUnixNano, expected.start);
    assert.equal(span.endTimeUnixNano, expected.end);
    assert.deepEqual(attributeMap(span.attributes), expected.attributes);
    assert.deepEqual(resource, expected.resource);
    assert.equal(scope.name, expected.scope.name);
    assert.equal(scope.version, expected.scope.version);
    assert.equal(span.status.code, expected.status.code);
    assert.equal(span.status.message ?? '', expected.status.message ?? '');
    assert.equal(span.events.length, expected.events.length);
    for (const [i, e] of expected.events.entries()) {
      assert.equal(span.events[i].name, e.name);
      assert.equal(span.events[i].timeUnixNano, e.time);
      assert.deepEqual(attributeMap(span.events[i].attributes), e.attributes);
    }
  }
}

const cases = [
  ['proto', {}],
  ['proto', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }],
  ['json', {}],
  ['json', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }],
  ['grpc', {}],
  ['grpc', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }],
];
for (const [kind, env] of cases) {
  test(`${kind} exporter${env.OTEL_EXPORTER_OTLP_COMPRESSION ? ' with gzip' : ''}: the whole trace comes back`, async () => {
    const sent = await sendOk(kind, env);
    assert.equal(sent.length, 2);
    assert.equal(sent[0].resource['service.name'], 'backend-flask');
    checkTrace(sent, await fetchTrace(sent[0].traceId));
  });
}

test('a wrong key is refused and nothing is stored', async () => {
  const { spans: sent, exportError } = await sendWith('proto', { OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=wrong' });
  assert.match(exportError, /Unauthorized/);
  const res = await fetch(waggle.url(`/api/traces/${sent[0].traceId}`), { headers: { 'x-honeycomb-team': QUERY_KEY } });
  assert.equal(res.status, 404);
});

test('trace lookup needs a query key', async () => {
  const sent = await sendOk('json');
  for (const key of [undefined, INGEST_KEY, 'nope']) {
    const headers = key ? { 'x-honeycomb-team': key } : {};
    const res = await fetch(waggle.url(`/api/traces/${sent[0].traceId}`), { headers });
    assert.ok(res.status === 401 || res.status === 403, `status ${res.status} for key ${key}`);
    assert.match((await res.json()).error, /key/);
  }
});
