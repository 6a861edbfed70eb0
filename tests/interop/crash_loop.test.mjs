// Durability under flat-out load: `waggle loadgen` sends as fast as the server answers while
// the server is killed (SIGKILL) at a random moment, 20 times on one data directory. A tiny
// head (--flush-bytes 32KiB) keeps flushes and merges running, so kills land inside them too.
// After the last restart every span the loadgen saw acknowledged is counted, and sampled
// acknowledged traces read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { startWaggle, makeDataDir, storedEvents, WAGGLE_BIN } from './waggle_process.mjs';

const run = promisify(execFile);
const ROUNDS = 20;
const FLUSH_ARGS = ['--flush-bytes', '32KiB', '--flush-interval', '100ms'];

test(`${ROUNDS} kills at random moments under flat-out load: every acknowledged span is kept`, async () => {
  const dataDir = makeDataDir();
  const idsFile = `${dataDir}-acked-ids.txt`;
  let acknowledged = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const waggle = await startWaggle({ dataDir, args: FLUSH_ARGS });
      // Past the kill the loadgen's requests fail until its duration is up; it reports only
      // what was answered 200.
      const load = run(WAGGLE_BIN, ['loadgen', '--endpoint', `http://${waggle.http}`, '--duration', '2s',
        '--workers', '4', '--batch', '200', '--pool', '8', '--seed', String(round + 1), '--json',
        '--trace-ids-out', idsFile]);
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1500));
      const { signal } = await waggle.kill();
      assert.equal(signal, 'SIGKILL');
      // A kill before any answer (a slow start, as under ASan) makes loadgen exit 1 with
      // nothing acknowledged; its summary is printed all the same.
      const { stdout } = await load.catch((e) => e);
      const summary = JSON.parse(stdout);
      acknowledged += summary.spans;
    }
    assert.ok(acknowledged > 10000, `only ${acknowledged} spans were acknowledged before the kills`);

    const waggle = await startWaggle({ dataDir, args: FLUSH_ARGS });
    try {
      const stored = await storedEvents(waggle);  // span events are events too: at least the spans
      assert.ok(stored >= acknowledged, `${stored} events stored, ${acknowledged} spans acknowledged`);
      const ids = readFileSync(idsFile, 'utf8').trim().split('\n');
      // loadgen samples every 100th acknowledged request of a run; a round killed early has none.
      assert.ok(ids.length >= 5, `${ids.length} sampled trace ids`);
      for (const id of ids) {
        const res = await fetch(waggle.url(`/api/traces/${id}`));
        assert.equal(res.status, 200, `acknowledged trace ${id}`);
        await res.arrayBuffer();
      }
      const status = await (await fetch(waggle.url('/api/status'))).json();
      assert.ok(status.parts > 0, `no part was written: ${JSON.stringify(status)}`);
      console.log(`${acknowledged} spans acknowledged over ${ROUNDS} kills, ${stored} events stored, ` +
        `${ids.length} sampled traces read back; ${status.parts} parts`);
    } finally {
      await waggle.stop();
    }
  } finally {
    rmSync(idsFile, { force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
