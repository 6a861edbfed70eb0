// API keys: the X-Ray API is closed once keys are configured (SigV4 or a Waggle key), writes
// need the `all` scope, and no key, right or wrong, ever appears in Waggle's log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWaggle } from './waggle_process.mjs';

const INGEST = 'ingest-secret-7f3a91';
const QUERY = 'query-secret-c2d8e4';
const ALL = 'all-secret-9b1e55';
const WRONG = 'wrong-secret-0d6f22';

test('keys scope the X-Ray API and the Honeycomb API, and are never logged', async () => {
  const waggle = await startWaggle({ args: ['--api-key', `${INGEST}:ingest`, '--api-key', `${QUERY}:query`, '--api-key', `${ALL}:all`] });
  const xray = (op, body, key) => fetch(waggle.url(op), { method: 'POST', body: JSON.stringify(body),
    headers: key ? { 'x-honeycomb-team': key } : {} });
  try {
    // Unsigned and keyless: refused, saying what to send.
    let r = await xray('/Groups', {});
    assert.equal(r.status, 403);
    assert.match((await r.json()).message, /send a Waggle API key in x-honeycomb-team/);
    r = await xray('/Groups', {}, WRONG);
    assert.equal(r.status, 403);
    // A query key reads, but may not create; an ingest key may not read; `all` does both.
    assert.equal((await xray('/Groups', {}, QUERY)).status, 200);
    r = await xray('/CreateGroup', { GroupName: 'g', FilterExpression: 'fault' }, QUERY);
    assert.equal(r.status, 403);
    assert.match((await r.json()).message, /all scope/);
    assert.equal((await xray('/Groups', {}, INGEST)).status, 403);
    assert.equal((await xray('/CreateGroup', { GroupName: 'g', FilterExpression: 'fault' }, ALL)).status, 200);
    assert.ok((await (await xray('/Groups', {}, QUERY)).json()).Groups.some((g) => g.GroupName === 'g'));
    // The Honeycomb side: ingest key sends, query key reads.
    r = await fetch(waggle.url('/1/events/keys'), { method: 'POST', headers: { 'x-honeycomb-team': INGEST }, body: '{"a":1}' });
    assert.equal(r.status, 200);
    r = await fetch(waggle.url('/1/events/keys'), { method: 'POST', headers: { 'x-honeycomb-team': QUERY }, body: '{"a":1}' });
    assert.equal(r.status, 403);
    r = await fetch(waggle.url('/1/columns/keys'), { headers: { 'x-honeycomb-team': WRONG } });
    assert.equal(r.status, 401);
    assert.equal((await fetch(waggle.url('/1/columns/keys'), { headers: { 'x-honeycomb-team': QUERY } })).status, 200);
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
  for (const secret of [INGEST, QUERY, ALL, WRONG]) {
    assert.ok(!waggle.stderr().includes(secret), `a key appeared in the log: ${secret}`);
  }
});
