// Shared pieces of the X-Ray interop tests: the daemon datagram, X-Ray ids, the signed
// @aws-sdk/client-xray client pointed at a waggle process, and waiting for data to land.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { XRayClient } from '@aws-sdk/client-xray';

export const ACCESS_KEY = 'AKIDWAGGLETEST';
export const SECRET_KEY = 'waggle-test-secret';

export function xrayTraceId(epochSeconds = Math.floor(Date.now() / 1000)) {
  return `1-${epochSeconds.toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}
export const segmentId = () => randomBytes(8).toString('hex');

// One datagram per document, with the daemon's header line, as the SDKs send them.
export async function sendDatagrams(address, docs, header = '{"format":"json","version":1}\n') {
  const [host, port] = address.split(':');
  const socket = dgram.createSocket('udp4');
  for (const doc of docs) {
    const payload = typeof doc === 'string' ? doc : header + JSON.stringify(doc);
    await new Promise((resolve, reject) => socket.send(payload, Number(port), host, (e) => (e ? reject(e) : resolve())));
  }
  socket.close();
}

export function xrayClient(waggle, credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }) {
  return new XRayClient({ endpoint: waggle.url(''), region: 'us-east-1', credentials, maxAttempts: 1 });
}

// The deadline is on the monotonic clock: CI's wall clock has jumped ~30 s mid-test.
export async function eventually(check, { timeoutMs = 10000, intervalMs = 100 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let lastError;
  while (performance.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw lastError ?? new Error('condition not met in time');
}
