// The npm aws-xray-sdk-core (3.12) with centralized sampling on, as an instrumented Node
// service uses it: AWS_XRAY_DAEMON_ADDRESS points at waggle, the middleware traces each
// request, subsegments carry annotations, metadata and an exception, and are streamed
// (sent on their own) before their segment. Sampling rules come from waggle over TCP;
// the SDK reports its statistics back. What it sent is read back with the npm
// @aws-sdk/client-xray (SigV4-signed) and through /api/traces/<id>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BatchGetTracesCommand, CreateGroupCommand, CreateSamplingRuleCommand, GetGroupsCommand, GetSamplingRulesCommand,
  GetSamplingStatisticSummariesCommand, GetSamplingTargetsCommand, GetServiceGraphCommand,
  GetTimeSeriesServiceStatisticsCommand, GetTraceGraphCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand,
  DeleteSamplingRuleCommand, UpdateGroupCommand, GetGroupCommand, DeleteGroupCommand, PutTelemetryRecordsCommand,
  GetEncryptionConfigCommand, UpdateSamplingRuleCommand,
} from '@aws-sdk/client-xray';
import { startWaggle } from './waggle_process.mjs';
import { ACCESS_KEY, SECRET_KEY, eventually, segmentId, xrayClient, xrayTraceId } from './xray_helpers.mjs';

let waggle;
let xray;
let AWSXRay;
let app;
const sampled = [];  // segments the SDK decided to trace: { traceId, notTraced, url }

before(async () => {
  waggle = await startWaggle({ args: ['--aws-access-key', `${ACCESS_KEY}:${SECRET_KEY}`] });
  xray = xrayClient(waggle);
  // Every request of node-app sampled: only waggle's rule says so (the SDK's local default
  // samples 1 per second and 5% beyond).
  await xray.send(new CreateSamplingRuleCommand({ SamplingRule: { RuleName: 'NodeApp', ResourceARN: '*', Priority: 10,
    FixedRate: 1, ReservoirSize: 2, ServiceName: 'node-app', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 } }));

  process.env.AWS_XRAY_DAEMON_ADDRESS = waggle.xray;
  AWSXRay = (await import('aws-xray-sdk-core')).default;
  AWSXRay.setLogger({ error: () => {}, warn: () => {}, info: () => {}, debug: () => {} });
  AWSXRay.enableManualMode();
  AWSXRay.middleware.setDefaultName('node-app');
  AWSXRay.setStreamingThreshold(0);  // every closed subsegment is sent on its own, before its segment

  app = http.createServer((req, res) => {
    const segment = AWSXRay.middleware.traceRequestResponseCycle(req, res);
    sampled.push({ traceId: segment.trace_id, notTraced: Boolean(segment.notTraced), url: req.url });
    segment.setUser('andrewbrown');
    const sub = segment.addNewSubsegment('mock-data');
    sub.addAnnotation('user_handle', 'andrewbrown');
    sub.addAnnotation('result_count', 2);
    sub.addMetadata('results', { uuid: '68f126b0', message: 'Cloud is fun!' }, 'cruddur');
    if (req.url === '/boom') {
      sub.addError(new Error('mock datastore unavailable'));
      res.statusCode = 500;
    }
    sub.close();
    res.end('ok');
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  app?.close();
  await waggle?.stop();
  waggle?.cleanup();
});

const get = (path) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: app.address().port, path }, (res) => { res.resume(); res.on('end', resolve); })
    .on('error', reject);
});

test('segments from the Node SDK come back through the X-Ray API and /api/traces', async () => {
  await get('/warm-up');  // the first decision starts the SDK's rule poller
  await new Promise((r) => setTimeout(r, 1500));
  sampled.length = 0;
  for (let i = 0; i < 8; i++) await get(`/api/activities/${i}`);
  await get('/boom');
  assert.equal(sampled.length, 9);
  assert.deepEqual(sampled.filter((s) => s.notTraced), [], 'waggle\'s FixedRate=1 rule samples every request');

  const ids = sampled.map((s) => s.traceId);
  const traces = await eventually(async () => {
    const { Traces } = await xray.send(new BatchGetTracesCommand({ TraceIds: ids.slice(-5) }));
    const complete = Traces.filter((t) => t.Segments.length === 1 && JSON.parse(t.Segments[0].Document).subsegments?.length === 1);
    return complete.length === 5 ? Traces : undefined;
  });
  const boom = traces.find((t) => t.Id === ids.at(-1));
  const doc = JSON.parse(boom.Segments[0].Document);
  assert.equal(doc.name, 'node-app');
  assert.equal(doc.fault, true);
  assert.equal(doc.http.response.status, 500);
  assert.equal(doc.user, 'andrewbrown');
  const sub = doc.subsegments[0];  // streamed on its own, put back under its segment
  assert.equal(sub.name, 'mock-data');
  assert.equal(sub.annotations.user_handle, 'andrewbrown');
  assert.equal(sub.metadata.cruddur.results.message, 'Cloud is fun!');
  assert.equal(sub.cause.exceptions[0].message, 'mock datastore unavailable');

  const body = await (await fetch(waggle.url(`/api/traces/${boom.Id}`))).json();
  const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  assert.deepEqual(spans.map((s) => s.name).sort(), ['mock-data', 'node-app']);
  const attr = (span, key) => span.attributes.find((a) => a.key === key)?.value;
  const mock = spans.find((s) => s.name === 'mock-data');
  assert.equal(attr(mock, 'annotation.user_handle').stringValue, 'andrewbrown');
  assert.equal(attr(mock, 'exception.message').stringValue, 'mock datastore unavailable');
  assert.equal(mock.status.code, 2);

  const now = Math.floor(Date.now() / 1000);
  const { TraceSummaries } = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000),
    EndTime: new Date((now + 5) * 1000), FilterExpression: 'service("node-app") AND annotation.result_count = 2 AND http.status >= 500' }));
  assert.deepEqual(TraceSummaries.map((s) => s.Id), [boom.Id]);
  const graph = await xray.send(new GetTraceGraphCommand({ TraceIds: [boom.Id] }));
  assert.ok(graph.Services.some((s) => s.Name === 'node-app' && s.SummaryStatistics.FaultStatistics.TotalCount === 1));
});

test('the SDK reports sampling statistics to waggle over TCP', async () => {
  // The SDK's target poller reports every ~10 s for rules it used.
  const summary = await eventually(async () => {
    const { SamplingStatisticSummaries } = await xray.send(new GetSamplingStatisticSummariesCommand({}));
    return SamplingStatisticSummaries.find((s) => s.RuleName === 'NodeApp' && s.RequestCount >= 9);
  }, { timeoutMs: 30000, intervalMs: 500 });
  assert.ok(summary.SampledCount + summary.BorrowCount >= 9);
});

test('@aws-sdk/client-xray: the rest of the API, and errors as exceptions', async () => {
  const now = Math.floor(Date.now() / 1000);
  const traceId = xrayTraceId(now);
  const good = { trace_id: traceId, id: segmentId(), name: 'js-client', start_time: now, end_time: now + 0.1, http: { response: { status: 429 } }, throttle: true, error: true };
  const put = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(good), '{"id":"bad"}'] }));
  assert.equal(put.UnprocessedTraceSegments.length, 1);
  assert.equal(put.UnprocessedTraceSegments[0].Id, 'bad');
  assert.match(put.UnprocessedTraceSegments[0].Message, /trace_id/);
  const { Traces } = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
  assert.deepEqual(JSON.parse(Traces[0].Segments[0].Document), good);

  // An OTLP trace is an X-Ray trace too: its server span becomes a segment document.
  const otlpTrace = '5759e988bd862e3fe1be46a994272793';
  const nanos = BigInt(now) * 1000000000n;
  const otlp = await fetch(waggle.url('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otel-svc' } }] },
      scopeSpans: [{ spans: [{ traceId: otlpTrace, spanId: '0102030405060708', name: 'GET /cart', kind: 2,
        startTimeUnixNano: String(nanos), endTimeUnixNano: String(nanos + 250000000n),
        attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }, { key: 'http.response.status_code', value: { intValue: 200 } }] }] }] }] }) });
  assert.equal(otlp.status, 200);
  const otlpDocs = await xray.send(new BatchGetTracesCommand({ TraceIds: ['1-5759e988-bd862e3fe1be46a994272793'] }));
  const segment = JSON.parse(otlpDocs.Traces[0].Segments[0].Document);
  assert.equal(segment.name, 'otel-svc');
  assert.equal(segment.id, '0102030405060708');
  assert.equal(segment.http.response.status, 200);
  assert.ok(Math.abs(segment.end_time - segment.start_time - 0.25) < 1e-6);

  const graph = await xray.send(new GetServiceGraphCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date((now + 60) * 1000) }));
  const jsClient = graph.Services.find((s) => s.Name === 'js-client');
  assert.equal(jsClient.SummaryStatistics.ErrorStatistics.ThrottleCount, 1);
  const series = await xray.send(new GetTimeSeriesServiceStatisticsCommand({ StartTime: new Date((now - 120) * 1000),
    EndTime: new Date((now + 60) * 1000), EntitySelectorExpression: 'service("node-app")', Period: 60 }));
  const total = series.TimeSeriesServiceStatistics.reduce((n, p) => n + p.ServiceSummaryStatistics.TotalCount, 0);
  assert.ok(total >= 10, `node-app segments per minute: ${total}`);

  await xray.send(new CreateGroupCommand({ GroupName: 'slow', FilterExpression: 'responsetime > 5' }));
  const { Groups } = await xray.send(new GetGroupsCommand({}));
  assert.deepEqual(Groups.map((g) => g.GroupName), ['Default', 'slow']);
  const slowArn = Groups[1].GroupARN;
  const updated = await xray.send(new UpdateGroupCommand({ GroupARN: slowArn, FilterExpression: 'responsetime > 10',
    InsightsConfiguration: { InsightsEnabled: true } }));
  assert.equal(updated.Group.FilterExpression, 'responsetime > 10');
  assert.equal(updated.Group.InsightsConfiguration.InsightsEnabled, true);
  assert.equal((await xray.send(new GetGroupCommand({ GroupName: 'slow' }))).Group.FilterExpression, 'responsetime > 10');
  await assert.rejects(xray.send(new UpdateGroupCommand({ GroupName: 'slow', FilterExpression: 'responsetime >' })),
    (e) => e.name === 'InvalidRequestException' && /at character 15/.test(e.message));
  await xray.send(new DeleteGroupCommand({ GroupARN: slowArn }));
  await assert.rejects(xray.send(new GetGroupCommand({ GroupName: 'slow' })), { name: 'InvalidRequestException' });
  const rate = await xray.send(new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleARN:
    'arn:aws:xray:us-east-1:000000000000:sampling-rule/Default', FixedRate: 0.5 } }));
  assert.equal(rate.SamplingRuleRecord.SamplingRule.FixedRate, 0.5);
  await xray.send(new PutTelemetryRecordsCommand({ TelemetryRecords: [{ Timestamp: new Date(), SegmentsReceivedCount: 3 }] }));
  const encryption = await xray.send(new GetEncryptionConfigCommand({}));
  assert.equal(encryption.EncryptionConfig.Type, 'NONE');
  const { SamplingRuleRecords } = await xray.send(new GetSamplingRulesCommand({}));
  assert.deepEqual(SamplingRuleRecords.map((r) => r.SamplingRule.RuleName), ['NodeApp', 'Default']);
  assert.ok(SamplingRuleRecords[0].CreatedAt instanceof Date);
  const targets = await xray.send(new GetSamplingTargetsCommand({ SamplingStatisticsDocuments: [{ RuleName: 'NodeApp',
    ClientID: 'a'.repeat(24), Timestamp: new Date(), RequestCount: 10, SampledCount: 10, BorrowCount: 0 }] }));
  assert.equal(targets.SamplingTargetDocuments[0].FixedRate, 1);
  assert.ok(targets.SamplingTargetDocuments[0].ReservoirQuotaTTL instanceof Date);

  await assert.rejects(xray.send(new GetTraceSummariesCommand({ StartTime: new Date(), EndTime: new Date(Date.now() + 1000),
    FilterExpression: 'http.status = "five hundred"' })),
  (e) => e.name === 'InvalidRequestException' && /at character 15/.test(e.message) && e.$metadata.httpStatusCode === 400);
  await assert.rejects(xray.send(new DeleteSamplingRuleCommand({ RuleName: 'Default' })), { name: 'InvalidRequestException' });
  const stranger = xrayClient(waggle, { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' });
  await assert.rejects(stranger.send(new GetGroupsCommand({})),
    (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
});
