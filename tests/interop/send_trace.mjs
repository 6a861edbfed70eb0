// An app instrumented as the OpenTelemetry tutorials teach: the exporter is configured only
// by OTEL_EXPORTER_OTLP_* environment variables and the service by OTEL_SERVICE_NAME.
// It sends one trace (a server span with a client child that has an event and an error)
// and prints, as JSON, the spans exactly as the SDK finished them.
import { trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';

const kind = process.argv[2];
const Exporter = { proto: ProtoExporter, json: JsonExporter, grpc: GrpcExporter }[kind];
if (!Exporter) throw new Error(`usage: send_trace.mjs proto|json|grpc`);

const exporter = new Exporter();
const memory = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'deployment.environment': 'interop' })
    .merge(detectResources({ detectors: [envDetector] })),
  spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
});
const tracer = provider.getTracer('interop-test', '1.0.0');

const root = tracer.startSpan('GET /api/activities/home', {
  kind: SpanKind.SERVER,
  attributes: { 'http.route': '/api/activities/home', 'http.status_code': 500, 'app.user_id': 'u-42' },
});
const ctx = trace.setSpan((await import('@opentelemetry/api')).context.active(), root);
const child = tracer.startSpan('SELECT activities', {
  kind: SpanKind.CLIENT,
  attributes: { 'db.system': 'postgresql', 'db.rows': 3, 'app.ratio': 0.75, 'app.cached': false },
}, ctx);
child.addEvent('cache-miss', { 'cache.key': 'home', 'cache.size': 12 });
child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
await new Promise((r) => setTimeout(r, 5));
child.end();
root.setStatus({ code: SpanStatusCode.ERROR });
root.end();

let exportError = null;
try {
  await provider.forceFlush();
} catch (e) {
  exportError = String(e?.[0]?.message ?? e?.message ?? e);
}
const ns = ([s, n]) => (BigInt(s) * 1000000000n + BigInt(n)).toString();
const spans = memory.getFinishedSpans().map((s) => ({
  traceId: s.spanContext().traceId,
  spanId: s.spanContext().spanId,
  parentSpanId: s.parentSpanContext?.spanId ?? s.parentSpanId ?? '',
  name: s.name,
  kind: s.kind,
  start: ns(s.startTime),
  end: ns(s.endTime),
  attributes: s.attributes,
  resource: s.resource.attributes,
  scope: s.instrumentationScope,
  events: s.events.map((e) => ({ name: e.name, time: ns(e.time), attributes: e.attributes })),
  status: s.status,
}));
await provider.shutdown().catch(() => {});
process.stdout.write(JSON.stringify({ spans, exportError }));
