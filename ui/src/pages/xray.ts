// X-Ray's console pages on Waggle: groups and sampling rules (list, create, edit, delete,
// through the same API the aws CLI uses) and trace summaries filtered by a filter expression,
// with the parser's error shown where it was typed.
import * as api from '../api';
import { clear, formatDuration, h } from '../dom';
import { navigate, type Route } from '../main';

type Group = { GroupName: string; GroupARN: string; FilterExpression?: string };
type Rule = {
  RuleName: string; RuleARN?: string; Priority: number; FixedRate: number; ReservoirSize: number; ServiceName: string;
  ServiceType: string; Host: string; HTTPMethod: string; URLPath: string; ResourceARN: string; Version?: number;
  Attributes?: Record<string, string>;
};
type Summary = {
  Id: string; Duration?: number; ResponseTime?: number; HasError?: boolean; HasFault?: boolean; HasThrottle?: boolean;
  Http?: { HttpURL?: string; HttpStatus?: number; HttpMethod?: string }; EntryPoint?: { Name?: string };
};

export async function renderXrayPage(main: HTMLElement, route: Route): Promise<void> {
  const tab = route.arg || 'summaries';
  const tabs: [string, string][] = [['summaries', 'Trace summaries'], ['groups', 'Groups'], ['rules', 'Sampling rules']];
  main.append(h('h1', {}, 'X-Ray'), h('div', { class: 'tabs', role: 'tablist' }, tabs.map(([id, label]) =>
    h('button', { type: 'button', role: 'tab', 'aria-selected': String(id === tab), onclick: () => navigate('xray', id) }, label))));
  const panel = h('section', { class: 'panel', role: 'tabpanel' });
  main.append(panel);
  if (tab === 'groups') return renderGroups(panel);
  if (tab === 'rules') return renderRules(panel);
  return renderSummaries(panel, route);
}

async function renderSummaries(panel: HTMLElement, route: Route): Promise<void> {
  const filter = h('input', { id: 'filter-expression', size: 70, value: route.params.get('filter') ?? '', spellcheck: false,
    placeholder: 'service("backend-flask") { fault } AND responsetime > 0.5', 'aria-label': 'Filter expression' });
  const range = h('select', { 'aria-label': 'Time range' }, [[600, '10 minutes'], [3600, '1 hour'], [21600, '6 hours'], [86400, '24 hours']]
    .map(([s, l]) => h('option', { value: s }, `Last ${l}`)));
  range.value = route.params.get('range') ?? '3600';
  const error = h('div', { role: 'alert', id: 'filter-error' });
  const results = h('div', { id: 'summaries' });
  panel.append(h('form', {
    class: 'toolbar', onsubmit: (e: Event) => {
      e.preventDefault();
      navigate('xray', 'summaries', new URLSearchParams({ filter: filter.value, range: range.value }));
    },
  }, filter, range, h('button', { class: 'primary', type: 'submit' }, 'Find traces')), error, results);
  const end = Math.floor(Date.now() / 1000);
  const body: Record<string, unknown> = { StartTime: end - Number(range.value), EndTime: end };
  if (filter.value.trim()) body.FilterExpression = filter.value;
  results.append(h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  try {
    // Pages of candidates, as the aws CLI follows NextToken, until enough traces match.
    const list: Summary[] = [];
    let processed = 0;
    let token: string | undefined;
    for (let pages = 0; pages < 40 && list.length < 100; pages++) {
      const r = await api.xray<{ TraceSummaries: Summary[]; TracesProcessedCount?: number; NextToken?: string }>(
        '/TraceSummaries', token ? { ...body, NextToken: token } : body);
      list.push(...(r.TraceSummaries ?? []));
      processed += r.TracesProcessedCount ?? 0;
      token = r.NextToken;
      if (!token) break;
    }
    clear(results);
    results.append(h('p', { class: 'muted' }, `${list.length} traces (of ${processed} processed${token ? '; more in the range' : ''})`),
      h('table', {}, h('thead', {}, h('tr', {}, ['trace', 'entry point', 'request', 'status', 'response time', 'duration', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, list.map((s) => h('tr', {},
          h('td', {}, h('a', { href: `#/trace/${s.Id}` }, s.Id)),
          h('td', {}, s.EntryPoint?.Name ?? ''),
          h('td', {}, `${s.Http?.HttpMethod ?? ''} ${s.Http?.HttpURL ?? ''}`),
          h('td', {}, String(s.Http?.HttpStatus ?? '')),
          h('td', {}, formatDuration((s.ResponseTime ?? 0) * 1000)),
          h('td', {}, formatDuration((s.Duration ?? 0) * 1000)),
          h('td', {}, s.HasFault ? h('span', { class: 'wf-error' }, 'fault') : s.HasError ? h('span', { style: { color: 'var(--accent-2)' } }, 'error') : s.HasThrottle ? 'throttle' : ''))))));
  } catch (e) {
    clear(results);
    error.append(h('div', { class: 'error' }, (e as Error).message));
    filter.setAttribute('aria-invalid', 'true');
    // The parser's message names a character position: put the cursor there.
    const m = /at character (\d+)/.exec((e as Error).message);
    if (m) {
      filter.focus();
      const at = Math.max(0, Number(m[1]) - 1);
      filter.setSelectionRange(at, at + 1);
    }
  }
}

function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  return h('label', {}, label, input);
}

async function renderGroups(panel: HTMLElement): Promise<void> {
  const list = h('div');
  const name = h('input', { id: 'group-name', required: true, 'aria-label': 'Group name' });
  const expression = h('input', { id: 'group-filter', size: 60, spellcheck: false, 'aria-label': 'Filter expression' });
  const error = h('div', { role: 'alert' });
  let editing: Group | null = null;
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Create group');
  const form = h('form', {
    class: 'toolbar', 'aria-label': 'Create or edit a group',
    onsubmit: async (e: Event) => {
      e.preventDefault();
      clear(error);
      try {
        if (editing) await api.xray('/UpdateGroup', { GroupARN: editing.GroupARN, FilterExpression: expression.value });
        else await api.xray('/CreateGroup', { GroupName: name.value.trim(), FilterExpression: expression.value || undefined });
        editing = null;
        name.disabled = false;
        name.value = expression.value = '';
        submit.textContent = 'Create group';
        await load();
      } catch (err) {
        error.append(h('div', { class: 'error' }, (err as Error).message));
      }
    },
  }, field('Name', name), field('Filter expression', expression), submit);
  panel.append(h('h2', { style: { marginTop: 0 } }, 'Groups'), form, error, list);
  const load = async () => {
    clear(list);
    const groups = (await api.xray<{ Groups: Group[] }>('/Groups')).Groups ?? [];
    list.append(h('table', { id: 'groups-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'filter expression'), h('th', {}, ''))),
      h('tbody', {}, groups.map((g) => h('tr', {},
        h('td', {}, g.GroupName), h('td', {}, h('code', {}, g.FilterExpression ?? '')),
        h('td', {},
          h('button', { type: 'button', onclick: () => navigate('map', '', new URLSearchParams({ group: g.GroupName })) }, 'Map'), ' ',
          h('button', { type: 'button', onclick: () => navigate('xray', 'summaries', new URLSearchParams({ filter: `group.name = "${g.GroupName}"` })) }, 'Traces'), ' ',
          h('button', { type: 'button', onclick: () => {
            editing = g;
            name.value = g.GroupName;
            name.disabled = true;
            expression.value = g.FilterExpression ?? '';
            submit.textContent = `Save ${g.GroupName}`;
            expression.focus();
          } }, 'Edit'), ' ',
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(`Delete group ${g.GroupName}?`)) return;
            try { await api.xray('/DeleteGroup', { GroupName: g.GroupName }); await load(); } catch (err) { error.append(h('div', { class: 'error' }, (err as Error).message)); }
          } }, 'Delete')))))));
  };
  try { await load(); } catch (e) { error.append(h('div', { class: 'error' }, (e as Error).message)); }
}

const RULE_FIELDS: [keyof Rule, string, string][] = [
  ['RuleName', 'Rule name', ''], ['Priority', 'Priority (1-9999)', '1000'], ['FixedRate', 'Fixed rate (0-1)', '0.05'],
  ['ReservoirSize', 'Reservoir (per second)', '1'], ['ServiceName', 'Service name', '*'], ['ServiceType', 'Service type', '*'],
  ['Host', 'Host', '*'], ['HTTPMethod', 'HTTP method', '*'], ['URLPath', 'URL path', '*'], ['ResourceARN', 'Resource ARN', '*'],
];

async function renderRules(panel: HTMLElement): Promise<void> {
  const inputs = new Map<keyof Rule, HTMLInputElement>();
  for (const [key, label, value] of RULE_FIELDS) {
    inputs.set(key, h('input', { id: `rule-${key}`, value, 'aria-label': label, type: ['Priority', 'FixedRate', 'ReservoirSize'].includes(key) ? 'number' : 'text', step: key === 'FixedRate' ? 'any' : undefined }));
  }
  const error = h('div', { role: 'alert' });
  const list = h('div');
  let editing: Rule | null = null;
  const submit = h('button', { class: 'primary', type: 'submit', id: 'rule-submit' }, 'Create rule');
  const reset = () => {
    editing = null;
    for (const [key, , value] of RULE_FIELDS) { inputs.get(key)!.value = value; inputs.get(key)!.disabled = false; }
    submit.textContent = 'Create rule';
  };
  const form = h('form', {
    'aria-label': 'Create or edit a sampling rule',
    onsubmit: async (e: Event) => {
      e.preventDefault();
      clear(error);
      const rule: Record<string, unknown> = {};
      for (const [key] of RULE_FIELDS) {
        const v = inputs.get(key)!.value.trim();
        rule[key] = ['Priority', 'FixedRate', 'ReservoirSize'].includes(key) ? Number(v) : v;
      }
      try {
        if (editing) {
          const update: Record<string, unknown> = { ...rule };
          delete update.ResourceARN;
          await api.xray('/UpdateSamplingRule', { SamplingRuleUpdate: update });
        } else {
          await api.xray('/CreateSamplingRule', { SamplingRule: { ...rule, Version: 1 } });
        }
        reset();
        await load();
      } catch (err) {
        error.append(h('div', { class: 'error' }, (err as Error).message));
      }
    },
  }, h('div', { class: 'form-grid' }, RULE_FIELDS.map(([key, label]) => field(label, inputs.get(key)!))),
  h('div', { class: 'row-actions' }, submit, h('button', { type: 'button', onclick: reset }, 'Clear')));
  panel.append(h('h2', { style: { marginTop: 0 } }, 'Sampling rules'), form, error, list);
  const load = async () => {
    clear(list);
    const rules = ((await api.xray<{ SamplingRuleRecords: { SamplingRule: Rule }[] }>('/GetSamplingRules')).SamplingRuleRecords ?? []).map((r) => r.SamplingRule);
    rules.sort((a, b) => a.Priority - b.Priority);
    list.append(h('table', { id: 'rules-table', style: { marginTop: '12px' } },
      h('thead', {}, h('tr', {}, ['name', 'priority', 'rate', 'reservoir', 'service', 'type', 'host', 'method', 'path', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, rules.map((r) => h('tr', {},
        h('td', {}, r.RuleName), h('td', {}, String(r.Priority)), h('td', {}, `${(r.FixedRate * 100).toFixed(1)}%`),
        h('td', {}, `${r.ReservoirSize}/s`), h('td', {}, r.ServiceName), h('td', {}, r.ServiceType), h('td', {}, r.Host),
        h('td', {}, r.HTTPMethod), h('td', {}, r.URLPath),
        h('td', {},
          h('button', { type: 'button', onclick: () => {
            editing = r;
            for (const [key] of RULE_FIELDS) {
              inputs.get(key)!.value = String(r[key] ?? '');
              inputs.get(key)!.disabled = key === 'RuleName' || key === 'ResourceARN' || (r.RuleName === 'Default' && !['FixedRate', 'ReservoirSize'].includes(key));
            }
            submit.textContent = `Save ${r.RuleName}`;
            inputs.get('FixedRate')!.focus();
          } }, 'Edit'), ' ',
          r.RuleName === 'Default' ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(`Delete sampling rule ${r.RuleName}?`)) return;
            try { await api.xray('/DeleteSamplingRule', { RuleName: r.RuleName }); await load(); } catch (err) { error.append(h('div', { class: 'error' }, (err as Error).message)); }
          } }, 'Delete')))))));
  };
  try { await load(); } catch (e) { error.append(h('div', { class: 'error' }, (e as Error).message)); }
}
