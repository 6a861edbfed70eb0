// Bad and extreme input at the edges, each with its documented behaviour (docs/reliability.md):
// refused with a message naming what is wrong, or clamped and marked; never a crash. The
// server answers a health check after each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWaggle } from './waggle_process.mjs';

const hex = (n) => [...Array(n)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
const now = BigInt(Date.now()) * 1000000n;
const span = (extra = {}) => ({ traceId: hex(32), spanId: hex(16), name: 'op', kind: 2,
  startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000000n), ...extra });
const request = (spans) => `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"edges"}}]},"scopeSpans":[{"spans":[${spans.join(',')}]}]}]}`;

async function post(waggle, body) {
  const r = await fetch(waggle.url('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: r.status, body: await r.json() };
}

async function storedSpan(waggle, traceId) {
  const r = await fetch(waggle.url(`/api/traces/${traceId}`));
  assert.equal(r.status, 200);
  const s = (await r.json()).resourceSpans[0].scopeSpans[0].spans[0];
  return { ...s, fields: Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]])) };
}

async function rawHttp(waggle, text) {
  const [host, port] = waggle.http.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host, () => socket.write(text));
    let got = '';
    socket.on('data', (d) => { got += d; });
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
}

test('oversized, deep, extreme and malformed input: refused with a message or clamped and marked', async () => {
  const waggle = await startWaggle();
  const healthy = async () => assert.equal((await fetch(waggle.url('/healthz'))).status, 200);
  try {
    // Deep nesting: bounded (32 levels of AnyValue in OTLP/JSON; simdjson's own depth limit before that).
    let deep = '{"stringValue":"leaf"}';
    for (let i = 0; i < 40; i++) deep = `{"arrayValue":{"values":[${deep}]}}`;
    let r = await post(waggle, request([JSON.stringify(span()).slice(0, -1) + `,"attributes":[{"key":"d","value":${deep}}]}`]));
    assert.equal(r.status, 400);
    assert.match(r.body.message, /nest deeper than 32 levels/);
    for (let i = 0; i < 5000; i++) deep = `{"kvlistValue":{"values":[{"key":"k","value":${deep}}]}}`;
    r = await post(waggle, request([JSON.stringify(span()).slice(0, -1) + `,"attributes":[{"key":"d","value":${deep}}]}`]));
    assert.equal(r.status, 400);
    assert.match(r.body.message, /too deep/);
    await healthy();

    // Too many attributes and oversized values: stored, clamped, marked.
    const wide = span({ name: 'n'.repeat(100000), attributes: [
      { key: 'big', value: { stringValue: 'x'.repeat(5 << 20) } },
      ...Array.from({ length: 20000 }, (_, i) => ({ key: `a${i}`, value: { intValue: String(i) } }))] });
    r = await post(waggle, request([JSON.stringify(wide)]));
    assert.equal(r.status, 200);
    const stored = await storedSpan(waggle, wide.traceId);
    assert.equal(stored.name.length, 65535);
    assert.equal(stored.fields.big.length, 65535);
    assert.equal(stored.fields['meta.truncated_values'], '2');
    assert.equal(stored.fields['meta.dropped_attributes'], '18001');
    assert.equal(stored.attributes.length, 2000 + 2);
    await healthy();

    // An all-zero span id: that span rejected (partial_success), the others kept. In OTLP/JSON
    // an id of the wrong length is a malformed body (400 naming the field); in protobuf it is a
    // rejected span like this one (otlp_span_mapper_test).
    const good = span();
    r = await post(waggle, request([JSON.stringify(good), JSON.stringify(span({ spanId: '0'.repeat(16) }))]));
    assert.equal(r.status, 200);
    assert.equal(r.body.partialSuccess.rejectedSpans, '1');
    r = await post(waggle, request([JSON.stringify(span({ traceId: hex(30) }))]));
    assert.equal(r.status, 400);
    assert.match(r.body.message, /traceId: expected 32 hex digits, got 30/);
    assert.equal((await fetch(waggle.url(`/api/traces/${good.traceId}`))).status, 200);

    // Times: 1970 and the largest int64 are stored as given; past uint64 refused; ending before
    // starting is clamped to 0 and marked.
    const ancient = span({ startTimeUnixNano: '1', endTimeUnixNano: '2' });
    const future = span({ startTimeUnixNano: '9223372036854775807', endTimeUnixNano: '9223372036854775807' });
    const backwards = span({ startTimeUnixNano: String(now), endTimeUnixNano: String(now - 5n) });
    r = await post(waggle, request([ancient, future, backwards].map((s) => JSON.stringify(s))));
    assert.equal(r.status, 200);
    assert.equal((await storedSpan(waggle, ancient.traceId)).startTimeUnixNano, '1');
    assert.equal((await storedSpan(waggle, future.traceId)).startTimeUnixNano, '9223372036854775807');
    const b = await storedSpan(waggle, backwards.traceId);
    assert.equal(b.endTimeUnixNano, b.startTimeUnixNano);
    r = await post(waggle, request([JSON.stringify(span({ startTimeUnixNano: '99999999999999999999' }))]));
    assert.equal(r.status, 400);
    assert.match(r.body.message, /startTimeUnixNano: expected an unsigned integer/);

    // Invalid UTF-8 / lone surrogates in JSON: refused by the JSON parser with its reason.
    r = await post(waggle, request([JSON.stringify(span()).replace('"op"', '"\\ud800x"')]));
    assert.equal(r.status, 400);
    assert.match(r.body.message, /not valid JSON/);
    await healthy();

    // HTTP itself: headers over 64 KiB get 431; garbage gets 400 with the parser's reason.
    const big = await rawHttp(waggle, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(70000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    const garbage = await rawHttp(waggle, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    assert.match(garbage, /malformed HTTP request/);
    await healthy();
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});
