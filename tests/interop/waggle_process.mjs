// Starts a real `waggle serve` on free ports and a fresh data directory, and reads the
// addresses it prints on its "listening" line.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const WAGGLE_BIN = process.env.WAGGLE_BIN ??
  path.resolve(import.meta.dirname, '../../build/waggle');

export function makeDataDir() {
  return mkdtempSync(path.join(tmpdir(), 'waggle-interop-'));
}

// With WAGGLE_TEST_STORE=clickhouse://HOST:PORT (ctest's ".clickhouse" runs) every server the
// tests start keeps its events in a fresh database of that ClickHouse; a restart with the same
// data directory finds the same database again.
const databases = new Map();
function storeArgs(dataDir, args) {
  const base = process.env.WAGGLE_TEST_STORE;
  if (!base || args.includes('--store')) return [];
  if (!databases.has(dataDir)) databases.set(dataDir, `waggle_t_${randomBytes(6).toString('hex')}`);
  return ['--store', `${base.replace(/\/$/, '')}/${databases.get(dataDir)}`];
}

export async function startWaggle({ dataDir = makeDataDir(), args = [], env = {} } = {}) {
  const proc = spawn(WAGGLE_BIN, ['serve', '--data-dir', dataDir, '--http', '127.0.0.1:0',
    '--grpc', '127.0.0.1:0', '--xray', '127.0.0.1:0', ...storeArgs(dataDir, args), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: proc.stdout });
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`waggle did not start in 20 s: ${stderr}`)), 20000);
    lines.on('line', (line) => {
      if (line.startsWith('listening ')) { clearTimeout(timer); resolve(line); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`waggle exited with ${code}: ${stderr}`)); });
  });
  const fields = Object.fromEntries(listening.slice('listening '.length).split(' ').map((kv) => kv.split('=')));
  return {
    proc, dataDir, http: fields.http, grpc: fields.grpc, xray: fields.xray, exited,
    stderr: () => stderr,
    url: (p) => `http://${fields.http}${p}`,
    async stop() { proc.kill('SIGTERM'); return exited; },
    async kill() { proc.kill('SIGKILL'); return exited; },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}

// Runs a Honeycomb query spec (an object or its JSON) through /1/queries and
// /1/query_results, polling until complete; its result rows.
export async function runQuery(waggle, spec, dataset = '__all__') {
  const post = async (p, body) => (await fetch(waggle.url(p), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  })).json();
  const q = await post(`/1/queries/${dataset}`, typeof spec === 'string' ? spec : JSON.stringify(spec));
  let r = await post(`/1/query_results/${dataset}`, JSON.stringify({ query_id: q.id }));
  while (!r.complete) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    r = await (await fetch(waggle.url(`/1/query_results/${dataset}/${r.id}`))).json();
  }
  return r.data.results;
}

// Every event stored in the last two hours, by a COUNT over every dataset (loadgen sets no
// sample rates, so COUNT is the number of events); works on either store.
export async function storedEvents(waggle) {
  const end = Math.floor(Date.now() / 1000) + 60;
  const results = await runQuery(waggle, { calculations: [{ op: 'COUNT' }], start_time: end - 7200, end_time: end });
  return results[0]?.data.COUNT ?? 0;
}
