// One trace of N spans over OTLP/HTTP JSON, in batches as a busy batch job would send it: a
// root, fan-out workers under it, each with nested calls, across a few services, with errors
// and span events sprinkled in. Returns the trace id.
import { randomBytes } from 'node:crypto';

const SERVICES = ['batch-api', 'worker', 'postgres', 'cache'];

export async function sendBigTrace(baseUrl, spans, { batch = 5000, headers = {} } = {}) {
  const traceId = randomBytes(16).toString('hex');
  const start = BigInt(Date.now() - 60_000) * 1000000n;
  const ids = [];
  const all = [];
  // Tree shape: root -> 100 workers -> items -> calls (a depth of up to 4 under the root).
  for (let i = 0; i < spans; i++) {
    const spanId = randomBytes(8).toString('hex');
    let parent = '';
    let service = SERVICES[0];
    let depth = 0;
    if (i > 0 && i <= 100) parent = ids[0], service = SERVICES[1], depth = 1;
    else if (i > 100) {
      let p = i % 3 === 0 ? 1 + (i % 100) : i - 1 - (i % 7);
      if (p <= 100) p = 1 + (i % 100);  // under a worker; never a span not yet made
      parent = ids[p];
      service = SERVICES[1 + (i % 3)];
      depth = 2;
    }
    ids.push(spanId);
    const offset = BigInt(i) * 400000n;  // 0.4 ms apart
    const duration = i === 0 ? BigInt(spans) * 400000n + 5000000n : BigInt(200000 + (i % 50) * 20000) * (depth === 1 ? 50n : 1n);
    const span = {
      traceId, spanId, parentSpanId: parent, name: i === 0 ? 'POST /batch' : `${service} op ${i % 17}`, kind: i === 0 ? 2 : 1,
      startTimeUnixNano: String(start + offset), endTimeUnixNano: String(start + offset + duration),
      attributes: [{ key: 'item.index', value: { intValue: String(i) } }],
      status: i % 997 === 0 && i > 0 ? { code: 2, message: 'item failed' } : {},
    };
    if (i % 501 === 0) span.events = [{ timeUnixNano: String(start + offset + 1000n), name: 'retry', attributes: [] }];
    all.push({ service, span });
  }
  for (let i = 0; i < all.length; i += batch) {
    const byService = new Map();
    for (const { service, span } of all.slice(i, i + batch)) {
      if (!byService.has(service)) byService.set(service, []);
      byService.get(service).push(span);
    }
    const body = {
      resourceSpans: [...byService.entries()].map(([service, list]) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'big-trace' }, spans: list }],
      })),
    };
    const response = await fetch(`${baseUrl}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`big trace batch ${i}: ${response.status} ${await response.text()}`);
  }
  return traceId;
}
