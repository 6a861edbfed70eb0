// Python's Flask with aws-xray-sdk 2.15 (the machine image's Python), instrumented as the
// X-Ray tutorials do: XRayMiddleware, xray_recorder.configure(service='Cruddur',
// dynamic_naming=...), AWS_XRAY_DAEMON_ADDRESS pointing at waggle. Waggle's sampling rules
// (fetched by the SDK over TCP) decide what is traced; the segments it sends over UDP come
// back through the X-Ray API and /api/traces/<id>, and its statistics reach waggle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import {
  BatchGetTracesCommand, CreateSamplingRuleCommand, GetSamplingStatisticSummariesCommand, GetTraceSummariesCommand,
} from '@aws-sdk/client-xray';
import { startWaggle } from './waggle_process.mjs';
import { ACCESS_KEY, SECRET_KEY, eventually, xrayClient, xrayTraceId } from './xray_helpers.mjs';

let waggle;
let xray;
let flask;
let flaskOutput = '';
let port;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
}

const rule = (name, service) => ({ SamplingRule: { RuleName: name, ResourceARN: '*', Priority: 100, FixedRate: 1,
  ReservoirSize: 1, ServiceName: service, ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 } });

before(async () => {
  const python = process.env.PYTHON ?? 'python3';
  try {
    execFileSync(python, ['-c', 'import flask, aws_xray_sdk.ext.flask.middleware']);
  } catch {
    assert.fail(`${python} has no Flask and aws-xray-sdk: the machine image's Python ships them (set PYTHON to another)`);
  }
  waggle = await startWaggle({ args: ['--aws-access-key', `${ACCESS_KEY}:${SECRET_KEY}`] });
  xray = xrayClient(waggle);
  // Only waggle's rules sample every request (the SDK's local default: 1 per second, 5% after).
  await xray.send(new CreateSamplingRuleCommand(rule('Cruddur', 'Cruddur')));
  await xray.send(new CreateSamplingRuleCommand(rule('Shop', '*.example.com')));
  port = await freePort();
  flask = spawn(python, [path.join(import.meta.dirname, 'xray_flask_app.py'), String(port)], {
    env: { ...process.env, AWS_XRAY_DAEMON_ADDRESS: waggle.xray }, stdio: ['ignore', 'pipe', 'pipe'] });
  flask.stdout.on('data', (d) => { flaskOutput += d; });
  flask.stderr.on('data', (d) => { flaskOutput += d; });
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/api/activities/home`)).ok,
    { timeoutMs: 20000, intervalMs: 200 }).catch((e) => { throw new Error(`Flask did not start: ${flaskOutput} ${e}`); });
});

after(async () => {
  flask?.kill();
  await waggle?.stop();
  waggle?.cleanup();
});

// "Sampled=?" asks the SDK to say in its response header what it decided (and gives the
// trace id the test then looks for).
// node:http, not fetch: fetch does not let a caller set Host (dynamic naming reads it).
async function request(urlPath, headers = {}) {
  const response = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath,
      headers: { 'x-amzn-trace-id': `Root=${xrayTraceId()};Sampled=?`, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    }).on('error', reject);
  });
  const header = response.headers['x-amzn-trace-id'] ?? '';
  const [, root] = /Root=([^;]+)/.exec(header) ?? [];
  return { status: response.statusCode, root, sampled: /Sampled=1/.test(header) };
}

test('Flask requests traced by aws-xray-sdk come back through the X-Ray API', async () => {
  await new Promise((r) => setTimeout(r, 1500));  // the SDK's rule poller has fetched waggle's rules
  const home = [];
  for (let i = 0; i < 5; i++) home.push(await request('/api/activities/home'));
  const boom = await request('/boom');
  const shop = await request('/api/activities/home', { host: 'shop.example.com' });
  assert.deepEqual([...home, boom, shop].map((r) => r.sampled), Array(7).fill(true),
    `every request sampled by waggle's FixedRate=1 rules: ${JSON.stringify([...home, boom, shop])}\n${flaskOutput}`);
  assert.equal(boom.status, 500);

  const ids = [home[0].root, boom.root, shop.root];
  const { Traces } = await eventually(async () => {
    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: ids }));
    return result.Traces.length === 3 ? result : undefined;
  });
  const doc = (id) => JSON.parse(Traces.find((t) => t.Id === id).Segments[0].Document);
  const homeDoc = doc(home[0].root);
  assert.equal(homeDoc.name, 'Cruddur');
  assert.equal(homeDoc.user, 'andrewbrown');
  assert.equal(homeDoc.http.request.method, 'GET');
  assert.equal(homeDoc.http.response.status, 200);
  assert.equal(homeDoc.aws.xray.sdk, 'X-Ray for Python');
  const mock = homeDoc.subsegments[0];
  assert.equal(mock.name, 'mock-data');
  assert.equal(mock.annotations.result_length, 3);
  assert.match(mock.metadata.app.now, /^\d{4}-\d\d-\d\dT/);
  const boomDoc = doc(boom.root);
  assert.equal(boomDoc.fault, true);
  assert.equal(boomDoc.http.response.status, 500);
  assert.equal(boomDoc.cause.exceptions[0].type, 'RuntimeError');
  assert.equal(boomDoc.cause.exceptions[0].message, 'boom');
  assert.equal(doc(shop.root).name, 'shop.example.com');  // dynamic naming from the Host header

  const body = await (await fetch(waggle.url(`/api/traces/${home[0].root}`))).json();
  const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  assert.deepEqual(spans.map((s) => s.name).sort(), ['Cruddur', 'mock-data']);

  const now = Date.now();
  const { TraceSummaries } = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(now - 120000),
    EndTime: new Date(now + 5000), FilterExpression: 'service("Cruddur") { fault }' }));
  assert.deepEqual(TraceSummaries.map((s) => s.Id), [boom.root]);
  const annotated = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(now - 120000),
    EndTime: new Date(now + 5000), FilterExpression: 'annotation.result_length = 3 AND user = "andrewbrown"' }));
  assert.ok(annotated.TraceSummaries.length >= 6, `${annotated.TraceSummaries.length} home traces`);
});

test('the Python SDK reports its sampling statistics to waggle', async () => {
  const summary = await eventually(async () => {
    const { SamplingStatisticSummaries } = await xray.send(new GetSamplingStatisticSummariesCommand({}));
    return SamplingStatisticSummaries.find((s) => s.RuleName === 'Cruddur' && s.RequestCount >= 6);
  }, { timeoutMs: 30000, intervalMs: 500 });
  assert.ok(summary.SampledCount >= 1);
});
