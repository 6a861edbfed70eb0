// Waggle's HTTP APIs as the UI uses them: Honeycomb's query API, BubbleUp, trace lookup and
// the X-Ray API. A key entered in the header is sent as x-honeycomb-team (Waggle takes it
// instead of SigV4 on the X-Ray API).

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export function apiKey(): string {
  return localStorage.getItem('waggle.key') ?? '';
}
export function setApiKey(key: string): void {
  localStorage.setItem('waggle.key', key);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = apiKey();
  if (key) headers['x-honeycomb-team'] = key;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let doc: unknown = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = null;
  }
  if (!response.ok) {
    const d = doc as { error?: string; message?: string; Message?: string } | null;
    throw new ApiError(d?.error ?? d?.message ?? d?.Message ?? `${response.status} ${response.statusText}`, response.status);
  }
  return doc as T;
}

// ---- Honeycomb query API --------------------------------------------------------------

export type Calculation = { op: string; column?: string };
export type Filter = { column: string; op: string; value?: unknown };
export type Order = { op?: string; column?: string; order?: 'ascending' | 'descending' };
export type Having = { calculate_op: string; column?: string; op: string; value: number };
export type QuerySpec = {
  calculations: Calculation[];
  filters?: Filter[];
  filter_combination?: 'AND' | 'OR';
  breakdowns?: string[];
  orders?: Order[];
  havings?: Having[];
  limit?: number;
  time_range?: number;
  start_time?: number;
  end_time?: number;
  granularity?: number;
};
export type Heatmap = { min: number; max: number; counts: number[] };
export type RowData = Record<string, string | number | boolean | null | Heatmap>;
export type QueryResultData = {
  series: { time: string; data: RowData }[];
  results: { data: RowData }[];
};
export type QueryStats = { seconds: number; rows_scanned: number; rows_matched: number };

export function resultKey(c: Calculation): string {
  return c.op === 'COUNT' || c.op === 'CONCURRENCY' ? c.op : `${c.op}(${c.column ?? ''})`;
}

export async function runQuery(dataset: string, spec: QuerySpec): Promise<{ data: QueryResultData; stats: QueryStats }> {
  const ds = encodeURIComponent(dataset);
  const query = await request<{ id: string }>('POST', `/1/queries/${ds}`, spec);
  let run = await request<{ id: string; complete: boolean; data?: QueryResultData; stats?: QueryStats }>(
    'POST', `/1/query_results/${ds}`, { query_id: query.id });
  for (let wait = 10; !run.complete; wait = Math.min(wait * 2, 250)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    run = await request('GET', `/1/query_results/${ds}/${run.id}`);
  }
  return { data: run.data!, stats: run.stats! };
}

export type Column = { key_name: string; type: string };
export const columns = (dataset: string) => request<Column[]>('GET', `/1/columns/${encodeURIComponent(dataset)}`);
export const datasets = () => request<{ name: string; slug: string }[]>('GET', '/1/datasets');

// ---- BubbleUp -------------------------------------------------------------------------

export type BubbleUpSelection = { column: string; start_time: number; end_time: number; min: number; max: number };
export type BubbleUpBar = { label: string; selection: number; baseline: number; lo?: number; hi?: number };
export type BubbleUpDimension = {
  column: string;
  binned: boolean;
  score: number;
  selection_missing: number;
  baseline_missing: number;
  bars: BubbleUpBar[];
};
export type BubbleUpResult = {
  selection_count: number;
  baseline_count: number;
  selection_examined: number;
  baseline_examined: number;
  dimensions: BubbleUpDimension[];
  stats: { seconds: number; rows_scanned: number };
};
export const bubbleUp = (dataset: string, query: QuerySpec, selection: BubbleUpSelection) =>
  request<BubbleUpResult>('POST', `/api/bubbleup/${encodeURIComponent(dataset)}`, { query, selection });

// ---- Traces ---------------------------------------------------------------------------

export type OtlpValue = {
  stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] }; kvlistValue?: { values?: OtlpKeyValue[] }; bytesValue?: string;
};
export type OtlpKeyValue = { key: string; value?: OtlpValue };
export type OtlpSpan = {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes?: OtlpKeyValue[];
  events?: { timeUnixNano: string; name: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
};
export type OtlpTrace = {
  resourceSpans: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans: { scope?: { name?: string; version?: string }; spans: OtlpSpan[] }[] }[];
};
export const trace = (id: string) => request<OtlpTrace>('GET', `/api/traces/${encodeURIComponent(id)}`);

// ---- X-Ray API ------------------------------------------------------------------------

export const xray = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
