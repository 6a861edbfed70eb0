// The web UI in a real browser: Debian's chromium driven by playwright-core against a real
// `waggle serve` filled by `waggle loadgen`, X-Ray segments over UDP and one trace of
// 100,000 spans. Each step does what a user does (build a query, drag over the heatmap,
// open a trace, open the map, create a sampling rule) and checks what the page shows and
// what the API then holds. Screenshots of every page go to $WAGGLE_SCREENSHOTS
// (default build/ui-screenshots, or build/ui-screenshots-clickhouse on the ClickHouse store).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startWaggle, WAGGLE_BIN } from './waggle_process.mjs';
import { sendBigTrace } from './big_trace.mjs';
import { sendDatagrams, segmentId, xrayTraceId } from './xray_helpers.mjs';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.WAGGLE_SCREENSHOTS ??
  path.resolve(path.dirname(WAGGLE_BIN), process.env.WAGGLE_TEST_STORE ? 'ui-screenshots-clickhouse' : 'ui-screenshots');
const BIG_TRACE_SPANS = 100000;

let waggle, browser, page, bigTraceId, xrayId;
const pageErrors = [];

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

async function xrayApi(op, body = {}) {
  const r = await fetch(waggle.url(op), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  assert.equal(r.status, 200, `${op}: ${text}`);
  return JSON.parse(text);
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install-deps.sh installs Debian's chromium`);
  mkdirSync(SHOTS, { recursive: true });
  waggle = await startWaggle({ args: ['--flush-interval', '500ms'] });
  const page0 = await (await fetch(waggle.url('/'))).text();
  assert.match(page0, /<title>Waggle<\/title>/, 'waggle serve must serve the built UI at / (scripts/build.sh builds it)');
  const { stdout } = await run(WAGGLE_BIN, ['loadgen', '--endpoint', `http://${waggle.http}`, '--rate', '4000',
    '--duration', '6s', '--workers', '2', '--pool', '64', '--json']);
  assert.equal(JSON.parse(stdout).errors, 0, stdout);
  bigTraceId = await sendBigTrace(`http://${waggle.http}`, BIG_TRACE_SPANS);
  // An X-Ray trace through the daemon port: the waterfall and map show it like OTLP ones.
  xrayId = xrayTraceId();
  const now = Date.now() / 1000;
  await sendDatagrams(waggle.xray, [{
    trace_id: xrayId, id: segmentId(), name: 'xray-frontend', start_time: now - 2, end_time: now - 1.5, fault: true,
    http: { request: { method: 'GET', url: 'http://example.com/x' }, response: { status: 502 } },
    subsegments: [{ id: segmentId(), name: 'xray-backend', namespace: 'remote', start_time: now - 1.9, end_time: now - 1.6, fault: true }],
  }]);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
});

after(async () => {
  await browser?.close();
  await waggle?.stop();
  waggle?.cleanup();
});

test('build a query in the builder, see its heatmap, chart and table; the link reproduces it', async () => {
  await page.goto(waggle.url('/#/query'));
  await page.waitForSelector('#dataset option[value="backend-flask"]', { state: 'attached' });
  await page.selectOption('#dataset', 'backend-flask');
  await page.selectOption('#time-range', '600');
  // VISUALIZE: drop the defaults, add a heatmap and a percentile through the completing input.
  const visualize = page.getByRole('group', { name: 'VISUALIZE' });
  while (await visualize.getByRole('button', { name: /^Remove/ }).count()) await visualize.getByRole('button', { name: /^Remove/ }).first().click();
  const add = page.getByLabel('Add to VISUALIZE');
  for (const calc of ['HEATMAP(duration_ms)', 'P99(duration_ms)', 'COUNT']) {
    await add.fill(calc);
    await add.press('Enter');
  }
  await add.fill('P42(nope)');
  await add.press('Enter');
  assert.match(await visualize.textContent(), /use COUNT, P99\(col\)/, 'a bad calculation is explained, not added');
  await add.fill('');
  await page.getByLabel('Add to GROUP BY').fill('http.route');
  await page.getByLabel('Add to GROUP BY').press('Enter');
  await page.getByRole('button', { name: '+ filter' }).click();
  await page.getByLabel('Filter 1 column').fill('span.kind');
  await page.getByLabel('Filter 1 value').fill('server');
  await page.selectOption('[aria-label="Order by"]', 'P99(duration_ms)');
  await page.click('#run-query');
  await page.waitForSelector('#heatmap canvas');
  await page.waitForSelector('#results-table tbody tr');
  const url = page.url();
  const spec = JSON.parse(new URL(url.replace('#/query', 'query')).searchParams.get('q'));
  assert.deepEqual(spec.calculations.map((c) => c.op), ['HEATMAP', 'P99', 'COUNT']);
  assert.deepEqual(spec.breakdowns, ['http.route']);
  assert.deepEqual(spec.filters, [{ column: 'span.kind', op: '=', value: 'server' }]);
  assert.equal(spec.time_range, 600);
  const rows = await page.locator('#results-table tbody tr').count();
  assert.ok(rows >= 3, `one row per route, got ${rows}`);
  // Ordered by P99, descending, as asked.
  const p99s = await page.locator('#results-table tbody tr td:nth-child(2)').allTextContents();
  const numbers = p99s.map((t) => Number(t.replace(/,/g, '')));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a));
  assert.match(await page.locator('#query-stats').textContent(), /events matched/);
  await shot('query');
  // The permalink reproduces the query in a fresh page; the query is listed as recent.
  const other = await page.context().newPage();
  await other.goto(url);
  await other.waitForSelector('#results-table tbody tr');
  assert.equal(await other.locator('#results-table tbody tr').count(), rows);
  assert.match(await other.locator('.recent').textContent(), /backend-flask: HEATMAP\(duration_ms\), P99\(duration_ms\), COUNT/);
  await other.close();
});

test('drag over the heatmap: BubbleUp ranks what sets the slow region apart', async () => {
  const box = await page.locator('#heatmap').boundingBox();
  // From the top left of the plot (the slowest values) to most of the way down and right.
  await page.mouse.move(box.x + 120, box.y + 25);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 85, box.y + box.height * 0.8, { steps: 12 });
  await page.mouse.up();
  await page.waitForSelector('#bubbleup .dimension', { timeout: 30000 });
  const summary = await page.locator('#bubbleup-summary').textContent();
  const selected = Number(/^([\d,]+) selected events/.exec(summary)[1].replace(/,/g, ''));
  assert.ok(selected > 0, summary);
  const columns = await page.locator('#bubbleup .dimension').evaluateAll((els) => els.map((e) => e.dataset.column));
  assert.ok(columns.length >= 5, columns.join());
  assert.ok(columns.includes('duration_ms'), 'the heatmap column itself is compared');
  // Ranked: the scores shown never increase down the list.
  const scores = (await page.locator('#bubbleup .dimension h3 .muted').allTextContents()).map((t) => Number(t.replace('%', '')));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  await page.locator('#bubbleup h2').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot('bubbleup');
  // Without a mouse: a threshold typed in and submitted runs BubbleUp on everything above it.
  await page.fill('#bubbleup-threshold', '250');
  await page.press('#bubbleup-threshold', 'Enter');
  await page.waitForFunction(() => /selected events \(250 – /.test(document.querySelector('#bubbleup-summary')?.textContent ?? ''));
  assert.ok(await page.locator('#bubbleup .dimension').count() >= 5);
});

test('a results row lists its traces; a trace opens as a waterfall with its span fields', async () => {
  await page.locator('#results-table tbody tr').first().click();
  await page.waitForSelector('#trace-list tbody tr a');
  await page.locator('#traces').scrollIntoViewIfNeeded();
  await shot('trace_list');
  await page.locator('#trace-list tbody tr a').first().click();
  await page.waitForSelector('#waterfall .wf-row');
  assert.match(await page.locator('#trace-summary').textContent(), /\d+ spans · \d+ services/);
  const rows = await page.locator('#waterfall .wf-row').count();
  assert.ok(rows >= 2, `a loadgen trace has several spans, got ${rows}`);
  // Select the second span by keyboard: the side panel shows its fields.
  await page.locator('#waterfall').focus();
  await page.keyboard.press('ArrowDown');
  const panel = await page.locator('#span-panel').textContent();
  assert.match(panel, /trace\.span_id/);
  assert.match(panel, /service\.name/);
  assert.match(panel, /Resource/);
  await shot('trace');
});

test('a trace of 100,000 spans opens virtualized, collapses and scrolls to its last span', async () => {
  const started = Date.now();
  await page.goto(waggle.url(`/#/trace/${bigTraceId}`));
  await page.waitForSelector('#waterfall .wf-row');
  const opened = Date.now() - started;
  const timings = await page.evaluate(() => window.waggleTrace);
  assert.equal(timings.spans, BIG_TRACE_SPANS);
  console.log(`100,000-span trace: shown ${opened} ms after navigation (fetch ${timings.fetchMs.toFixed(0)} ms, ` +
    `tree ${timings.buildMs.toFixed(0)} ms, first rows ${timings.renderMs.toFixed(0)} ms)`);
  assert.match(await page.locator('#trace-summary').textContent(), /100,000 spans · 4 services/);
  // Only the rows in view exist in the DOM.
  const inDom = await page.locator('#waterfall .wf-row').count();
  assert.ok(inDom > 10 && inDom < 200, `virtualized: ${inDom} rows in the DOM`);
  assert.ok(await page.locator('#waterfall .wf-bar.error').count() + 1 > 0);
  await shot('trace_100k');
  // Scrolling to the end draws the last rows, still few in the DOM.
  await page.locator('#waterfall').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#waterfall .wf-row')];
    const el = document.querySelector('#waterfall');
    return rows.some((r) => parseFloat(r.style.top) + 24 >= el.scrollHeight - 48);
  });
  assert.ok(await page.locator('#waterfall .wf-row').count() < 200);
  // Collapse the root's children: 100 worker rows remain under the root.
  await page.getByRole('button', { name: 'Collapse all' }).click();
  await page.locator('#waterfall').evaluate((el) => { el.scrollTop = 0; });
  const height = await page.locator('#waterfall .rows').evaluate((el) => parseFloat(el.style.height));
  assert.equal(height, 101 * 24, 'root and its 100 collapsed workers');
  await page.waitForSelector('#waterfall .wf-row[aria-expanded="false"]');
  assert.match(await page.locator('#waterfall').textContent(), /\(\+\d[\d,]*\)/, 'collapsed rows say how many spans they hide');
  // Expanding one worker by keyboard brings back its subtree.
  await page.locator('#waterfall').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  const expanded = await page.locator('#waterfall .rows').evaluate((el) => parseFloat(el.style.height));
  assert.ok(expanded > height, 'ArrowRight expands the selected subtree');
  await shot('trace_100k_collapsed');
});

test('an X-Ray trace opens in the same waterfall, found by its X-Ray id', async () => {
  await page.goto(waggle.url('/#/query'));
  await page.fill('#trace-search', xrayId);
  await page.press('#trace-search', 'Enter');
  await page.waitForSelector('#waterfall .wf-row');
  assert.match(await page.locator('#trace-summary').textContent(), /2 spans · 1 services .*1 errors|2 spans/);
  assert.match(await page.locator('#waterfall').textContent(), /xray-frontend/);
  assert.match(await page.locator('#waterfall').textContent(), /xray-backend/);
  await shot('trace_xray');
});

test('the service map shows services and calls with rates; clicking a service queries it', async () => {
  await page.goto(waggle.url('/#/map?range=600'));
  await page.waitForSelector('#services-table tbody tr');
  const text = await page.locator('#services-table').textContent();
  for (const service of ['frontend', 'backend-flask', 'xray-frontend']) assert.match(text, new RegExp(service));
  assert.match(text, /\/min · .* avg · .*% errors · .*% faults/);
  await page.waitForTimeout(300);
  await shot('service_map');
  await page.locator('#services-table a', { hasText: 'backend-flask' }).first().click();
  await page.waitForSelector('#results-table tbody tr');
  const spec = JSON.parse(new URL(page.url().replace('#/query', 'query')).searchParams.get('q'));
  assert.deepEqual(spec.filters, [{ column: 'service.name', op: '=', value: 'backend-flask' }]);
});

test('X-Ray pages: create a sampling rule and a group; a bad filter expression is shown inline', async () => {
  await page.goto(waggle.url('/#/xray/rules'));
  await page.waitForSelector('#rules-table tbody tr');
  await page.fill('#rule-RuleName', 'ui-checkout');
  await page.fill('#rule-Priority', '50');
  await page.fill('#rule-FixedRate', '0.25');
  await page.fill('#rule-ReservoirSize', '3');
  await page.fill('#rule-ServiceName', 'backend-flask');
  await page.fill('#rule-URLPath', '/api/checkout*');
  await page.click('#rule-submit');
  await page.waitForSelector('#rules-table tbody tr:has-text("ui-checkout")');
  const rules = (await xrayApi('/GetSamplingRules')).SamplingRuleRecords.map((r) => r.SamplingRule);
  const rule = rules.find((r) => r.RuleName === 'ui-checkout');
  assert.ok(rule, 'the rule is in the X-Ray API');
  assert.equal(rule.FixedRate, 0.25);
  assert.equal(rule.ReservoirSize, 3);
  assert.equal(rule.URLPath, '/api/checkout*');
  await shot('xray_rules');
  // Edit it: the rate changes through UpdateSamplingRule.
  await page.locator('#rules-table tbody tr:has-text("ui-checkout") button', { hasText: 'Edit' }).click();
  await page.fill('#rule-FixedRate', '0.5');
  await page.click('#rule-submit');
  await page.waitForSelector('#rules-table tbody tr:has-text("50.0%")');
  const updated = (await xrayApi('/GetSamplingRules')).SamplingRuleRecords.find((r) => r.SamplingRule.RuleName === 'ui-checkout');
  assert.equal(updated.SamplingRule.FixedRate, 0.5);

  await page.goto(waggle.url('/#/xray/groups'));
  await page.fill('#group-name', 'faults');
  await page.fill('#group-filter', 'fault = true');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForSelector('#groups-table tbody tr:has-text("faults")');
  assert.ok((await xrayApi('/Groups')).Groups.some((g) => g.GroupName === 'faults' && g.FilterExpression === 'fault = true'));
  await shot('xray_groups');
  // Edit its filter, then delete it (confirming the dialog).
  await page.locator('#groups-table tbody tr:has-text("faults") button', { hasText: 'Edit' }).click();
  await page.fill('#group-filter', 'fault = true AND responsetime > 0.1');
  await page.getByRole('button', { name: 'Save faults' }).click();
  await page.waitForSelector('#groups-table tbody tr:has-text("responsetime > 0.1")');
  assert.ok((await xrayApi('/Groups')).Groups.some((g) => g.GroupName === 'faults' && /responsetime/.test(g.FilterExpression)));
  page.once('dialog', (dialog) => dialog.accept());
  await page.locator('#groups-table tbody tr:has-text("faults") button', { hasText: 'Delete' }).click();
  await page.waitForSelector('#groups-table tbody tr:has-text("faults")', { state: 'detached' });
  assert.ok(!(await xrayApi('/Groups')).Groups.some((g) => g.GroupName === 'faults'));

  await page.goto(waggle.url('/#/xray/summaries?filter=' + encodeURIComponent('service("xray-frontend") { fault }') + '&range=600'));
  await page.waitForSelector('#summaries table tbody tr');
  assert.match(await page.locator('#summaries').textContent(), new RegExp(xrayId));
  await shot('xray_summaries');
  await page.fill('#filter-expression', 'http.status >');
  await page.press('#filter-expression', 'Enter');
  await page.waitForSelector('#filter-error .error');
  assert.match(await page.locator('#filter-error').textContent(), /filter expression, at character \d+/);
  await shot('xray_filter_error');
});

test('no page raised a script error', () => {
  assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource: .*(400|404)/.test(e)), []);
});
