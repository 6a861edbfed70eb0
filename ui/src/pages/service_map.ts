// Services as nodes and calls as edges over a time range, optionally for an X-Ray group,
// from the X-Ray API's GetServiceGraph (the same call the aws CLI makes). Each node and
// edge carries its request rate, error and fault rates and mean latency; clicking a node
// queries its spans.
import * as api from '../api';
import { clear, formatDuration, formatNumber, h, serviceColour } from '../dom';
import { echarts } from '../charts';
import { navigate, type Route } from '../main';
import { queryLink } from './query';

type Statistics = {
  OkCount?: number; TotalCount?: number; TotalResponseTime?: number;
  ErrorStatistics?: { TotalCount?: number }; FaultStatistics?: { TotalCount?: number };
};
type Edge = { ReferenceId: number; SummaryStatistics?: Statistics };
type Service = { ReferenceId: number; Name?: string; Names?: string[]; Type?: string; Root?: boolean; Edges?: Edge[]; SummaryStatistics?: Statistics };

const RANGES: [number, string][] = [[600, '10 minutes'], [3600, '1 hour'], [21600, '6 hours'], [86400, '24 hours']];

function describe(s: Statistics | undefined, seconds: number): { text: string; total: number; errorRate: number; faultRate: number } {
  const total = s?.TotalCount ?? 0;
  const errorRate = total ? (s?.ErrorStatistics?.TotalCount ?? 0) / total : 0;
  const faultRate = total ? (s?.FaultStatistics?.TotalCount ?? 0) / total : 0;
  const mean = total ? ((s?.TotalResponseTime ?? 0) / total) * 1000 : NaN;
  const text = `${formatNumber(Math.round((total / seconds) * 60 * 10) / 10)}/min · ${formatDuration(mean)} avg · ` +
    `${(errorRate * 100).toFixed(1)}% errors · ${(faultRate * 100).toFixed(1)}% faults`;
  return { text, total, errorRate, faultRate };
}

export async function renderMapPage(main: HTMLElement, route: Route): Promise<void> {
  const seconds = Number(route.params.get('range') ?? 3600) || 3600;
  const group = route.params.get('group') ?? '';
  const rangeSelect = h('select', { 'aria-label': 'Time range' }, RANGES.map(([s, l]) => h('option', { value: s }, `Last ${l}`)));
  rangeSelect.value = String(seconds);
  const groupSelect = h('select', { 'aria-label': 'X-Ray group' }, h('option', { value: '' }, 'All services'));
  const update = () => navigate('map', '', new URLSearchParams({ range: rangeSelect.value, ...(groupSelect.value ? { group: groupSelect.value } : {}) }));
  rangeSelect.addEventListener('change', update);
  groupSelect.addEventListener('change', update);
  void api.xray<{ Groups: { GroupName: string }[] }>('/Groups').then((r) => {
    for (const g of r.Groups ?? []) groupSelect.append(h('option', { value: g.GroupName }, `Group ${g.GroupName}`));
    groupSelect.value = group;
  }).catch(() => undefined);
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading the service graph…');
  const chartEl = h('div', { class: 'map panel', id: 'service-map', role: 'img', 'aria-label': 'Service map' });
  const table = h('section', { class: 'panel', style: { marginTop: '12px' }, 'aria-label': 'Services' });
  main.append(h('h1', {}, 'Service map'), h('div', { class: 'toolbar' }, rangeSelect, groupSelect, status), chartEl, table);

  const end = Math.floor(Date.now() / 1000);
  let services: Service[];
  try {
    const body: Record<string, unknown> = { StartTime: end - seconds, EndTime: end };
    if (group) body.GroupName = group;
    services = (await api.xray<{ Services: Service[] }>('/ServiceGraph', body)).Services ?? [];
  } catch (e) {
    clear(status);
    status.replaceWith(h('div', { class: 'error', role: 'alert' }, `GetServiceGraph failed: ${(e as Error).message}`));
    return;
  }
  status.textContent = `${services.length} nodes over the last ${RANGES.find(([s]) => s === seconds)?.[1] ?? `${seconds} s`}. Click a service to query its spans.`;
  if (!services.length) {
    chartEl.append(h('p', { class: 'muted', style: { padding: '16px' } }, 'No traces in this range.'));
    return;
  }
  const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
  const nameOf = (s: Service) => s.Name ?? s.Names?.[0] ?? String(s.ReferenceId);
  const maxTotal = Math.max(1, ...services.map((s) => s.SummaryStatistics?.TotalCount ?? 0));
  const chart = echarts.init(chartEl, 'dark', { renderer: 'canvas' });
  chart.setOption({
    backgroundColor: 'transparent',
    animation: false,
    tooltip: {
      formatter: (p: { dataType: string; data: { tip: string } }) => p.data.tip,
    },
    series: [{
      type: 'graph', layout: 'force', roam: true, draggable: true, edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 9,
      force: { repulsion: 500, edgeLength: [140, 220], gravity: 0.08, layoutAnimation: false },
      label: { show: true, position: 'bottom', color: '#e6edf3', formatter: '{b}' },
      edgeLabel: { show: true, fontSize: 10, color: '#9da7b3', formatter: (p: { data: { short: string } }) => p.data.short },
      lineStyle: { color: '#6b7a90', width: 1.5, curveness: 0.1 },
      data: services.map((s) => {
        const d = describe(s.SummaryStatistics, seconds);
        const name = nameOf(s);
        const colour = d.faultRate > 0.05 ? '#ff6b6b' : d.errorRate > 0.05 ? '#f5a524' : s.Type === 'client' ? '#9da7b3' : serviceColour(name);
        return {
          id: String(s.ReferenceId), name, value: d.total, symbolSize: 24 + 30 * Math.sqrt((s.SummaryStatistics?.TotalCount ?? 0) / maxTotal),
          itemStyle: { color: colour, borderColor: '#0f1218', borderWidth: 2 },
          tip: `<b>${name}</b> (${s.Type ?? ''})<br>${d.text}`,
        };
      }),
      links: services.flatMap((s) => (s.Edges ?? []).filter((e) => byRef.has(e.ReferenceId)).map((e) => {
        const d = describe(e.SummaryStatistics, seconds);
        return {
          source: String(s.ReferenceId), target: String(e.ReferenceId),
          short: d.total ? `${formatNumber(Math.round((d.total / seconds) * 600) / 10)}/min` : '',
          tip: `${nameOf(s)} → ${nameOf(byRef.get(e.ReferenceId)!)}<br>${d.text}`,
          lineStyle: { color: d.faultRate > 0.05 ? '#ff6b6b' : d.errorRate > 0.05 ? '#f5a524' : '#6b7a90' },
        };
      })),
    }],
  });
  const queryService = (name: string) => {
    location.hash = queryLink('__all__', {
      calculations: [{ op: 'HEATMAP', column: 'duration_ms' }, { op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }],
      filters: [{ column: 'service.name', op: '=', value: name }], breakdowns: ['name'], time_range: seconds,
    }).slice(1);
  };
  chart.on('click', (p: { dataType?: string; name?: string }) => { if (p.dataType === 'node' && p.name) queryService(p.name); });

  // The same numbers as a table: readable without the picture, and keyboard reachable.
  table.append(h('h2', {}, 'Services'), h('table', { id: 'services-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'service'), h('th', {}, 'type'), h('th', {}, 'requests, latency, errors'), h('th', {}, 'calls'))),
    h('tbody', {}, services.map((s) => h('tr', {},
      h('td', {}, s.Type === 'client' ? nameOf(s) : h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); queryService(nameOf(s)); } }, nameOf(s))),
      h('td', {}, s.Type ?? ''), h('td', {}, describe(s.SummaryStatistics, seconds).text),
      h('td', {}, (s.Edges ?? []).map((e) => byRef.get(e.ReferenceId)).filter(Boolean).map((t) => nameOf(t!)).join(', ')))))));
}
