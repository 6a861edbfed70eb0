// A trace as a waterfall: spans as bars on a time axis, nested under their parents,
// coloured by service, errors marked, span events as dots, subtrees collapsible, and every
// field of the selected span in a side panel. Only the rows in view exist in the DOM, so a
// trace of 10^5 spans opens and scrolls like a small one. X-Ray traces come through the same
// lookup (their segments are spans in Waggle's store).
import * as api from '../api';
import type { OtlpKeyValue, OtlpSpan, OtlpValue } from '../api';
import { clear, formatDuration, formatNumber, h, serviceColour } from '../dom';
import { navigate, type Route } from '../main';

const ROW_HEIGHT = 24;
const OVERSCAN = 12;
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

type SpanNode = {
  span: OtlpSpan;
  service: string;
  resource: OtlpKeyValue[];
  scope: string;
  start: number;  // ms from the trace's start
  end: number;
  depth: number;
  parent: number;  // -1 for roots
  children: number[];
  error: boolean;
  orphan: boolean;  // its parent is not in the trace
  collapsed: boolean;
};

declare global {
  interface Window { waggleTrace?: { spans: number; fetchMs: number; buildMs: number; renderMs: number } }
}

export function otlpValueText(v: OtlpValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.arrayValue) return `[${(v.arrayValue.values ?? []).map(otlpValueText).join(', ')}]`;
  if (v.kvlistValue) return `{${(v.kvlistValue.values ?? []).map((kv) => `${kv.key}: ${otlpValueText(kv.value)}`).join(', ')}}`;
  if (v.bytesValue !== undefined) return v.bytesValue;
  return '';
}

function attribute(list: OtlpKeyValue[] | undefined, key: string): string | undefined {
  const kv = list?.find((a) => a.key === key);
  return kv ? otlpValueText(kv.value) : undefined;
}

// Spans into a tree, children by start time. Nanosecond strings lose precision past 2^53
// as Numbers (about 0.25 µs today): fine for drawing.
export function buildTree(trace: api.OtlpTrace): { nodes: SpanNode[]; roots: number[]; t0: number; total: number } {
  const nodes: SpanNode[] = [];
  let t0 = Infinity, t1 = -Infinity;
  for (const rs of trace.resourceSpans ?? []) {
    const resource = rs.resource?.attributes ?? [];
    const service = attribute(resource, 'service.name') ?? 'unknown';
    for (const ss of rs.scopeSpans ?? []) {
      const scope = ss.scope?.name ?? '';
      for (const span of ss.spans ?? []) {
        const start = Number(span.startTimeUnixNano) / 1e6;
        const end = Math.max(start, Number(span.endTimeUnixNano) / 1e6);
        t0 = Math.min(t0, start);
        t1 = Math.max(t1, end);
        nodes.push({ span, service, resource, scope, start, end, depth: 0, parent: -1, children: [], orphan: false,
          collapsed: false, error: span.status?.code === 2 || attribute(span.attributes, 'error') === 'true' ||
            attribute(span.attributes, 'fault') === 'true' });
      }
    }
  }
  const byId = new Map<string, number>();
  nodes.forEach((n, i) => { n.start -= t0; n.end -= t0; byId.set(n.span.spanId, i); });
  const roots: number[] = [];
  nodes.forEach((n, i) => {
    const parent = n.span.parentSpanId ? byId.get(n.span.parentSpanId) : undefined;
    if (parent === undefined || parent === i) {
      n.orphan = !!n.span.parentSpanId;
      roots.push(i);
    } else {
      n.parent = parent;
      nodes[parent].children.push(i);
    }
  });
  const byStart = (a: number, b: number) => nodes[a].start - nodes[b].start;
  roots.sort(byStart);
  // Depths without recursion (traces can nest thousands deep).
  const stack = [...roots];
  while (stack.length) {
    const i = stack.pop()!;
    const n = nodes[i];
    if (n.children.length > 1) n.children.sort(byStart);
    for (const c of n.children) {
      nodes[c].depth = n.depth + 1;
      stack.push(c);
    }
  }
  return { nodes, roots, t0, total: Math.max(t1 - t0, 1e-6) };
}

// The rows shown: a depth-first walk that skips collapsed subtrees.
function visibleRows(nodes: SpanNode[], roots: number[]): number[] {
  const rows: number[] = [];
  const stack = [...roots].reverse();
  while (stack.length) {
    const i = stack.pop()!;
    rows.push(i);
    const n = nodes[i];
    if (!n.collapsed) for (let c = n.children.length - 1; c >= 0; c--) stack.push(n.children[c]);
  }
  return rows;
}

export async function renderTracePage(main: HTMLElement, route: Route): Promise<void> {
  if (route.page === 'traces' || !route.arg) return renderTraceSearch(main);
  const id = route.arg;
  main.append(h('p', { class: 'muted', role: 'status' }, `Loading trace ${id}…`));
  const started = performance.now();
  let trace: api.OtlpTrace;
  try {
    trace = await api.trace(id);
  } catch (e) {
    clear(main);
    main.append(h('h1', {}, `Trace ${id}`), h('div', { class: 'error', role: 'alert' }, (e as Error).message));
    return;
  }
  const fetched = performance.now();
  const { nodes, roots, t0, total } = buildTree(trace);
  const built = performance.now();
  clear(main);

  const services = new Map<string, number>();
  for (const n of nodes) services.set(n.service, (services.get(n.service) ?? 0) + 1);
  const errors = nodes.filter((n) => n.error).length;
  const root = roots.length ? nodes[roots[0]] : undefined;
  let rows = visibleRows(nodes, roots);
  let selected = rows.length ? rows[0] : -1;

  const waterfall = h('div', { class: 'waterfall', tabindex: 0, role: 'tree', 'aria-label': `Waterfall of ${nodes.length} spans; arrow keys move, left and right collapse and expand`, id: 'waterfall' });
  const axis = h('div', { class: 'wf-axis', 'aria-hidden': 'true' }, h('div', { style: { paddingLeft: '8px', paddingTop: '3px' } }, 'span'), h('div', { class: 'ticks' }));
  const body = h('div', { class: 'rows' });
  waterfall.append(axis, body);
  const side = h('aside', { class: 'panel side', 'aria-label': 'Selected span', id: 'span-panel' });
  const ticks = axis.querySelector('.ticks')!;
  for (let i = 0; i <= 4; i++) ticks.append(h('span', { style: { left: `calc(${i * 25}% - ${i === 4 ? 50 : 0}px)` } }, formatDuration((total * i) / 4)));

  main.append(
    h('div', { class: 'trace-head' },
      h('h1', {}, root ? `${root.service}: ${root.span.name}` : `Trace ${id}`),
      h('span', { class: 'muted', id: 'trace-summary' }, `${formatNumber(nodes.length)} spans · ${services.size} services · ${formatDuration(total)} · `,
        errors ? h('span', { class: 'wf-error' }, `${formatNumber(errors)} errors`) : 'no errors', ` · ${new Date(t0).toISOString()}`),
      h('code', { class: 'muted' }, nodes[0]?.span.traceId ?? id),
      h('button', { type: 'button', onclick: () => setAll(true) }, 'Collapse all'),
      h('button', { type: 'button', onclick: () => setAll(false) }, 'Expand all')),
    h('div', { class: 'chips', style: { marginBottom: '8px' } }, [...services.entries()].map(([s, count]) =>
      h('span', { class: 'chip', style: { paddingRight: '10px' } }, h('span', { class: 'wf-service', style: { background: serviceColour(s) } }), `${s} (${formatNumber(count)})`))),
    h('div', { class: 'waterfall-wrap' }, waterfall, side));

  const rowElement = (position: number): HTMLElement => {
    const i = rows[position];
    const n = nodes[i];
    const left = (n.start / total) * 100;
    const width = Math.max(((n.end - n.start) / total) * 100, 0.05);
    const toggle = n.children.length ? (n.collapsed ? '▸' : '▾') : '';
    const track = h('div', { class: 'wf-track' },
      h('div', { class: `wf-bar${n.error ? ' error' : ''}`, style: { left: `${left}%`, width: `${width}%`, background: serviceColour(n.service) } }),
      h('span', { class: 'wf-label', style: left + width > 80 ? { right: `${100 - left + 0.5}%` } : { left: `calc(${left + width}% + 4px)` } }, formatDuration(n.end - n.start)));
    for (const e of (n.span.events ?? []).slice(0, 50)) {
      const at = Number(e.timeUnixNano) / 1e6 - t0;
      track.append(h('span', { class: 'wf-dot', title: e.name, style: { left: `${(at / total) * 100}%` } }));
    }
    return h('div', {
      class: `wf-row${i === selected ? ' selected' : ''}`, role: 'treeitem', 'aria-level': n.depth + 1,
      'aria-expanded': n.children.length ? String(!n.collapsed) : undefined, 'aria-selected': String(i === selected),
      'data-span-id': n.span.spanId, style: { top: `${position * ROW_HEIGHT}px` },
      onclick: (e: MouseEvent) => {
        if ((e.target as HTMLElement).classList.contains('wf-toggle')) toggleNode(i); else select(i);
      },
    },
    h('div', { class: 'wf-name', style: { paddingLeft: `${Math.min(n.depth, 40) * 12 + 4}px` } },
      h('span', { class: 'wf-toggle' }, toggle),
      h('span', { class: 'wf-service', style: { background: serviceColour(n.service) } }),
      n.error ? h('span', { class: 'wf-error', title: 'error' }, '!') : null,
      h('span', { class: 'muted' }, n.service), ' ', n.span.name,
      n.collapsed ? h('span', { class: 'muted' }, ` (+${formatNumber(countDescendants(i))})`) : null,
      n.orphan ? h('span', { class: 'muted', title: 'its parent span is not in the trace' }, ' ⚠ parent missing') : null),
    track);
  };
  const countDescendants = (i: number): number => {
    let count = 0;
    const stack = [...nodes[i].children];
    while (stack.length) {
      const c = stack.pop()!;
      count++;
      stack.push(...nodes[c].children);
    }
    return count;
  };

  let frame = 0;
  const draw = () => {
    frame = 0;
    body.style.height = `${rows.length * ROW_HEIGHT}px`;
    const top = Math.max(0, waterfall.scrollTop - 22);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + waterfall.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    clear(body);
    const fragment = document.createDocumentFragment();
    for (let p = first; p < last; p++) fragment.append(rowElement(p));
    body.append(fragment);
  };
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  waterfall.addEventListener('scroll', schedule, { passive: true });
  window.addEventListener('resize', schedule);

  const setAll = (collapsed: boolean) => {
    // Collapsed, roots still show their children.
    for (const n of nodes) if (n.children.length) n.collapsed = collapsed && n.depth > 0;
    rows = visibleRows(nodes, roots);
    draw();
  };
  const toggleNode = (i: number) => {
    if (!nodes[i].children.length) return;
    nodes[i].collapsed = !nodes[i].collapsed;
    rows = visibleRows(nodes, roots);
    select(i);
  };
  const scrollToSelected = () => {
    const position = rows.indexOf(selected);
    if (position < 0) return;
    const y = position * ROW_HEIGHT;
    if (y < waterfall.scrollTop) waterfall.scrollTop = y;
    else if (y + ROW_HEIGHT * 2 > waterfall.scrollTop + waterfall.clientHeight) waterfall.scrollTop = y - waterfall.clientHeight + ROW_HEIGHT * 2;
  };
  const select = (i: number) => {
    selected = i;
    showSpan(side, nodes, i, t0, select);
    scrollToSelected();
    draw();
  };
  waterfall.addEventListener('keydown', (e) => {
    const position = rows.indexOf(selected);
    const n = nodes[selected];
    if (!n) return;
    let handled = true;
    if (e.key === 'ArrowDown' && position + 1 < rows.length) select(rows[position + 1]);
    else if (e.key === 'ArrowUp' && position > 0) select(rows[position - 1]);
    else if (e.key === 'ArrowLeft') { if (n.children.length && !n.collapsed) toggleNode(selected); else if (n.parent >= 0) select(n.parent); }
    else if (e.key === 'ArrowRight') { if (n.collapsed) toggleNode(selected); else if (n.children.length) select(n.children[0]); }
    else if (e.key === 'Enter' || e.key === ' ') toggleNode(selected);
    else if (e.key === 'Home') select(rows[0]);
    else if (e.key === 'End') select(rows[rows.length - 1]);
    else if (e.key === 'PageDown') select(rows[Math.min(rows.length - 1, position + 20)]);
    else if (e.key === 'PageUp') select(rows[Math.max(0, position - 20)]);
    else handled = false;
    if (handled) e.preventDefault();
  });
  draw();
  if (selected >= 0) showSpan(side, nodes, selected, t0, select);
  window.waggleTrace = { spans: nodes.length, fetchMs: fetched - started, buildMs: built - fetched, renderMs: performance.now() - built };
}

function showSpan(side: HTMLElement, nodes: SpanNode[], i: number, t0: number, select: (i: number) => void): void {
  clear(side);
  const n = nodes[i];
  const s = n.span;
  const fields: [string, Node | string][] = [
    ['service.name', n.service], ['name', s.name], ['duration', formatDuration(n.end - n.start)],
    ['start', `+${formatDuration(n.start)} (${new Date(t0 + n.start).toISOString()})`],
    ['span.kind', KINDS[s.kind ?? 0] ?? String(s.kind)], ['trace.span_id', s.spanId],
    ['trace.parent_id', n.parent >= 0 ? h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); select(n.parent); } }, s.parentSpanId ?? '') : (s.parentSpanId ?? '(root)')],
    ['status', s.status?.code === 2 ? `error${s.status.message ? ': ' + s.status.message : ''}` : s.status?.code === 1 ? 'ok' : 'unset'],
    ['library.name', n.scope],
  ];
  const list = (entries: [string, Node | string][]) => h('dl', {}, entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  side.append(h('h2', { style: { marginTop: 0 } }, s.name), list(fields));
  if (s.attributes?.length) side.append(h('h2', {}, 'Attributes'), list(s.attributes.map((a) => [a.key, otlpValueText(a.value)])));
  if (s.events?.length) {
    side.append(h('h2', {}, `Events (${s.events.length})`));
    for (const e of s.events.slice(0, 200)) {
      side.append(h('p', { style: { margin: '6px 0 2px' } }, h('strong', {}, e.name), h('span', { class: 'muted' }, ` +${formatDuration(Number(e.timeUnixNano) / 1e6 - t0)}`)),
        list((e.attributes ?? []).map((a) => [a.key, otlpValueText(a.value)])));
    }
  }
  if (s.links?.length) side.append(h('h2', {}, 'Links'), h('ul', {}, s.links.map((l) => h('li', {}, h('a', { href: `#/trace/${l.traceId}` }, `${l.traceId} / ${l.spanId}`)))));
  if (n.resource.length) side.append(h('h2', {}, 'Resource'), list(n.resource.map((a) => [a.key, otlpValueText(a.value)])));
}

async function renderTraceSearch(main: HTMLElement): Promise<void> {
  const input = h('input', { placeholder: 'Trace id: 32 hex digits or an X-Ray id (1-5759e988-bd862e3fe1be46a994272793)', size: 60, 'aria-label': 'Trace id', id: 'trace-id' });
  main.append(h('h1', {}, 'Traces'),
    h('form', { class: 'toolbar', onsubmit: (e: Event) => { e.preventDefault(); if (input.value.trim()) navigate('trace', input.value.trim()); } },
      input, h('button', { class: 'primary', type: 'submit' }, 'Open trace')));
  const list = h('section', { class: 'panel', 'aria-label': 'Slowest recent traces' }, h('h2', {}, 'Slowest traces of the last hour'), h('p', { class: 'muted' }, 'Loading…'));
  main.append(list);
  try {
    const now = Math.floor(Date.now() / 1000);
    const { data } = await api.runQuery('__all__', {
      calculations: [{ op: 'MAX', column: 'duration_ms' }],
      filters: [{ column: 'trace.parent_id', op: 'does-not-exist' }, { column: 'trace.trace_id', op: 'exists' }],
      breakdowns: ['trace.trace_id', 'service.name', 'name'],
      orders: [{ op: 'MAX', column: 'duration_ms', order: 'descending' }], limit: 25, start_time: now - 3600, end_time: now,
    });
    list.lastChild?.remove();
    list.append(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'trace'), h('th', {}, 'root span'), h('th', {}, 'duration'))),
      h('tbody', {}, data.results.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `#/trace/${r.data['trace.trace_id']}` }, String(r.data['trace.trace_id']))),
        h('td', {}, `${r.data['service.name'] ?? ''}: ${r.data['name'] ?? ''}`),
        h('td', {}, formatDuration(Number(r.data['MAX(duration_ms)']))))))));
  } catch (e) {
    list.lastChild?.remove();
    list.append(h('div', { class: 'error' }, (e as Error).message));
  }
}
