// The peers of bench/query.sh: the same rows, exported from Waggle's parts by
// bench/clickhouse_export, loaded into a current ClickHouse (chdb, the ClickHouse engine
// in-process) and DuckDB, each on its best schema, and the same questions timed in-process
// (no client or HTTP in the way: a peer's time is its engine's). Usage:
//   node query_peers.mjs WORK_DIR START END GRANULARITY USER_ID RUNS
// WORK_DIR holds schema.sql and rows.tsv.zst (clickhouse_export's output) and sample.txt (trace
// ids, hex, one per line); the peers' databases are kept there between runs.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Session } from 'chdb';
import { DuckDBInstance } from '@duckdb/node-api';

const [work, start, end, granularity, userId, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const T = `start_time_unix_nano >= ${start}000000000 AND start_time_unix_nano < ${end}000000000`;

// The exporter's columns (name, ClickHouse type), read from its CREATE TABLE.
function exportedColumns() {
  const sql = readFileSync(`${work}/schema.sql`, 'utf8');
  const body = sql.slice(sql.indexOf('(') + 1, sql.lastIndexOf(') ENGINE'));
  return body.split(/,\s*\n?\s*(?=`|[a-z_]+ )/).map((c) => c.trim()).filter(Boolean).map((c) => {
    const m = c.match(/^(`[^`]+`|\S+)\s+(.+)$/);
    return { name: m[1].replaceAll('`', ''), type: m[2].trim() };
  });
}

function summary(label, seconds) {
  const v = [...seconds].sort((a, b) => a - b);
  const median = v[Math.floor((v.length - 1) / 2)];
  console.log(`${label.padEnd(44)} median ${(median * 1000).toFixed(1).padStart(8)} ms  best ${(v[0] * 1000).toFixed(1).padStart(8)} ms  (${v.length} runs)`);
  return median;
}

function percentiles(label, seconds) {
  const v = [...seconds].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)] * 1000;
  console.log(`${label.padEnd(44)} p50 ${at(0.5).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms  max ${at(1).toFixed(2)} ms  (${v.length} lookups)`);
}

async function timeQuery(label, run) {
  await run();  // warm-up
  const seconds = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    seconds.push((performance.now() - t0) / 1000);
  }
  return summary(label, seconds);
}

async function timeLookups(label, ids, lookup) {
  const seconds = [];
  for (const id of ids) {
    const t0 = performance.now();
    const rows = await lookup(id);
    seconds.push((performance.now() - t0) / 1000);
    if (rows === 0) throw new Error(`${label}: trace ${id} not found`);
  }
  percentiles(label, seconds);
}

const ids = readFileSync(`${work}/sample.txt`, 'utf8').split('\n').filter(Boolean);
const columns = exportedColumns();
const quote = (name) => `"${name}"`;
const bq = (name) => `\`${name}\``;

// ---- ClickHouse: LowCardinality strings, ZSTD, ORDER BY (service, name, time), a bloom filter
// on trace_id (the schema the ClickHouse docs and ClickStack use for spans).
const chPath = `${work}/chdb`;
const ch = new Session(chPath);
const chq = (sql) => ch.query(sql, 'CSV');
if (chq("EXISTS TABLE spans").trim() !== '1') {
  const isId = (c) => c.type.startsWith('FixedString');
  const defs = columns.map((c) => {
    const type = c.type === 'String' ? 'LowCardinality(String)' : c.type;
    return `${bq(c.name)} ${type} CODEC(${isId(c) || c.type !== 'String' ? 'ZSTD(1)' : 'ZSTD(1)'})`;
  });
  chq(`CREATE TABLE spans (${defs.join(', ')}, INDEX trace_bloom trace_id TYPE bloom_filter GRANULARITY 1)
       ENGINE = MergeTree ORDER BY (service_name, name, start_time_unix_nano)`);
  const structure = columns.map((c) => `${bq(c.name)} ${c.type}`).join(', ');
  const t0 = performance.now();
  chq(`INSERT INTO spans SELECT * FROM file('${work}/rows.tsv.zst', 'TabSeparated', '${structure.replaceAll("'", "\\'")}')`);
  chq('OPTIMIZE TABLE spans FINAL');
  console.log(`clickhouse: loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`clickhouse ${chq('SELECT version()').trim()}: ${chq('SELECT count() FROM spans').trim()} rows, ` +
  `${chq("SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'spans' AND active").trim()} bytes on disk`);

// ---- DuckDB: the same rows (through Parquet from ClickHouse), sorted by the same key.
const duckPath = `${work}/duckdb.db`;
const duckNew = !existsSync(duckPath);
const duck = await (await DuckDBInstance.create(duckPath)).connect();
if (duckNew) {
  const t0 = performance.now();
  chq(`INSERT INTO FUNCTION file('${work}/spans.parquet', 'Parquet') SELECT * FROM spans SETTINGS output_format_parquet_string_as_string = 1`);
  await duck.run(`CREATE TABLE spans AS SELECT * FROM read_parquet('${work}/spans.parquet') ORDER BY service_name, name, start_time_unix_nano`);
  await duck.run('CHECKPOINT');
  rmSync(`${work}/spans.parquet`);
  console.log(`duckdb: loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const duckRows = async (sql) => (await duck.runAndReadAll(sql)).getRows();
console.log(`duckdb ${(await duckRows('SELECT version()'))[0][0]}: ${(await duckRows('SELECT count(*) FROM spans'))[0][0]} rows, ` +
  `${(await duckRows("SELECT database_size FROM pragma_database_size()"))[0][0]}`);

// ---- The questions, in each dialect. Spans only (annotation_type 0), as Waggle's queries.
const heatmap = (q, cast) => `WITH r AS (SELECT min(duration_nano) AS lo, max(duration_nano) AS hi FROM spans WHERE annotation_type = 0 AND ${T})
  SELECT ${cast(`start_time_unix_nano / ${granularity}000000000`)} AS t,
         least(49, ${cast('(duration_nano - r.lo) * 50 / greatest(1, r.hi - r.lo)')}) AS b, count(*) AS n
  FROM spans, r WHERE annotation_type = 0 AND ${T} GROUP BY t, b`;
const questions = [
  ['HEATMAP(duration_ms) + series',
    heatmap(bq, (e) => `toUInt64(floor(${e}))`), heatmap(quote, (e) => `CAST(floor(${e}) AS UBIGINT)`)],
  ['P99(duration_ms) BY name',
    `SELECT name, quantile(0.99)(duration_nano / 1e6) FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY name`,
    `SELECT name, approx_quantile(duration_nano / 1e6, 0.99) FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY name`],
  ['P99 exact BY name',
    `SELECT name, quantileExact(0.99)(duration_nano / 1e6) FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY name`,
    `SELECT name, quantile_disc(duration_nano / 1e6, 0.99) FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY name`],
  ['COUNT BY service WHERE user',
    `SELECT service_name, count() FROM spans WHERE ${bq('app.user_id')} = '${userId}' AND annotation_type = 0 AND ${T} GROUP BY service_name`,
    `SELECT service_name, count(*) FROM spans WHERE ${quote('app.user_id')} = '${userId}' AND annotation_type = 0 AND ${T} GROUP BY service_name`],
  ['COUNT_DISTINCT(app.user_id)',
    `SELECT uniqExact(${bq('app.user_id')}) FROM spans WHERE ${bq('app.user_id')} != '' AND annotation_type = 0 AND ${T}`,
    `SELECT count(DISTINCT ${quote('app.user_id')}) FROM spans WHERE ${quote('app.user_id')} != '' AND annotation_type = 0 AND ${T}`],
  ['COUNT BY http.route WHERE status >= 500',
    `SELECT ${bq('http.route')}, count() FROM spans WHERE ${bq('http.status_code')} >= 500 AND annotation_type = 0 AND ${T} GROUP BY ${bq('http.route')}`,
    `SELECT ${quote('http.route')}, count(*) FROM spans WHERE ${quote('http.status_code')} >= 500 AND annotation_type = 0 AND ${T} GROUP BY ${quote('http.route')}`],
];
const only = process.env.WAGGLE_PEER;  // "clickhouse" or "duckdb" to time one
for (const [label, chSql, duckSql] of questions) {
  if (only !== 'duckdb') await timeQuery(`clickhouse ${label}`, () => chq(chSql));
  if (only !== 'clickhouse') await timeQuery(`duckdb ${label}`, () => duck.run(duckSql));
}
const chCount = (csv) => csv.split('\n').filter(Boolean).length;

// X-Ray GetTraceSummaries, one page, as Waggle answers it (xray/trace_search.h): the 500 largest
// trace ids of root spans in the range (X-Ray ids: the newest), each trace read whole, kept when a backend-flask span has a fault
// (trace_view.cc: an error status that is not a 4xx, or an HTTP status >= 500), summarized.
const fault = (q) => `(status_code = 2 AND NOT (${q('http.status_code')} BETWEEN 400 AND 499)) OR ${q('http.status_code')} >= 500`;
const summaries = {
  clickhouse: `WITH candidates AS (SELECT trace_id FROM spans WHERE parent_span_id = unhex('0000000000000000')
      AND annotation_type = 0 AND ${T} ORDER BY trace_id DESC LIMIT 500)
    SELECT trace_id, min(start_time_unix_nano) AS first, max(start_time_unix_nano + duration_nano) - first AS duration,
      maxIf(duration_nano, parent_span_id = unhex('0000000000000000')) AS response_time, max(status_code = 2) AS has_error,
      groupUniqArray(service_name) AS services, any(${bq('app.user_id')}) AS user, count() AS spans
    FROM spans WHERE trace_id IN candidates GROUP BY trace_id
    HAVING max(service_name = 'backend-flask' AND (${fault(bq)})) = 1`,
  duckdb: `WITH candidates AS (SELECT trace_id FROM spans WHERE parent_span_id = from_hex('0000000000000000')
      AND annotation_type = 0 AND ${T} ORDER BY trace_id DESC LIMIT 500)
    SELECT trace_id, min(start_time_unix_nano) AS first, max(start_time_unix_nano + duration_nano) - first AS duration,
      max(duration_nano) FILTER (WHERE parent_span_id = from_hex('0000000000000000')) AS response_time,
      max(status_code = 2) AS has_error, list(DISTINCT service_name) AS services, any_value(${quote('app.user_id')}) AS user,
      count(*) AS spans
    FROM spans WHERE trace_id IN (SELECT trace_id FROM candidates) GROUP BY trace_id
    HAVING max(service_name = 'backend-flask' AND (${fault(quote)}))`,
};
if (only !== 'duckdb') {
  console.log(`clickhouse GetTraceSummaries: ${chCount(chq(summaries.clickhouse))} traces`);
  await timeQuery('clickhouse GetTraceSummaries {fault}', () => chq(summaries.clickhouse));
}
if (only !== 'clickhouse') {
  console.log(`duckdb GetTraceSummaries: ${(await duckRows(summaries.duckdb)).length} traces`);
  await timeQuery('duckdb GetTraceSummaries {fault}', () => duck.run(summaries.duckdb));
}

// BubbleUp on a heatmap selection, as Waggle answers it (query/bubble_up.h): spans of 300 ms or
// more against the rest; every column counted on both sides, strings by value (the 8 largest
// shares of the selection), numbers in 12 bins between their smallest and largest value. One
// GROUP BY a column (numbers: after one query for all their ranges); the peers count every row,
// where Waggle examines at most 128 blocks a side (its counts are exact, its shares sampled).
const skip = new Set(['trace_id', 'span_id', 'parent_span_id', 'link_trace_id', 'link_span_id', 'start_time_unix_nano']);
const dims = columns.filter((c) => !skip.has(c.name));
const numeric = dims.filter((c) => c.type !== 'String');
const strings = dims.filter((c) => c.type === 'String');
const SEL = 'duration_nano >= 300000000';
async function bubbleUp(run, q) {
  const ranges = await run(`SELECT ${numeric.map((c) => `min(${q(c.name)}), max(${q(c.name)})`).join(', ')}
    FROM spans WHERE annotation_type = 0 AND ${T}`);
  for (const c of strings) {
    await run(`SELECT ${q(c.name)} AS v, count(*) FILTER (WHERE ${SEL}) AS s, count(*) FILTER (WHERE NOT (${SEL})) AS b
      FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY v ORDER BY s DESC LIMIT 8`);
  }
  for (let i = 0; i < numeric.length; i++) {
    const lo = Number(ranges[2 * i]), hi = Number(ranges[2 * i + 1]);
    const width = Math.max((hi - lo) / 12, 1e-9);
    await run(`SELECT least(11, floor((${q(numeric[i].name)} - ${lo}) / ${width})) AS bin,
      count(*) FILTER (WHERE ${SEL}) AS s, count(*) FILTER (WHERE NOT (${SEL})) AS b
      FROM spans WHERE annotation_type = 0 AND ${T} GROUP BY bin`);
  }
}
const chRow = async (sql) => chq(sql).trim().split('\n')[0]?.split(',') ?? [];
if (only !== 'duckdb') await timeQuery('clickhouse BubbleUp (duration >= 300 ms)', () => bubbleUp(chRow, bq));
if (only !== 'clickhouse') {
  await timeQuery('duckdb BubbleUp (duration >= 300 ms)', () => bubbleUp(async (sql) => (await duckRows(sql))[0] ?? [], quote));
}

// Trace by id: every span of the trace, as a trace view asks.
if (only !== 'duckdb') await timeLookups('clickhouse trace by id', ids, (id) => chCount(chq(`SELECT * FROM spans WHERE trace_id = unhex('${id}')`)));
if (only !== 'clickhouse') await timeLookups('duckdb trace by id', ids, async (id) => (await duckRows(`SELECT * FROM spans WHERE trace_id = from_hex('${id}')`)).length);
ch.cleanup?.call(ch, false);
