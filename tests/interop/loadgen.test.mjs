// `waggle loadgen` against a real server, over each OTLP protocol: what it reports as sent is
// what the store holds, traces are whole and well-formed, and a bad flag gets a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startWaggle, storedEvents, WAGGLE_BIN } from './waggle_process.mjs';

const run = promisify(execFile);

test('loadgen sends what it reports, over http/protobuf, http/json and grpc', async () => {
  const waggle = await startWaggle({ args: ['--flush-interval', '200ms'] });
  const idsFile = path.join(tmpdir(), `waggle-loadgen-ids-${process.pid}.txt`);
  try {
    let expected = 0;
    for (const protocol of ['http/protobuf', 'http/json', 'grpc']) {
      const endpoint = `http://${protocol === 'grpc' ? waggle.grpc : waggle.http}`;
      // 8 workers: on the ClickHouse store a request waits for its INSERT (40-80 ms on a busy
      // machine), and the rate is only capped if the workers could send more.
      const { stdout } = await run(WAGGLE_BIN, ['loadgen', '--endpoint', endpoint, '--protocol', protocol,
        '--rate', '20000', '--duration', '1s', '--batch', '100', '--pool', '20', '--workers', '8',
        '--seed', String(expected + 1), '--json', '--trace-ids-out', idsFile]);
      const summary = JSON.parse(stdout);
      assert.equal(summary.errors, 0, `${protocol}: ${stdout}`);
      assert.ok(summary.spans > 5000 && summary.spans < 30000, `${protocol}: rate not honoured: ${stdout}`);
      expected += summary.spans;
      // Span events (the exceptions on failed traces) are stored as events of their own.
      const stored = await storedEvents(waggle);
      assert.ok(stored >= expected && stored < expected * 1.05, `${protocol}: stored ${stored}, sent ${expected}`);
    }
    // Sampled traces read back whole: every span's parent is in the trace, across services.
    const ids = readFileSync(idsFile, 'utf8').trim().split('\n');
    assert.ok(ids.length >= 3);
    for (const id of ids.slice(0, 10)) {
      const res = await fetch(waggle.url(`/api/traces/${id}`));
      assert.equal(res.status, 200);
      const body = await res.json();
      const spans = body.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans);
      const services = new Set(body.resourceSpans.map((r) =>
        r.resource.attributes.find((a) => a.key === 'service.name').value.stringValue));
      assert.deepEqual([...services].sort(), ['backend-flask', 'frontend']);
      const spanIds = new Set(spans.map((s) => s.spanId));
      for (const s of spans) if (s.parentSpanId) assert.ok(spanIds.has(s.parentSpanId), `orphan span in ${id}`);
      for (const s of spans) assert.ok(s.attributes.length >= 1);
    }
  } finally {
    rmSync(idsFile, { force: true });
    await waggle.stop();
    waggle.cleanup();
  }
});

test('loadgen rejects bad flags with a message', async () => {
  await assert.rejects(run(WAGGLE_BIN, ['loadgen', '--protocol', 'carrier-pigeon']),
    (e) => e.code === 2 && /expected http\/protobuf, http\/json or grpc/.test(e.stderr));
  await assert.rejects(run(WAGGLE_BIN, ['loadgen', '--duration', 'forever']),
    (e) => e.code === 2 && /--duration 'forever'/.test(e.stderr));
});
