// The command-line and HTTP contract of `waggle serve`: ports, loopback rule, config file and
// WAGGLE_* environment, clean SIGTERM, error answers, `waggle trace` and `waggle version`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { startWaggle, makeDataDir, WAGGLE_BIN } from './waggle_process.mjs';

const run = promisify(execFile);
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const body = (traceId = TRACE) => JSON.stringify({ resourceSpans: [{
  resource: { attributes: [{ key: 'service.name', value: { stringValue: 'contract' } }] },
  scopeSpans: [{ spans: [
    { traceId, spanId: '00f067aa0ba902b7', name: 'root', kind: 2,
      startTimeUnixNano: '1000000000', endTimeUnixNano: '1012500000' },
    { traceId, spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'child',
      startTimeUnixNano: '1001000000', endTimeUnixNano: '1003000000', status: { code: 2 } }] }] }] });
const post = (waggle, data, headers = {}) => fetch(waggle.url('/v1/traces'), {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: data });

test('refuses to listen beyond loopback without API keys, and says why', async () => {
  const result = await run(WAGGLE_BIN, ['serve', '--data-dir', makeDataDir(), '--http', '0.0.0.0:0', '--grpc', '127.0.0.1:0',
    '--xray', '127.0.0.1:0'])
    .catch((e) => e);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0:0 without API keys/);
});

test('bad flags get a message naming the flag', async () => {
  const result = await run(WAGGLE_BIN, ['serve', '--data-dir', makeDataDir(), '--http', 'nonsense', '--xray', '127.0.0.1:0']).catch((e) => e);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /--http 'nonsense'/);
  for (const [args, message] of [
    [['--store', 'postgres://x/y'], /--store postgres:\/\/x\/y: unknown scheme; expected clickhouse:\/\/HOST:8123\/DATABASE/],
    [['--store', 'clickhouse://h:80x/db'], /the port is not a number/],
    [['--store', 'clickhouse://127.0.0.1:1/db', '--retention', '7d'], /--retention and --max-disk apply to the embedded store/],
    [['--store', 'clickhouse://127.0.0.1:1/db'], /--store http:\/\/127\.0\.0\.1:1\/db: cannot create the schema: ClickHouse at .* cannot be reached/],
    [['--api-key', 'k:query:../x'], /team '\.\.\/x' is not a valid name/],
    [['--aws-access-key', 'AKID:secret:a b'], /--aws-access-key: expected ACCESS_KEY_ID:SECRET\[:TEAM\]/],
    [['--api-key', 'k:all:a', '--api-key', 'k:query:b'], /one key is given for teams 'a' and 'b'; a key belongs to one team/],
    [['--aws-access-key', 'AKID:s:a', '--aws-access-key', 'AKID:s:b'], /access key id AKID is given for teams 'a' and 'b'/],
    [['--api-key', 'k', '--xray-team', '../x'], /--xray-team '\.\.\/x'/],
  ]) {
    const bad = await run(WAGGLE_BIN, ['serve', '--data-dir', makeDataDir(), '--http', '127.0.0.1:0', '--grpc', '127.0.0.1:0', '--xray', 'off', ...args]).catch((e) => e);
    assert.notEqual(bad.code, 0, args.join(' '));
    assert.match(bad.stderr, message);
  }
});

test('keys come from a config file and from WAGGLE_API_KEY', async () => {
  const dir = makeDataDir();
  const config = path.join(dir, 'waggle.toml');
  writeFileSync(config, `[serve]\napi-key = ["cfg-key:all"]\n`);
  const fromFile = await startWaggle({ dataDir: `${dir}/data`, args: ['--config', config] });
  try {
    assert.equal((await post(fromFile, body())).status, 401);
    assert.equal((await post(fromFile, body(), { 'x-honeycomb-team': 'cfg-key' })).status, 200);
  } finally { await fromFile.stop(); }
  const fromEnv = await startWaggle({ env: { WAGGLE_API_KEY: 'env-a:ingest,env-b:query' } });
  try {
    assert.equal((await post(fromEnv, body(), { 'x-honeycomb-team': 'env-b' })).status, 403);
    assert.equal((await post(fromEnv, body(), { 'x-honeycomb-team': 'env-a' })).status, 200);
  } finally { await fromEnv.stop(); fromEnv.cleanup(); }
});

test('SIGTERM shuts down cleanly and keeps what was acknowledged', async () => {
  const dataDir = makeDataDir();
  const first = await startWaggle({ dataDir });
  assert.equal((await post(first, body())).status, 200);
  const { code } = await first.stop();
  assert.equal(code, 0);
  assert.match(first.stderr(), /shut down cleanly/);
  const second = await startWaggle({ dataDir });
  try {
    const res = await fetch(second.url(`/api/traces/${TRACE}`));
    assert.equal(res.status, 200);
  } finally { await second.stop(); second.cleanup(); }
});

test('HTTP errors: 400, 404, 405, 413, 415 with messages; gzip bombs stopped', async () => {
  const waggle = await startWaggle();
  try {
    let res = await post(waggle, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":12}]}]}]}');
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /spans\[0\]\.traceId: expected a hex string/);

    res = await post(waggle, body(), { 'content-type': 'application/x-protobuf' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');

    res = await post(waggle, 'x', { 'content-type': 'text/plain' });
    assert.equal(res.status, 415);

    res = await post(waggle, 'x'.repeat(21 << 20));
    assert.equal(res.status, 413);

    const bomb = gzipSync(Buffer.alloc(100 << 20));  // 100 MiB of zeros, ~100 KiB gzipped
    res = await post(waggle, bomb, { 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.match((await res.json()).message, /decompressed body exceeds/);

    res = await fetch(waggle.url('/v1/traces'));
    assert.equal(res.status, 405);
    res = await fetch(waggle.url('/nope'));
    assert.equal(res.status, 404);
    res = await fetch(waggle.url('/api/traces/not-hex'));
    assert.equal(res.status, 400);
    res = await fetch(waggle.url(`/api/traces/${'f'.repeat(32)}`));
    assert.equal(res.status, 404);

    // The server is still healthy after all of that.
    assert.equal((await post(waggle, body())).status, 200);
  } finally { await waggle.stop(); waggle.cleanup(); }
});

test('waggle trace prints the tree; waggle version and --help work', async () => {
  const waggle = await startWaggle();
  try {
    assert.equal((await post(waggle, body())).status, 200);
    const { stdout } = await run(WAGGLE_BIN, ['trace', TRACE, '--server', `http://${waggle.http}`]);
    assert.match(stdout, /^contract {2}root {2}12\.500 ms$/m);
    assert.match(stdout, /^ {2}contract {2}child {2}2\.000 ms {2}\[error\]$/m);
  } finally { await waggle.stop(); waggle.cleanup(); }
  assert.match((await run(WAGGLE_BIN, ['version'])).stdout, /^waggle \d+\.\d+\.\d+/);
  assert.match((await run(WAGGLE_BIN, ['--help'])).stdout, /serve/);
});
