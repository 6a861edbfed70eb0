// The X-Ray tutorial's commands, run by the real aws CLI (Debian's awscli v2 at /usr/bin/aws,
// and the machine image's v1 when there is one) against a real waggle process with a SigV4
// access key: segments sent to the daemon port over UDP, then create-group,
// create-sampling-rule --cli-input-json, get-trace-summaries with a filter expression,
// batch-get-traces, get-service-graph; errors in X-Ray's shape; rules and groups surviving
// a restart; and the same trace through /api/traces/<id>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { startWaggle } from './waggle_process.mjs';
import { ACCESS_KEY, SECRET_KEY, eventually, segmentId, sendDatagrams, xrayTraceId } from './xray_helpers.mjs';

const run = promisify(execFile);

// Every aws CLI on this machine: Debian's v2, and a v1 on PATH (the image's pyenv) if present.
async function findClis() {
  const clis = [];
  if (existsSync('/usr/bin/aws')) clis.push('/usr/bin/aws');
  try {
    const { stdout, stderr } = await run('aws', ['--version']);
    const { stdout: where } = await run('sh', ['-c', 'command -v aws']);
    if (/aws-cli\/1\./.test(stdout + stderr) && where.trim() !== '/usr/bin/aws') clis.push(where.trim());
  } catch { /* no aws on PATH */ }
  return clis;
}

let waggle;
let clis;
const now = Math.floor(Date.now() / 1000);
const traces = { fault: xrayTraceId(now - 30), ok: xrayTraceId(now - 20), other: xrayTraceId(now - 10) };
const ids = { root: segmentId(), call: segmentId(), db: segmentId(), callee: segmentId(), streamed: segmentId() };

function env(secret = SECRET_KEY) {
  return { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
}

async function aws(cli, args, { secret } = {}) {
  const { stdout } = await run(cli, ['xray', ...args, '--endpoint-url', waggle.url(''), '--output', 'json'],
    { env: env(secret) });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

async function awsError(cli, args, options) {
  const error = await aws(cli, args, options).then(() => null, (e) => e);
  assert.ok(error, `expected aws ${args[0]} to fail`);
  return error.stderr;
}

before(async () => {
  clis = await findClis();
  assert.ok(clis.length > 0, 'no aws CLI found; scripts/install-deps.sh installs Debian awscli');
  waggle = await startWaggle({ args: ['--aws-access-key', `${ACCESS_KEY}:${SECRET_KEY}`] });
  // backend-flask: a faulting trace (its DynamoDB call throttled, a remote call to
  // backend-api, which sent its own segment), an ok trace, and a trace of another service.
  const t = now - 30;
  await sendDatagrams(waggle.xray, [
    { trace_id: traces.fault, id: ids.root, name: 'backend-flask', origin: 'AWS::EC2::Instance', start_time: t, end_time: t + 0.25,
      fault: true, user: 'andrewbrown', annotations: { user_handle: 'andrewbrown', result_count: 2 },
      http: { request: { method: 'GET', url: 'http://127.0.0.1:4567/api/activities/home', client_ip: '127.0.0.1' }, response: { status: 500 } },
      subsegments: [
        { id: ids.call, name: 'backend-api', namespace: 'remote', start_time: t + 0.01, end_time: t + 0.2, fault: true,
          http: { request: { method: 'GET', url: 'http://backend-api/x' }, response: { status: 503 } } },
        { id: ids.db, name: 'DynamoDB', namespace: 'aws', start_time: t + 0.2, end_time: t + 0.22, throttle: true, error: true,
          aws: { operation: 'Query', table_name: 'activities' } },
      ] },
    { trace_id: traces.fault, id: ids.callee, parent_id: ids.call, name: 'backend-api', start_time: t + 0.02, end_time: t + 0.19,
      fault: true, cause: { exceptions: [{ message: 'db down', type: 'IOError' }] }, http: { response: { status: 503 } } },
    { type: 'subsegment', trace_id: traces.fault, parent_id: ids.root, id: ids.streamed, name: 'streamed', start_time: t + 0.22, end_time: t + 0.23 },
    { trace_id: traces.ok, id: segmentId(), name: 'backend-flask', start_time: now - 20, end_time: now - 19.99,
      http: { request: { method: 'GET', url: 'http://127.0.0.1:4567/api/health' }, response: { status: 200 } } },
    { trace_id: traces.other, id: segmentId(), name: 'frontend', start_time: now - 10, end_time: now - 9.9, fault: true },
  ]);
  await eventually(async () => (await fetch(waggle.url(`/api/traces/${traces.other}`))).ok);
});
after(async () => { await waggle?.stop(); waggle?.cleanup(); });

test('the tutorial commands work with every aws CLI', async () => {
  const sentByCli = [];  // traces put with put-trace-segments by the CLIs before
  for (const cli of clis) {
    const suffix = clis.indexOf(cli) === 0 ? '' : 'V1';
    const group = await aws(cli, ['create-group', '--group-name', `Cruddur${suffix}`, '--filter-expression', 'service("backend-flask")']);
    assert.equal(group.Group.GroupName, `Cruddur${suffix}`);
    assert.equal(group.Group.FilterExpression, 'service("backend-flask")');
    assert.match(group.Group.GroupARN, new RegExp(`^arn:aws:xray:us-east-1:\\d{12}:group/Cruddur${suffix}/`));

    const file = path.join(waggle.dataDir, `xray${suffix}.json`);
    writeFileSync(file, JSON.stringify({ SamplingRule: { RuleName: `Cruddur${suffix}`, ResourceARN: '*', Priority: 9000,
      FixedRate: 0.1, ReservoirSize: 5, ServiceName: 'backend-flask', ServiceType: '*', Host: '*', HTTPMethod: '*',
      URLPath: '*', Version: 1 } }));
    const rule = await aws(cli, ['create-sampling-rule', '--cli-input-json', `file://${file}`]);
    assert.equal(rule.SamplingRuleRecord.SamplingRule.RuleARN, `arn:aws:xray:us-east-1:000000000000:sampling-rule/Cruddur${suffix}`);
    assert.equal(rule.SamplingRuleRecord.SamplingRule.ReservoirSize, 5);

    const summaries = await aws(cli, ['get-trace-summaries', '--start-time', String(now - 120), '--end-time', String(now + 60),
      '--filter-expression', 'service("backend-flask") { fault }']);
    assert.deepEqual(summaries.TraceSummaries.map((s) => s.Id), [traces.fault]);
    const summary = summaries.TraceSummaries[0];
    assert.equal(summary.HasFault, true);
    assert.equal(summary.HasThrottle, true);
    assert.equal(summary.Http.HttpStatus, 500);
    assert.equal(summary.Http.HttpURL, 'http://127.0.0.1:4567/api/activities/home');
    assert.equal(summary.Annotations.user_handle[0].AnnotationValue.StringValue, 'andrewbrown');
    assert.equal(summary.Annotations.result_count[0].AnnotationValue.NumberValue, 2);
    assert.deepEqual(summary.Users.map((u) => u.UserName), ['andrewbrown']);
    assert.deepEqual(summary.ServiceIds.map((s) => s.Name).sort(), ['backend-api', 'backend-flask']);
    assert.equal(summary.EntryPoint.Name, 'backend-flask');
    assert.equal(summary.ResponseTime, 0.25);

    const all = await aws(cli, ['get-trace-summaries', '--start-time', String(now - 120), '--end-time', String(now + 60)]);
    assert.deepEqual(all.TraceSummaries.map((s) => s.Id).sort(), [...Object.values(traces), ...sentByCli].sort());
    const byGroup = await aws(cli, ['get-trace-summaries', '--start-time', String(now - 120), '--end-time', String(now + 60),
      '--filter-expression', `group.name = "Cruddur${suffix}" AND !fault`]);
    assert.deepEqual(byGroup.TraceSummaries.map((s) => s.Id), [traces.ok]);
    const rootCause = await aws(cli, ['get-trace-summaries', '--start-time', String(now - 120), '--end-time', String(now + 60),
      '--filter-expression', 'rootcause.fault.service { name = "backend-api" } AND annotation.result_count >= 2']);
    assert.deepEqual(rootCause.TraceSummaries.map((s) => s.Id), [traces.fault]);

    const batch = await aws(cli, ['batch-get-traces', '--trace-ids', traces.fault, '1-5759e988-bd862e3fe1be46a994272793']);
    assert.deepEqual(batch.UnprocessedTraceIds, ['1-5759e988-bd862e3fe1be46a994272793']);
    assert.equal(batch.Traces.length, 1);
    assert.equal(batch.Traces[0].Id, traces.fault);
    assert.equal(batch.Traces[0].Duration, 0.25);
    const docs = Object.fromEntries(batch.Traces[0].Segments.map((s) => [s.Id, JSON.parse(s.Document)]));
    assert.deepEqual(Object.keys(docs).sort(), [ids.callee, ids.root].sort());
    assert.equal(docs[ids.root].annotations.user_handle, 'andrewbrown');
    // The subsegment sent on its own is put under its parent.
    assert.deepEqual(docs[ids.root].subsegments.map((s) => s.id), [ids.call, ids.db, ids.streamed]);
    assert.equal(docs[ids.callee].cause.exceptions[0].message, 'db down');

    const graph = await aws(cli, ['get-service-graph', '--start-time', String(now - 120), '--end-time', String(now + 60)]);
    const byName = Object.fromEntries(graph.Services.map((s) => [`${s.Name}|${s.Type ?? ''}`, s]));
    const flask = byName['backend-flask|AWS::EC2::Instance'];
    const api = byName['backend-api|'];
    const dynamo = byName['DynamoDB|AWS::DynamoDB'];
    const client = byName['client|client'];
    assert.ok(flask && api && dynamo && client, JSON.stringify(Object.keys(byName)));
    assert.equal(flask.Root, true);
    assert.equal(dynamo.State, 'unknown');
    assert.equal(flask.SummaryStatistics.TotalCount, 1);
    assert.equal(flask.SummaryStatistics.FaultStatistics.TotalCount, 1);
    const edgeTo = (from, to) => from.Edges.find((e) => e.ReferenceId === to.ReferenceId);
    assert.equal(edgeTo(client, flask).SummaryStatistics.TotalCount, 1);
    assert.equal(edgeTo(flask, api).SummaryStatistics.FaultStatistics.TotalCount, 1);
    assert.equal(edgeTo(flask, dynamo).SummaryStatistics.ErrorStatistics.ThrottleCount, 1);
    assert.equal(edgeTo(flask, dynamo).ResponseTimeHistogram[0].Value, 0.02);
    const grouped = await aws(cli, ['get-service-graph', '--start-time', String(now - 120), '--end-time', String(now + 60),
      '--group-name', `Cruddur${suffix}`]);
    assert.ok(!grouped.Services.some((s) => s.Name === 'frontend'));

    const sentId = xrayTraceId(now);
    sentByCli.push(sentId);
    const sent = { trace_id: sentId, id: segmentId(), name: 'cli-sent', start_time: now, end_time: now + 0.5,
      annotations: { via: cli } };
    const put = await aws(cli, ['put-trace-segments', '--trace-segment-documents', JSON.stringify(sent), '{"name":"broken"}']);
    assert.equal(put.UnprocessedTraceSegments.length, 1);
    assert.match(put.UnprocessedTraceSegments[0].Message, /trace_id/);
    const back = await aws(cli, ['batch-get-traces', '--trace-ids', sentId]);
    assert.deepEqual(JSON.parse(back.Traces[0].Segments[0].Document), sent);
    const lookup = await (await fetch(waggle.url(`/api/traces/${sentId}`))).json();
    assert.equal(lookup.resourceSpans[0].scopeSpans[0].spans[0].name, 'cli-sent');

    const rules = await aws(cli, ['get-sampling-rules']);
    assert.ok(rules.SamplingRuleRecords.some((r) => r.SamplingRule.RuleName === 'Default' && r.SamplingRule.Priority === 10000));
    const updated = await aws(cli, ['update-sampling-rule', '--sampling-rule-update', `RuleName=Cruddur${suffix},FixedRate=0.2`]);
    assert.equal(updated.SamplingRuleRecord.SamplingRule.FixedRate, 0.2);
    assert.match(await awsError(cli, ['delete-sampling-rule', '--rule-name', 'Default']),
      /InvalidRequestException.*Default sampling rule cannot be deleted/);
    assert.match(await awsError(cli, ['create-group', '--group-name', 'Bad', '--filter-expression', 'service("a") { fault AND }']),
      /InvalidRequestException.*at character 26: unexpected .}./);
    assert.match(await awsError(cli, ['get-groups'], { secret: 'wrong' }), /InvalidSignatureException/);
    const groups = await aws(cli, ['get-groups']);
    assert.ok(groups.Groups.some((g) => g.GroupName === `Cruddur${suffix}`));
  }
});

test('unsigned requests are refused in X-Ray\'s shape', async () => {
  const response = await fetch(waggle.url('/Groups'), { method: 'POST', body: '{}' });
  assert.equal(response.status, 403);
  assert.equal(response.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  assert.equal((await response.json()).__type, 'MissingAuthenticationTokenException');
});

test('the trace is also served by /api/traces/<id>, in either id form', async () => {
  const hex = traces.fault.slice(2).replace('-', '');
  for (const id of [traces.fault, hex]) {
    const body = await (await fetch(waggle.url(`/api/traces/${id}`))).json();
    const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.deepEqual(spans.map((s) => s.name).sort(), ['DynamoDB', 'backend-api', 'backend-api', 'backend-flask', 'streamed']);
    assert.ok(spans.every((s) => s.traceId === hex));
  }
});

test('rules and groups survive a restart', async () => {
  await waggle.stop();
  waggle = await startWaggle({ dataDir: waggle.dataDir, args: ['--aws-access-key', `${ACCESS_KEY}:${SECRET_KEY}`] });
  const rules = await aws(clis[0], ['get-sampling-rules']);
  const cruddur = rules.SamplingRuleRecords.find((r) => r.SamplingRule.RuleName === 'Cruddur');
  assert.equal(cruddur.SamplingRule.FixedRate, 0.2);
  const group = await aws(clis[0], ['get-group', '--group-name', 'Cruddur']);
  assert.equal(group.Group.FilterExpression, 'service("backend-flask")');
  await aws(clis[0], ['delete-group', '--group-name', 'Cruddur']);
  await aws(clis[0], ['delete-sampling-rule', '--rule-name', 'Cruddur']);
  assert.ok(!(await aws(clis[0], ['get-groups'])).Groups.some((g) => g.GroupName === 'Cruddur'));
});

test('the daemon port counts malformed datagrams, and a completed document replaces its in-progress one', async () => {
  const before = (await (await fetch(waggle.url('/api/status'))).json()).xray_udp;
  const traceId = xrayTraceId(now);
  const id = segmentId();
  const open = { trace_id: traceId, id, name: 'slow-job', start_time: now, in_progress: true };
  const done = { trace_id: traceId, id, name: 'slow-job', start_time: now, end_time: now + 3, error: true };
  await sendDatagrams(waggle.xray, [
    'not a datagram',
    '{"format":"xml","version":1}\n{}',
    '{"format":"json","version":1}\n{"trace_id":"1-abc","id":"x"}',
    done,   // the completed document first...
    open,   // ...then the in-progress one it replaces, arriving late
  ]);
  const status = await eventually(async () => {
    const s = (await (await fetch(waggle.url('/api/status'))).json()).xray_udp;
    return s.datagrams - before.datagrams === 5 && s.documents_stored - before.documents_stored === 2 ? s : undefined;
  });
  assert.equal(status.malformed - before.malformed, 3);
  const traces = await aws(clis[0], ['batch-get-traces', '--trace-ids', traceId]);
  assert.deepEqual(traces.Traces[0].Segments.map((s) => JSON.parse(s.Document)), [done]);
  assert.equal(traces.Traces[0].Duration, 3);
  const summaries = await aws(clis[0], ['get-trace-summaries', '--start-time', String(now - 5), '--end-time', String(now + 5),
    '--filter-expression', 'service("slow-job") { error } AND duration >= 3']);
  assert.deepEqual(summaries.TraceSummaries.map((s) => s.Id), [traceId]);
  assert.equal(summaries.TraceSummaries[0].IsPartial, false);
});
