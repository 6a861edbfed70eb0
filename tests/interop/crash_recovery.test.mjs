// Durability: every span acknowledged with a 200 survives SIGKILL of the server mid-stream.
// Several clients send concurrently; the server is killed at a random moment, restarted on
// the same data directory, and every acknowledged trace must come back whole. Two rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWaggle, makeDataDir } from './waggle_process.mjs';

const SPANS_PER_TRACE = 20;

function traceBody(traceId) {
  const spans = [];
  for (let i = 0; i < SPANS_PER_TRACE; i++) {
    spans.push({
      traceId, spanId: randomBytes(8).toString('hex'), name: `op-${i}`, kind: 2,
      startTimeUnixNano: '1795481908693000000', endTimeUnixNano: '1795481908694005690',
      attributes: [{ key: 'i', value: { intValue: i } }],
    });
  }
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [
    { key: 'service.name', value: { stringValue: 'crash-test' } }] }, scopeSpans: [{ spans }] }] });
}

async function sendUntilDead(waggle, acked) {
  for (;;) {
    const traceId = randomBytes(16).toString('hex');
    try {
      const res = await fetch(waggle.url('/v1/traces'), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: traceBody(traceId),
      });
      if (res.status === 200) acked.push(traceId);
      else await res.arrayBuffer();
    } catch {
      return;  // the server is gone
    }
  }
}

test('acknowledged spans survive kill -9, twice', async () => {
  const dataDir = makeDataDir();
  const acked = [];
  for (let round = 0; round < 2; round++) {
    const waggle = await startWaggle({ dataDir });
    const senders = Array.from({ length: 6 }, () => sendUntilDead(waggle, acked));
    await new Promise((r) => setTimeout(r, 700 + Math.random() * 800));
    const { signal } = await waggle.kill();
    assert.equal(signal, 'SIGKILL');
    await Promise.all(senders);
  }
  assert.ok(acked.length > 50, `only ${acked.length} traces were acknowledged before the kills`);

  const waggle = await startWaggle({ dataDir });
  try {
    let missing = 0;
    for (const traceId of acked) {
      const res = await fetch(waggle.url(`/api/traces/${traceId}`));
      if (res.status !== 200) { missing++; continue; }
      const body = await res.json();
      const count = body.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans).length;
      if (count !== SPANS_PER_TRACE) missing++;
    }
    assert.equal(missing, 0, `${missing} of ${acked.length} acknowledged traces lost or incomplete`);
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});
