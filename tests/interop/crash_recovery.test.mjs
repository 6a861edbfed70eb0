// Durability: every span acknowledged with a 200 survives SIGKILL of the server mid-stream.
// Several clients send concurrently; the server is killed at a random moment, restarted on
// the same data directory, and every acknowledged trace must come back whole. The server
// runs with a tiny head (--flush-bytes 32KiB, --flush-interval 100ms) and --retention 7d
// while half the traces are 10 days old, so the kills land during flushes, merges and
// retention drops too: old traces may be gone (retention) but never half there, and no
// lookup may trip on a part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startWaggle, makeDataDir } from './waggle_process.mjs';

const SPANS_PER_TRACE = 20;

const FLUSH_ARGS = ['--flush-bytes', '32KiB', '--flush-interval', '100ms', '--retention', '7d'];
const DAY_NS = 86400n * 1000000000n;

function traceBody(traceId, old) {
  const start = BigInt(Date.now()) * 1000000n - (old ? 10n * DAY_NS : 0n);
  const spans = [];
  for (let i = 0; i < SPANS_PER_TRACE; i++) {
    spans.push({
      traceId, spanId: randomBytes(8).toString('hex'), name: `op-${i}`, kind: 2,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1005690n),
      attributes: [{ key: 'i', value: { intValue: i } }],
    });
  }
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [
    { key: 'service.name', value: { stringValue: 'crash-test' } }] }, scopeSpans: [{ spans }] }] });
}

async function sendUntilDead(waggle, acked, ackedOld) {
  for (let n = 0; ; n++) {
    const traceId = randomBytes(16).toString('hex');
    const old = n % 2 === 1;
    try {
      const res = await fetch(waggle.url('/v1/traces'), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: traceBody(traceId, old),
      });
      if (res.status === 200) (old ? ackedOld : acked).push(traceId);
      else await res.arrayBuffer();
    } catch {
      return;  // the server is gone
    }
  }
}

test('acknowledged spans survive kill -9 during ingest, flushes, merges and retention, three times', async () => {
  const dataDir = makeDataDir();
  const acked = [];
  const ackedOld = [];
  for (let round = 0; round < 3; round++) {
    const waggle = await startWaggle({ dataDir, args: FLUSH_ARGS });
    const senders = Array.from({ length: 6 }, () => sendUntilDead(waggle, acked, ackedOld));
    await new Promise((r) => setTimeout(r, 700 + Math.random() * 800));
    const { signal } = await waggle.kill();
    assert.equal(signal, 'SIGKILL');
    await Promise.all(senders);
  }
  assert.ok(acked.length > 50, `only ${acked.length} traces were acknowledged before the kills`);

  const waggle = await startWaggle({ dataDir, args: FLUSH_ARGS });
  try {
    const spanCount = async (traceId) => {
      const res = await fetch(waggle.url(`/api/traces/${traceId}`));
      if (res.status === 404) return 0;
      if (res.status !== 200) assert.fail(`lookup of ${traceId}: ${res.status} ${await res.text()}`);
      const body = await res.json();
      return body.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans).length;
    };
    let missing = 0;
    for (const traceId of acked) {
      if (await spanCount(traceId) !== SPANS_PER_TRACE) missing++;
    }
    assert.equal(missing, 0, `${missing} of ${acked.length} acknowledged traces lost or incomplete`);
    for (const traceId of ackedOld) {
      assert.ok([0, SPANS_PER_TRACE].includes(await spanCount(traceId)), `old trace ${traceId} is partial`);
    }
    // The data went through parts, not only the log.
    const parts = readdirSync(path.join(dataDir, 'parts')).filter((f) => f.endsWith('.part'));
    assert.ok(parts.length > 0, 'no part was written');
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});
