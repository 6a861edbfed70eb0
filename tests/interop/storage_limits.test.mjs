// The store's limits through a real server: --retention and --max-disk (flags and config
// file) drop the oldest data and never block ingest; a really full disk (a small tmpfs)
// answers 503 + Retry-After, harms nothing stored, and ingest resumes once space returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWaggle, makeDataDir } from './waggle_process.mjs';

const DAY_NS = 86400n * 1000000000n;

function traceBody(traceId, ageDays = 0, padding = 0) {
  const start = BigInt(Date.now()) * 1000000n - BigInt(ageDays) * DAY_NS;
  const spans = [0, 1, 2].map((i) => ({
    traceId, spanId: randomBytes(8).toString('hex'), name: `op-${i}`, kind: 2,
    startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n),
    attributes: [{ key: 'pad', value: { stringValue: randomBytes(padding).toString('hex') } }],
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [
    { key: 'service.name', value: { stringValue: 'limits-test' } }] }, scopeSpans: [{ spans }] }] });
}

async function send(waggle, traceId, ageDays = 0, padding = 0) {
  return fetch(waggle.url('/v1/traces'), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: traceBody(traceId, ageDays, padding),
  });
}

async function waitFor(waggle, predicate) {
  for (let i = 0; i < 100; i++) {
    const status = await (await fetch(waggle.url('/api/status'))).json();
    if (predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the store did not reach the expected state in 10 s');
}

test('--retention (from the config file) drops old traces and keeps new ones', async () => {
  const dataDir = makeDataDir();
  const config = path.join(dataDir, '..', `waggle-retention-${process.pid}.toml`);
  writeFileSync(config, '[serve]\nretention = "1d"\nflush-interval = "100ms"\n');
  const waggle = await startWaggle({ dataDir, args: ['--config', config] });
  try {
    const old = randomBytes(16).toString('hex');
    const recent = randomBytes(16).toString('hex');
    assert.equal((await send(waggle, old, 3)).status, 200);
    assert.equal((await send(waggle, recent, 0)).status, 200);
    await waitFor(waggle, (s) => s.parts_dropped >= 1 && s.head_events === 0);
    assert.equal((await fetch(waggle.url(`/api/traces/${old}`))).status, 404);
    assert.equal((await fetch(waggle.url(`/api/traces/${recent}`))).status, 200);
  } finally {
    await waggle.stop();
    waggle.cleanup();
    rmSync(config, { force: true });
  }
});

test('--max-disk drops the oldest parts first, and ingest goes on', async () => {
  const waggle = await startWaggle({ args: ['--max-disk', '300KB', '--flush-interval', '100ms'] });
  try {
    const ids = [];
    for (let day = 20; day >= 0; day--) {  // oldest first, each day its own part
      const id = randomBytes(16).toString('hex');
      assert.equal((await send(waggle, id, day, 8000)).status, 200);
      ids.push(id);
      await waitFor(waggle, (s) => s.head_events === 0);
    }
    const status = await waitFor(waggle, (s) => s.parts_dropped > 0 && s.part_bytes <= 300000);
    assert.ok(status.parts > 0);
    assert.equal((await fetch(waggle.url(`/api/traces/${ids[0]}`))).status, 404, 'the oldest part stayed');
    assert.equal((await fetch(waggle.url(`/api/traces/${ids.at(-1)}`))).status, 200, 'the newest part went');
  } finally {
    await waggle.stop();
    waggle.cleanup();
  }
});

function mountTmpfs(dir, size) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a full disk: 503 + Retry-After, nothing stored is harmed, ingest resumes by itself', async (t) => {
  const mountPoint = mkdtempSync(path.join(tmpdir(), 'waggle-full-'));
  if (!mountTmpfs(mountPoint, '16m')) {
    // The store's own test drives the same path with a fault hook (EmbeddedStoreTest.FullDisk*).
    rmSync(mountPoint, { recursive: true, force: true });
    t.skip('mounting a tmpfs needs root');
    return;
  }
  const dataDir = path.join(mountPoint, 'data');
  let waggle;
  try {
    waggle = await startWaggle({ dataDir, args: ['--flush-bytes', '256KiB', '--flush-interval', '100ms'] });
    const acked = [];
    let refused = null;
    let refusedBody = '';
    for (let i = 0; i < 2000 && !refused; i++) {
      const id = randomBytes(16).toString('hex');
      const res = await send(waggle, id, 0, 20000);
      if (res.status === 200) acked.push(id);
      else refused = res;
      const body = await res.text();
      if (refused) refusedBody = body;
    }
    assert.ok(refused, 'the disk never filled');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.ok(acked.length > 10, `refused after ${acked.length} acknowledged: ${refused.status} ${refusedBody}`);
    for (const id of acked) assert.equal((await fetch(waggle.url(`/api/traces/${id}`))).status, 200);

    // Space returns (the log and the flushes free it once retried): make room by hand.
    execFileSync('mount', ['-o', 'remount,size=64m', mountPoint]);
    let resumed = false;
    for (let i = 0; i < 50 && !resumed; i++) {
      const id = randomBytes(16).toString('hex');
      const res = await send(waggle, id, 0, 100);
      if (res.status === 200) { acked.push(id); resumed = true; } else await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(resumed, 'ingest did not resume after space returned');
    await waggle.stop();
    waggle = await startWaggle({ dataDir });
    for (const id of acked) assert.equal((await fetch(waggle.url(`/api/traces/${id}`))).status, 200, id);
  } finally {
    if (waggle) await waggle.stop();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
