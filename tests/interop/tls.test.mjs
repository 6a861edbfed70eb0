// TLS on the HTTP and gRPC listeners (--tls-cert/--tls-key): the real OpenTelemetry
// exporters (protobuf, JSON, gRPC) send over https / TLS to a self-signed certificate their
// process trusts (NODE_EXTRA_CA_CERTS), the trace reads back over https, plain HTTP to the TLS
// port gets nothing, and bad TLS flags fail the start with a message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startWaggle } from './waggle_process.mjs';

const run = promisify(execFile);
let dir, cert, key, waggle;

function httpsGet(url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'waggle-tls-'));
  cert = path.join(dir, 'cert.pem');
  key = path.join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  waggle = await startWaggle({ args: ['--tls-cert', cert, '--tls-key', key] });
});

after(async () => {
  await waggle?.stop();
  waggle?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('the OTel exporters send over TLS; the trace reads back over https', async () => {
  const ca = readFileSync(cert);
  for (const kind of ['proto', 'json', 'grpc']) {
    const endpoint = `https://${kind === 'grpc' ? waggle.grpc : waggle.http}`;
    const { stdout } = await run(process.execPath, [path.join(import.meta.dirname, 'send_trace.mjs'), kind], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'tls-service',
        NODE_EXTRA_CA_CERTS: cert, OTEL_EXPORTER_OTLP_CERTIFICATE: cert },
      timeout: 60000,
    });
    const { spans, exportError } = JSON.parse(stdout);
    assert.equal(exportError, null, `${kind}: the exporter reports success over TLS`);
    const got = await httpsGet(`https://${waggle.http}/api/traces/${spans[0].traceId}`, ca);
    assert.equal(got.status, 200, got.body);
    assert.equal(JSON.parse(got.body).resourceSpans[0].scopeSpans[0].spans.length, 2, kind);
  }
  const ui = await httpsGet(`https://${waggle.http}/healthz`, ca);
  assert.equal(ui.body, 'ok\n');
});

test('plain HTTP to the TLS listener gets no answer; an untrusted client is refused', async () => {
  await assert.rejects(fetch(`http://${waggle.http}/healthz`));
  await assert.rejects(httpsGet(`https://${waggle.http}/healthz`, undefined), /self[- ]signed/);
});

test('bad TLS flags stop the start with a message', async () => {
  const junk = path.join(dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  await assert.rejects(startWaggle({ args: ['--tls-cert', cert] }), /--tls-cert and --tls-key go together/);
  await assert.rejects(startWaggle({ args: ['--tls-cert', junk, '--tls-key', key] }), /--tls-cert .*junk\.pem: not a PEM certificate chain/);
  await assert.rejects(startWaggle({ args: ['--tls-cert', cert, '--tls-key', path.join(dir, 'missing.pem')] }), /--tls-key .*missing\.pem: cannot read it/);
});
