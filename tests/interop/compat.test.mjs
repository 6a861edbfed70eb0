// A data directory written by an earlier release (tests/fixtures/README.md) opens and reads
// as that release read it: parts and write-ahead log, traces, a query over every span field,
// and the column list, byte for byte. Then it takes new spans and opens again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWaggle, makeDataDir, runQuery } from './waggle_process.mjs';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const answer = (name) => readFileSync(path.join(FIXTURES, 'datadir-f57a897-answers', name), 'utf8');
// Query results as values: the order of an object's keys is not part of the answer.
const sortedKeys = (v) => Array.isArray(v) ? v.map(sortedKeys)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k])])) : v;

test('a data directory of release f57a897 reads as that release read it', async () => {
  const dataDir = makeDataDir();
  cpSync(path.join(FIXTURES, 'datadir-f57a897'), dataDir, { recursive: true });
  let waggle = await startWaggle({ dataDir });
  try {
    const status = await (await fetch(waggle.url('/api/status'))).json();
    assert.equal(status.parts, 2, JSON.stringify(status));
    assert.equal(status.head_events, 1, 'the span only in the log was replayed');
    for (const id of ['0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736']) {
      const r = await fetch(waggle.url(`/api/traces/${id}`));
      assert.equal(r.status, 200);
      assert.equal(await r.text(), answer(`trace-${id.slice(0, 8)}.json`), id);
    }
    assert.equal(JSON.stringify(sortedKeys(await runQuery(waggle, answer('query.json')))),
      JSON.stringify(sortedKeys(JSON.parse(answer('query-results.json')))));
    assert.equal(await (await fetch(waggle.url('/1/columns/checkout'))).text(), answer('columns-checkout.json'));

    // It goes on: a new span beside the old ones, through a restart.
    const body = answer('sent-payments.json').replaceAll('4bf92f3577b34da6a3ce929d0e0e4736', '5bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal((await fetch(waggle.url('/v1/traces'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body,
    })).status, 200);
    await waggle.stop();
    waggle = await startWaggle({ dataDir });
    assert.equal((await fetch(waggle.url('/api/traces/5bf92f3577b34da6a3ce929d0e0e4736'))).status, 200);
    assert.equal(await (await fetch(waggle.url('/api/traces/0af7651916cd43dd8448eb211c80319c'))).text(),
      answer('trace-0af76519.json'));
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});
