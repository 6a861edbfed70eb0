// The query builder (VISUALIZE / WHERE / GROUP BY / ORDER BY / HAVING / LIMIT, a time range
// and granularity), its results as charts (a line per group, a heatmap for HEATMAP) and a
// table, BubbleUp on a heatmap region, and the traces behind any point or row. The query
// is the URL: #/query?ds=<dataset>&q=<spec JSON>.
import * as api from '../api';
import type { Calculation, Filter, Heatmap, QuerySpec, RowData } from '../api';
import { clear, formatDuration, formatNumber, h } from '../dom';
import { echarts } from '../charts';
import { navigate, type Route } from '../main';

const OPS = ['COUNT', 'CONCURRENCY', 'SUM', 'AVG', 'MIN', 'MAX', 'COUNT_DISTINCT', 'HEATMAP', 'P001', 'P01', 'P05',
  'P10', 'P25', 'P50', 'P75', 'P90', 'P95', 'P99', 'P999', 'RATE_SUM', 'RATE_AVG', 'RATE_MAX'];
const FILTER_OPS = ['=', '!=', '>', '>=', '<', '<=', 'starts-with', 'does-not-start-with', 'contains',
  'does-not-contain', 'exists', 'does-not-exist', 'in', 'not-in'];
const RANGES: [number, string][] = [[600, 'Last 10 minutes'], [1800, 'Last 30 minutes'], [3600, 'Last hour'],
  [7200, 'Last 2 hours'], [21600, 'Last 6 hours'], [86400, 'Last 24 hours'], [604800, 'Last 7 days']];
const GRANULARITIES: [number, string][] = [[0, 'auto'], [1, '1 s'], [5, '5 s'], [10, '10 s'], [30, '30 s'],
  [60, '1 min'], [300, '5 min'], [900, '15 min'], [3600, '1 h'], [86400, '1 day']];
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

export const DEFAULT_SPEC: QuerySpec = {
  calculations: [{ op: 'HEATMAP', column: 'duration_ms' }, { op: 'COUNT' }],
  time_range: 3600,
};

// As the server picks it when none is given (query_spec.cc DefaultGranularity).
export function defaultGranularity(range: number): number {
  for (const step of STEPS) if (range / step <= 300) return step;
  return Math.max(1, Math.floor(range / 300));
}

export function parseCalculation(text: string): Calculation | null {
  const m = /^\s*([A-Za-z_0-9]+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$/.exec(text);
  if (!m) return null;
  const op = m[1].toUpperCase();
  if (!OPS.includes(op)) return null;
  if (op === 'COUNT' || op === 'CONCURRENCY') return { op };
  return m[2] ? { op, column: m[2] } : null;
}

export function queryLink(dataset: string, spec: QuerySpec): string {
  const params = new URLSearchParams({ ds: dataset, q: JSON.stringify(spec) });
  return `#/query?${params.toString()}`;
}

function specFromRoute(route: Route): QuerySpec {
  try {
    const q = route.params.get('q');
    if (q) {
      const spec = JSON.parse(q) as QuerySpec;
      if (Array.isArray(spec.calculations)) return spec;
    }
  } catch { /* a hand-edited URL: fall back to the default */ }
  return structuredClone(DEFAULT_SPEC);
}

// The spec as sent: an absolute time range and an explicit granularity, so buckets and
// BubbleUp selections line up with what was drawn.
function resolve(spec: QuerySpec): QuerySpec & { start_time: number; end_time: number; granularity: number } {
  const now = Math.floor(Date.now() / 1000);
  let start: number, end: number;
  if (spec.start_time !== undefined && spec.end_time !== undefined) {
    start = spec.start_time, end = spec.end_time;
  } else {
    end = spec.end_time ?? now;
    start = end - (spec.time_range ?? 7200);
  }
  const granularity = spec.granularity || defaultGranularity(end - start);
  const resolved = { ...spec, start_time: start, end_time: end, granularity };
  delete resolved.time_range;
  return resolved;
}

function chipInput(label: string, values: string[], listId: string, validate: (v: string) => string | null,
                   onChange: () => void): HTMLElement {
  const wrap = h('div', { class: 'chips', role: 'group', 'aria-label': label });
  const input = h('input', { list: listId, placeholder: 'add…', 'aria-label': `Add to ${label}`, size: 24 });
  const error = h('span', { class: 'muted', role: 'status' });
  const redraw = () => {
    clear(wrap);
    values.forEach((v, i) => wrap.append(h('span', { class: 'chip' }, v,
      h('button', { type: 'button', 'aria-label': `Remove ${v}`, onclick: () => { values.splice(i, 1); redraw(); onChange(); } }, '×'))));
    wrap.append(input, error);
  };
  const add = () => {
    const text = input.value.trim();
    if (!text) return;
    const problem = validate(text);
    if (problem) {
      error.textContent = problem;
      return;
    }
    values.push(text);
    input.value = '';
    error.textContent = '';
    redraw();
    onChange();
    input.focus();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  });
  input.addEventListener('change', () => { if (input.value.trim() && !validate(input.value.trim())) add(); });
  redraw();
  return wrap;
}

type RecentQuery = { dataset: string; spec: QuerySpec; at: number };
function recentQueries(): RecentQuery[] {
  try {
    return JSON.parse(localStorage.getItem('waggle.recent') ?? '[]') as RecentQuery[];
  } catch {
    return [];
  }
}
function remember(dataset: string, spec: QuerySpec): void {
  const key = JSON.stringify([dataset, spec]);
  const list = recentQueries().filter((r) => JSON.stringify([r.dataset, r.spec]) !== key);
  list.unshift({ dataset, spec, at: Date.now() });
  localStorage.setItem('waggle.recent', JSON.stringify(list.slice(0, 12)));
}
export function describe(spec: QuerySpec): string {
  const parts = [spec.calculations.map(api.resultKey).join(', ')];
  if (spec.filters?.length) parts.push('WHERE ' + spec.filters.map((f) => `${f.column} ${f.op} ${f.value ?? ''}`.trim()).join(` ${spec.filter_combination ?? 'AND'} `));
  if (spec.breakdowns?.length) parts.push('GROUP BY ' + spec.breakdowns.join(', '));
  return parts.join(' ');
}

export async function renderQueryPage(main: HTMLElement, route: Route): Promise<void> {
  const dataset = route.params.get('ds') ?? '__all__';
  const spec = specFromRoute(route);
  const calcs = spec.calculations.map(api.resultKey);
  const filters: Filter[] = (spec.filters ?? []).map((f) => ({ ...f }));
  const breakdowns = [...(spec.breakdowns ?? [])];

  const datasetSelect = h('select', { 'aria-label': 'Dataset', id: 'dataset' }, h('option', { value: '__all__' }, 'All datasets'));
  const columnList = h('datalist', { id: 'columns' });
  const calcList = h('datalist', { id: 'calcs' });
  const refreshColumns = async (ds: string) => {
    try {
      const cols = await api.columns(ds);
      clear(columnList);
      clear(calcList);
      calcList.append(h('option', { value: 'COUNT' }), h('option', { value: 'CONCURRENCY' }));
      for (const c of cols) {
        columnList.append(h('option', { value: c.key_name }, c.type));
        if (c.type === 'integer' || c.type === 'float') {
          for (const op of ['HEATMAP', 'P99', 'P95', 'P50', 'AVG', 'MAX', 'SUM']) calcList.append(h('option', { value: `${op}(${c.key_name})` }));
        } else {
          calcList.append(h('option', { value: `COUNT_DISTINCT(${c.key_name})` }));
        }
      }
    } catch { /* the column list only completes: the builder works without it */ }
  };
  void api.datasets().then((list) => {
    for (const d of list) datasetSelect.append(h('option', { value: d.slug }, d.name));
    datasetSelect.value = dataset;
  }).catch(() => undefined);
  datasetSelect.value = dataset;
  void refreshColumns(dataset);
  datasetSelect.addEventListener('change', () => void refreshColumns(datasetSelect.value));

  const filtersBox = h('div');
  const combination = h('select', { 'aria-label': 'Combine filters with' }, h('option', { value: 'AND' }, 'all (AND)'), h('option', { value: 'OR' }, 'any (OR)'));
  combination.value = spec.filter_combination ?? 'AND';
  const drawFilters = () => {
    clear(filtersBox);
    filters.forEach((f, i) => {
      const column = h('input', { list: 'columns', value: f.column, 'aria-label': `Filter ${i + 1} column`, placeholder: 'column', size: 22 });
      const op = h('select', { 'aria-label': `Filter ${i + 1} operator` }, FILTER_OPS.map((o) => h('option', { value: o }, o)));
      op.value = f.op;
      const value = h('input', { value: f.value === undefined ? '' : String(f.value), 'aria-label': `Filter ${i + 1} value`, placeholder: 'value', size: 18 });
      column.addEventListener('input', () => { f.column = column.value.trim(); });
      op.addEventListener('change', () => { f.op = op.value; value.disabled = f.op === 'exists' || f.op === 'does-not-exist'; });
      value.disabled = f.op === 'exists' || f.op === 'does-not-exist';
      value.addEventListener('input', () => { f.value = value.value; });
      filtersBox.append(h('div', { class: 'filter-row' }, column, op, value,
        h('button', { type: 'button', 'aria-label': `Remove filter ${i + 1}`, onclick: () => { filters.splice(i, 1); drawFilters(); } }, '×')));
    });
    filtersBox.append(h('div', { class: 'filter-row' },
      h('button', { type: 'button', onclick: () => { filters.push({ column: '', op: '=', value: '' }); drawFilters(); (filtersBox.querySelector('.filter-row:nth-last-child(2) input') as HTMLInputElement | null)?.focus(); } }, '+ filter'),
      filters.length > 1 ? combination : null));
  };
  drawFilters();

  const orderSelect = h('select', { 'aria-label': 'Order by' });
  const orderDirection = h('select', { 'aria-label': 'Order direction' }, h('option', { value: 'descending' }, 'desc'), h('option', { value: 'ascending' }, 'asc'));
  const havingCalc = h('select', { 'aria-label': 'Having calculation' });
  const havingOp = h('select', { 'aria-label': 'Having operator' }, ['>', '>=', '<', '<=', '=', '!='].map((o) => h('option', { value: o }, o)));
  const havingValue = h('input', { type: 'number', 'aria-label': 'Having value', placeholder: 'value', size: 8 });
  const refreshOrderOptions = () => {
    const current = orderSelect.value || (spec.orders?.[0] ? (spec.orders[0].op ? api.resultKey({ op: spec.orders[0].op, column: spec.orders[0].column }) : spec.orders[0].column ?? '') : '');
    clear(orderSelect);
    orderSelect.append(h('option', { value: '' }, '(default)'));
    for (const c of calcs) if (!c.startsWith('HEATMAP')) orderSelect.append(h('option', { value: c }, c));
    for (const b of breakdowns) orderSelect.append(h('option', { value: `column:${b}` }, b));
    orderSelect.value = [...orderSelect.options].some((o) => o.value === current) ? current : (current ? `column:${current}` : '');
    const currentHaving = havingCalc.value || (spec.havings?.[0] ? api.resultKey({ op: spec.havings[0].calculate_op, column: spec.havings[0].column }) : '');
    clear(havingCalc);
    havingCalc.append(h('option', { value: '' }, '(none)'));
    for (const c of calcs) if (!c.startsWith('HEATMAP')) havingCalc.append(h('option', { value: c }, c));
    havingCalc.value = currentHaving;
  };
  if (spec.orders?.[0]) orderDirection.value = spec.orders[0].order ?? 'descending';
  if (spec.havings?.[0]) havingOp.value = spec.havings[0].op, havingValue.value = String(spec.havings[0].value);
  refreshOrderOptions();

  const limit = h('input', { type: 'number', min: 1, max: 10000, value: spec.limit ?? '', placeholder: '1000', 'aria-label': 'Limit', size: 6 });
  const range = h('select', { 'aria-label': 'Time range', id: 'time-range' },
    RANGES.map(([s, label]) => h('option', { value: s }, label)), h('option', { value: 'custom' }, 'Custom…'));
  const toLocal = (s: number) => new Date(s * 1000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const startInput = h('input', { type: 'datetime-local', 'aria-label': 'Start time' });
  const endInput = h('input', { type: 'datetime-local', 'aria-label': 'End time' });
  const custom = h('span', { class: 'chips' }, startInput, 'to', endInput);
  if (spec.start_time !== undefined && spec.end_time !== undefined) {
    range.value = 'custom';
    startInput.value = toLocal(spec.start_time);
    endInput.value = toLocal(spec.end_time);
  } else {
    range.value = String(spec.time_range ?? 3600);
    if (!range.value) range.value = '3600';
    const now = Math.floor(Date.now() / 1000);
    startInput.value = toLocal(now - (spec.time_range ?? 3600));
    endInput.value = toLocal(now);
  }
  const showCustom = () => { custom.style.display = range.value === 'custom' ? '' : 'none'; };
  range.addEventListener('change', showCustom);
  showCustom();
  const granularity = h('select', { 'aria-label': 'Granularity' }, GRANULARITIES.map(([s, label]) => h('option', { value: s }, label)));
  granularity.value = String(spec.granularity ?? 0);

  const buildSpec = (): QuerySpec | string => {
    const calculations: Calculation[] = [];
    for (const c of calcs) {
      const parsed = parseCalculation(c);
      if (!parsed) return `VISUALIZE: cannot read '${c}'`;
      calculations.push(parsed);
    }
    if (!calculations.length) calculations.push({ op: 'COUNT' });
    const out: QuerySpec = { calculations };
    const used = filters.filter((f) => f.column);
    if (used.length) {
      out.filters = used.map((f) => {
        if (f.op === 'exists' || f.op === 'does-not-exist') return { column: f.column, op: f.op };
        const text = String(f.value ?? '');
        if (f.op === 'in' || f.op === 'not-in') return { column: f.column, op: f.op, value: text.split(',').map((s) => s.trim()) };
        const n = Number(text);
        return { column: f.column, op: f.op, value: text !== '' && !isNaN(n) && !['starts-with', 'does-not-start-with', 'contains', 'does-not-contain'].includes(f.op) ? n : text };
      });
      if (used.length > 1 && combination.value === 'OR') out.filter_combination = 'OR';
    }
    if (breakdowns.length) out.breakdowns = [...breakdowns];
    if (orderSelect.value) {
      if (orderSelect.value.startsWith('column:')) {
        out.orders = [{ column: orderSelect.value.slice(7), order: orderDirection.value as 'ascending' | 'descending' }];
      } else {
        const c = parseCalculation(orderSelect.value)!;
        out.orders = [{ op: c.op, column: c.column, order: orderDirection.value as 'ascending' | 'descending' }];
      }
    }
    if (havingCalc.value && havingValue.value !== '') {
      const c = parseCalculation(havingCalc.value)!;
      out.havings = [{ calculate_op: c.op, column: c.column, op: havingOp.value, value: Number(havingValue.value) }];
    }
    if (limit.value) out.limit = Number(limit.value);
    if (range.value === 'custom') {
      const s = Date.parse(startInput.value), e = Date.parse(endInput.value);
      if (isNaN(s) || isNaN(e) || e <= s) return 'Time range: the custom end must be after its start';
      out.start_time = Math.floor(s / 1000);
      out.end_time = Math.floor(e / 1000);
    } else {
      out.time_range = Number(range.value);
    }
    if (Number(granularity.value) > 0) out.granularity = Number(granularity.value);
    return out;
  };

  const formError = h('div', { role: 'alert' });
  const run = () => {
    const built = buildSpec();
    if (typeof built === 'string') {
      clear(formError);
      formError.append(h('div', { class: 'error' }, built));
      return;
    }
    const target = queryLink(datasetSelect.value, built);
    if (location.hash === target) void render(); else location.hash = target;
  };
  const runButton = h('button', { class: 'primary', type: 'submit', id: 'run-query' }, 'Run query');
  const builder = h('form', {
    class: 'panel builder', 'aria-label': 'Query builder',
    onsubmit: (e: Event) => { e.preventDefault(); run(); },
    onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } },
  },
  h('label', { for: 'dataset' }, 'DATASET'), h('div', { class: 'chips' }, datasetSelect, range, custom, h('span', { class: 'muted' }, 'granularity'), granularity),
  h('label', {}, 'VISUALIZE'), chipInput('VISUALIZE', calcs, 'calcs', (v) => parseCalculation(v) ? null : `'${v}': use COUNT, P99(col), HEATMAP(col), …`, refreshOrderOptions),
  h('label', {}, 'WHERE'), filtersBox,
  h('label', {}, 'GROUP BY'), chipInput('GROUP BY', breakdowns, 'columns', () => null, refreshOrderOptions),
  h('label', {}, 'ORDER BY'), h('div', { class: 'chips' }, orderSelect, orderDirection, h('span', { class: 'muted' }, 'LIMIT'), limit),
  h('label', {}, 'HAVING'), h('div', { class: 'chips' }, havingCalc, havingOp, havingValue),
  h('span'), h('div', { class: 'row-actions' }, runButton, h('span', { class: 'muted' }, 'Ctrl+Enter runs'), formError),
  columnList, calcList);

  const results = h('section', { 'aria-label': 'Results', id: 'results' });
  const recent = h('ul', { class: 'recent' }, recentQueries().map((r) =>
    h('li', {}, h('a', { href: queryLink(r.dataset, r.spec) }, `${r.dataset}: ${describe(r.spec)}`))));
  main.append(h('div', { class: 'layout' },
    h('div', {}, builder, results),
    h('aside', { class: 'panel', 'aria-label': 'Recent queries' }, h('h2', {}, 'Recent queries'), recent)));

  const render = async () => {
    clear(results);
    if (!route.params.get('q')) {
      results.append(h('p', { class: 'muted' }, 'Build a query and run it. Try HEATMAP(duration_ms) to see latency, then drag over a region to BubbleUp.'));
    }
    const resolved = resolve(spec);
    results.append(h('p', { class: 'muted', role: 'status' }, 'Running…'));
    try {
      const { data, stats } = await api.runQuery(dataset, resolved);
      remember(dataset, spec);
      clear(results);
      showResults(results, dataset, resolved, data, stats);
    } catch (e) {
      clear(results);
      results.append(h('div', { class: 'error', role: 'alert' }, `The query failed: ${(e as Error).message}`));
    }
  };
  await render();
}

type Resolved = QuerySpec & { start_time: number; end_time: number; granularity: number };

function groupKey(data: RowData, breakdowns: string[]): string {
  return breakdowns.map((b) => String(data[b] ?? '(none)')).join(' · ') || 'all';
}

function showResults(root: HTMLElement, dataset: string, spec: Resolved, data: api.QueryResultData, stats: api.QueryStats): void {
  const breakdowns = spec.breakdowns ?? [];
  const origin = spec.start_time - (((spec.start_time % spec.granularity) + spec.granularity) % spec.granularity);
  const times: number[] = [];
  for (let t = origin; t < spec.end_time; t += spec.granularity) times.push(t);
  const timeIndex = new Map(times.map((t, i) => [t, i]));
  const label = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: spec.granularity < 60 ? '2-digit' : undefined });

  root.append(h('p', { class: 'muted', id: 'query-stats' },
    `${formatNumber(stats.rows_matched)} events matched of ${formatNumber(stats.rows_scanned)} scanned in ${formatDuration(stats.seconds * 1000)}`));
  const tracesBox = h('section', { class: 'panel', id: 'traces', 'aria-label': 'Traces', style: { display: 'none', marginTop: '12px' } });
  const showTraces = (title: string, extra: Filter[], start = spec.start_time, end = spec.end_time) =>
    void listTraces(tracesBox, title, dataset, { ...spec, start_time: start, end_time: end, filters: [...(spec.filters ?? []), ...extra] });
  const groupFilters = (data: RowData): Filter[] => breakdowns.map((b) =>
    data[b] === null || data[b] === undefined ? { column: b, op: 'does-not-exist' } : { column: b, op: '=', value: data[b] });

  spec.calculations.forEach((calc) => {
    const key = api.resultKey(calc);
    const box = h('section', { class: 'panel', style: { marginTop: '12px' }, 'aria-label': key });
    box.append(h('h2', {}, key));
    root.append(box);
    if (calc.op === 'HEATMAP') {
      drawHeatmap(box, dataset, spec, calc, data, times, timeIndex, label, showTraces);
      return;
    }
    const groups = new Map<string, { data: RowData; values: (number | null)[] }>();
    for (const r of data.results) groups.set(groupKey(r.data, breakdowns), { data: r.data, values: times.map(() => null) });
    for (const s of data.series) {
      const g = groups.get(groupKey(s.data, breakdowns));
      const i = timeIndex.get(Date.parse(s.time) / 1000);
      if (g && i !== undefined) g.values[i] = s.data[key] as number | null;
    }
    const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': `${key} over time, one line per group` });
    box.append(chartEl);
    const chart = echarts.init(chartEl, 'dark', { renderer: 'canvas' });
    const entries = [...groups.entries()].slice(0, 20);
    chart.setOption({
      backgroundColor: 'transparent',
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => formatNumber(v) },
      legend: { type: 'scroll', bottom: 0, show: breakdowns.length > 0 },
      grid: { left: 60, right: 20, top: 10, bottom: breakdowns.length ? 40 : 24 },
      xAxis: { type: 'category', data: times.map(label) },
      yAxis: { type: 'value' },
      series: entries.map(([name, g]) => ({ name, type: 'line', showSymbol: false, connectNulls: false, data: g.values })),
    });
    chart.on('click', (p: { seriesIndex?: number; dataIndex?: number }) => {
      const entry = entries[p.seriesIndex ?? 0];
      const t = times[p.dataIndex ?? 0];
      if (entry && t !== undefined) showTraces(`Traces of ${entry[0]} at ${label(t)}`, groupFilters(entry[1].data), t, t + spec.granularity);
    });
  });

  // The results table; a row lists its traces.
  const keys = spec.calculations.filter((c) => c.op !== 'HEATMAP').map(api.resultKey);
  const table = h('table', { id: 'results-table' },
    h('thead', {}, h('tr', {}, breakdowns.map((b) => h('th', { scope: 'col' }, b)), keys.map((k) => h('th', { scope: 'col' }, k)), h('th', {}, ''))),
    h('tbody', {}, data.results.map((r) => {
      const open = () => showTraces(`Traces of ${groupKey(r.data, breakdowns)}`, groupFilters(r.data));
      return h('tr', {
        class: 'clickable', tabindex: 0, onclick: open,
        onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') open(); },
      }, breakdowns.map((b) => h('td', {}, String(r.data[b] ?? '(none)'))),
      keys.map((k) => h('td', {}, formatNumber(r.data[k]))), h('td', { class: 'muted' }, 'traces →'));
    })));
  root.append(h('section', { class: 'panel', style: { marginTop: '12px' }, 'aria-label': 'Results table' }, h('h2', {}, `Results (${data.results.length})`), table), tracesBox);
}

function drawHeatmap(box: HTMLElement, dataset: string, spec: Resolved, calc: Calculation, data: api.QueryResultData,
                     times: number[], timeIndex: Map<number, number>, label: (t: number) => string,
                     showTraces: (title: string, extra: Filter[], start?: number, end?: number) => void): void {
  const key = api.resultKey(calc);
  const total = data.results.map((r) => r.data[key] as Heatmap | undefined).find((x) => x && x.counts);
  if (!total) {
    box.append(h('p', { class: 'muted' }, `No numeric values of ${calc.column} in this range.`));
    return;
  }
  const buckets = total.counts.length;
  const width = (total.max - total.min) / buckets || 1;
  const cells = new Map<string, number>();
  for (const s of data.series) {
    const x = timeIndex.get(Date.parse(s.time) / 1000);
    const hm = s.data[key] as Heatmap | undefined;
    if (x === undefined || !hm) continue;
    hm.counts.forEach((c, y) => { if (c > 0) cells.set(`${x},${y}`, (cells.get(`${x},${y}`) ?? 0) + c); });
  }
  const points = [...cells.entries()].map(([k, c]) => [...k.split(',').map(Number), c]);
  const max = points.reduce((m, p) => Math.max(m, p[2]), 1);
  const bucketLabel = (y: number) => formatNumber(total.min + y * width);
  const chartEl = h('div', { class: 'chart heatmap', id: 'heatmap', role: 'img', 'aria-label': `Heatmap of ${calc.column} over time; drag over a region to compare it with the rest (BubbleUp)` });
  const hint = h('p', { class: 'muted' }, 'Drag over a region to see what is different about its events (BubbleUp). Click a cell for its traces.');
  const bubble = h('div', { id: 'bubbleup', 'aria-live': 'polite' });
  // The same without a mouse: everything at or above a value, over the whole range.
  const threshold = h('input', { type: 'number', step: 'any', id: 'bubbleup-threshold', 'aria-label': `BubbleUp: ${calc.column} at least`,
    value: String(Number((total.min + (total.max - total.min) * 0.5).toPrecision(3))), size: 10 });
  const keyboard = h('form', {
    class: 'chips', 'aria-label': 'BubbleUp by value',
    onsubmit: (e: Event) => {
      e.preventDefault();
      void showBubbleUp(bubble, dataset, spec, { column: calc.column!, start_time: spec.start_time, end_time: spec.end_time,
        min: Number(threshold.value), max: Math.max(total.max, Number(threshold.value)) });
    },
  }, h('span', { class: 'muted' }, `or compare events with ${calc.column} ≥`), threshold, h('button', { type: 'submit' }, 'BubbleUp'));
  box.append(chartEl, hint, keyboard, bubble);
  const chart = echarts.init(chartEl, 'dark', { renderer: 'canvas' });
  chart.setOption({
    backgroundColor: 'transparent',
    animation: false,
    tooltip: {
      formatter: (p: { value: number[] }) => `${label(times[p.value[0]])}<br>${calc.column} ${bucketLabel(p.value[1])} – ${bucketLabel(p.value[1] + 1)}<br>${formatNumber(p.value[2])} events`,
    },
    grid: { left: 70, right: 80, top: 10, bottom: 30 },
    xAxis: { type: 'category', data: times.map(label), splitArea: { show: false } },
    yAxis: { type: 'category', data: Array.from({ length: buckets }, (_, y) => bucketLabel(y)), name: calc.column,
      axisLabel: { interval: Math.ceil(buckets / 10) - 1 } },
    visualMap: { min: 1, max, calculable: false, orient: 'vertical', right: 0, top: 'center', itemHeight: 200,
      inRange: { color: ['#1d3b5e', '#2f6db5', '#4e9af1', '#f5a524', '#ff6b6b'] }, textStyle: { color: '#9da7b3' } },
    brush: { xAxisIndex: 0, yAxisIndex: 0, brushType: 'rect', brushMode: 'single', transformable: false,
      brushStyle: { borderWidth: 1, color: 'rgba(245,165,36,0.15)', borderColor: '#f5a524' } },
    toolbox: { show: false },
    series: [{ type: 'heatmap', data: points, progressive: 0 }],
  });
  chart.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'rect', brushMode: 'single' } });
  chart.on('click', (p) => {
    if (!Array.isArray(p.value)) return;
    const [x, y] = p.value as number[];
    showTraces(`Traces with ${calc.column} ${bucketLabel(y)} – ${bucketLabel(y + 1)} at ${label(times[x])}`,
      [{ column: calc.column!, op: '>=', value: total.min + y * width }, { column: calc.column!, op: '<=', value: total.min + (y + 1) * width }],
      times[x], times[x] + spec.granularity);
  });
  chart.on('brushEnd', (event: unknown) => {
    const range = (event as { areas?: { coordRange?: number[][] }[] }).areas?.[0]?.coordRange;
    if (!range) return;
    const [[x0, x1], [y0, y1]] = range;
    const selection: api.BubbleUpSelection = {
      column: calc.column!,
      start_time: times[Math.max(0, x0)],
      end_time: times[Math.min(times.length - 1, x1)] + spec.granularity,
      min: total.min + Math.max(0, y0) * width,
      max: total.min + (Math.min(buckets - 1, y1) + 1) * width,
    };
    void showBubbleUp(bubble, dataset, spec, selection);
  });
}

async function showBubbleUp(root: HTMLElement, dataset: string, spec: Resolved, selection: api.BubbleUpSelection): Promise<void> {
  clear(root);
  root.append(h('p', { class: 'muted', role: 'status' }, 'Comparing the selection with the rest…'));
  try {
    const started = performance.now();
    const r = await api.bubbleUp(dataset, spec, selection);
    clear(root);
    const rangeText = `${formatNumber(selection.min)} – ${formatNumber(selection.max)} ${selection.column}, ${new Date(selection.start_time * 1000).toLocaleTimeString()} – ${new Date(selection.end_time * 1000).toLocaleTimeString()}`;
    root.append(
      h('h2', {}, 'BubbleUp: what is different about the selection'),
      h('p', { class: 'muted', id: 'bubbleup-summary' },
        `${formatNumber(r.selection_count)} selected events (${rangeText}) against ${formatNumber(r.baseline_count)} others; `,
        `${formatDuration(r.stats.seconds * 1000)} in Waggle, ${formatDuration(performance.now() - started)} in all.`,
        r.baseline_examined < r.baseline_count || r.selection_examined < r.selection_count
          ? ` Shares from ${formatNumber(r.selection_examined)} + ${formatNumber(r.baseline_examined)} events sampled by block.` : '',
        h('span', { class: 'legend-swatch', style: { background: '#f5a524' } }), 'selection',
        h('span', { class: 'legend-swatch', style: { background: '#4e9af1' } }), 'baseline'));
    if (r.selection_count === 0) {
      root.append(h('p', { class: 'muted' }, 'No events in the selected region.'));
      return;
    }
    const grid = h('div', { class: 'bubbleup' });
    root.append(grid);
    for (const d of r.dimensions.slice(0, 24)) {
      const chartEl = h('div', { class: 'mini', role: 'img', 'aria-label': `${d.column}: selection versus baseline` });
      grid.append(h('div', { class: 'dimension', 'data-column': d.column },
        h('h3', {}, h('span', {}, d.column), h('span', { class: 'muted' }, `${Math.round(d.score * 100)}%`)), chartEl));
      const chart = echarts.init(chartEl, 'dark', { renderer: 'canvas' });
      const bars = d.bars;
      chart.setOption({
        backgroundColor: 'transparent', animation: false,
        tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${((v as number) * 100).toFixed(1)}%` },
        grid: { left: 4, right: 4, top: 4, bottom: 4, containLabel: true },
        xAxis: { type: 'category', data: bars.map((b) => b.label), axisLabel: { fontSize: 9, overflow: 'truncate', width: 60, interval: d.binned ? 'auto' : 0, rotate: bars.length > 4 ? 30 : 0 } },
        yAxis: { type: 'value', max: 1, show: false },
        series: [
          { name: 'selection', type: 'bar', data: bars.map((b) => b.selection), itemStyle: { color: '#f5a524' } },
          { name: 'baseline', type: 'bar', data: bars.map((b) => b.baseline), itemStyle: { color: '#4e9af1' } },
        ],
      });
    }
  } catch (e) {
    clear(root);
    root.append(h('div', { class: 'error', role: 'alert' }, `BubbleUp failed: ${(e as Error).message}`));
  }
}

// The traces behind a chart point or a row: the slowest traces with a matching event.
async function listTraces(root: HTMLElement, title: string, dataset: string, spec: Resolved): Promise<void> {
  root.style.display = '';
  clear(root);
  root.append(h('h2', {}, title), h('p', { class: 'muted', role: 'status' }, 'Finding traces…'));
  root.scrollIntoView({ block: 'nearest' });
  const traceSpec: QuerySpec = {
    calculations: [{ op: 'MAX', column: 'duration_ms' }, { op: 'COUNT' }],
    filters: [...(spec.filters ?? []), { column: 'trace.trace_id', op: 'exists' }],
    filter_combination: spec.filter_combination,
    breakdowns: ['trace.trace_id'],
    orders: [{ op: 'MAX', column: 'duration_ms', order: 'descending' }],
    limit: 20, start_time: spec.start_time, end_time: spec.end_time,
  };
  if (spec.filter_combination === 'OR' && (spec.filters ?? []).length > 1) {
    root.lastChild?.remove();
    root.append(h('p', { class: 'muted' }, 'Traces are listed for AND filters only.'));
    return;
  }
  try {
    const { data } = await api.runQuery(dataset, traceSpec);
    root.lastChild?.remove();
    if (!data.results.length) {
      root.append(h('p', { class: 'muted' }, 'No traces match.'));
      return;
    }
    root.append(h('table', { id: 'trace-list' },
      h('thead', {}, h('tr', {}, h('th', {}, 'trace'), h('th', {}, 'slowest span'), h('th', {}, 'matching events'))),
      h('tbody', {}, data.results.map((r) => {
        const id = String(r.data['trace.trace_id']);
        const open = () => navigate('trace', id);
        return h('tr', { class: 'clickable', tabindex: 0, onclick: open, onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') open(); } },
          h('td', {}, h('a', { href: `#/trace/${id}` }, id)),
          h('td', {}, formatDuration(Number(r.data['MAX(duration_ms)']))),
          h('td', {}, formatNumber(r.data['COUNT'])));
      }))));
  } catch (e) {
    root.lastChild?.remove();
    root.append(h('div', { class: 'error' }, (e as Error).message));
  }
}
