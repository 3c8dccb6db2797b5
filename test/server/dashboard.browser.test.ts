/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * real in-process service: the charts render, the numbers match the API, a new webhook
 * appears without a reload, the kill switch and the DLQ replay work through their
 * confirmations, the page fits a phone, and the console stays clean. Saves docs/dashboard.png.
 *
 * Without Chromium the test is skipped with the reason; under REQUIRE_SERVICES=1 it fails.
 */
import { test } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HedgehookError } from '../../src/core/errors.ts';
import { startMonitoredService } from '../helpers/monitored-service.ts';
import { signedWebhook } from '../helpers/service-process.ts';

const CHROMIUM = process.env.HEDGEHOOK_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token-0123456789abcdef';
/**
 * The README's screenshot is refreshed only when asked (`HEDGEHOOK_SCREENSHOT=1 node --import
 * tsx --test test/server/dashboard.browser.test.ts`): a plain `npm test` must not modify
 * tracked files. Otherwise the screenshot is still taken (it must not fail), into a temp file.
 */
const SCREENSHOT = process.env.HEDGEHOOK_SCREENSHOT === '1'
  ? new URL('../../docs/dashboard.png', import.meta.url).pathname
  : join(tmpdir(), `hedgehook-dashboard-${process.pid}.png`);

function chromiumMissing(): false | string {
  if (existsSync(CHROMIUM)) return false;
  const why = `chromium not found at ${CHROMIUM} (apt-get install chromium, or set HEDGEHOOK_CHROMIUM)`;
  if (process.env.REQUIRE_SERVICES === '1' || process.env.REQUIRE_SERVICES === 'true') throw new Error(`REQUIRE_SERVICES=1: ${why}`);
  return why;
}

const POSITION = { side: 'long', size: 50000, entryPrice: 0.2381, leverage: 10 };

let sent = 0;
/** Each signal grows the position, so each needs an order. */
function payload(type: string, extra: object = {}) {
  sent++;
  return { symbol: 'TRXUSDT.P', action: 'open', type, strength: 0.8, price: 0.2412, position: { ...POSITION, size: POSITION.size + sent * 5_000 }, ...extra };
}

async function post(url: string, body: object, id?: string) {
  const hook = signedWebhook(body, id ? { id } : {});
  const res = await fetch(`${url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  return { status: res.status, body: (await res.json()) as { id: string } };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, url);
  return (await res.json()) as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pixels of the canvas close to `rgb` (a series' colour): proof that the series was drawn. */
async function pixelsOf(page: Page, selector: string, rgb: [number, number, number]): Promise<number> {
  return page.$eval(selector, (canvas, [r, g, b]) => {
    const c = canvas as HTMLCanvasElement;
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3]! > 200 && Math.abs(px[i]! - r!) < 24 && Math.abs(px[i + 1]! - g!) < 24 && Math.abs(px[i + 2]! - b!) < 24) n++;
    }
    return n;
  }, rgb);
}

const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent?.trim() ?? '');

test('the dashboard renders live data from the API in Chromium', { skip: chromiumMissing(), timeout: 90_000 }, async () => {
  const failedOnce = new Set<string>();
  const svc = await startMonitoredService({
    apiToken: TOKEN,
    execution: true,
    // A "poison" signal fails its first attempt, not retryable: a dead letter to replay.
    processor: (decide) => async (d) => {
      if (d.payload.type === 'poison' && !failedOnce.has(d.id)) {
        failedOnce.add(d.id);
        throw new HedgehookError('HH_ERR_PROCESSING_FAILED', 'poisoned for the test', { retryable: false });
      }
      return decide(d);
    },
  });
  let browser: Browser | undefined;
  try {
    const types = ['breakout', 'breakout', 'reversal', 'breakout', 'trend', 'reversal'];
    for (const t of types) assert.equal((await post(svc.url, payload(t))).status, 202);
    assert.equal((await post(svc.url, payload('poison'))).status, 202);
    const dup = await post(svc.url, payload('breakout'), 'msg_fixed');
    assert.equal(dup.status, 202);
    assert.equal((await post(svc.url, payload('breakout'), 'msg_fixed')).status, 200);
    const bad = await fetch(`${svc.url}/webhooks/default`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bad.status, 401);
    await until('all signals settled', async () => {
      const { signals } = await getJson<{ signals: { state: string }[] }>(`${svc.url}/api/signals`);
      return signals.length === 8 && signals.every((s) => s.state !== 'received' && s.state !== 'processing');
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    // The token as a user would have entered it once: no 401 (and no console error) on load.
    await context.addInitScript((t) => localStorage.setItem('hedgehook.apiToken', t), TOKEN);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));

    await page.goto(svc.url + '/');
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live[data-state="live"]');

    // The numbers are the API's.
    type Summary = { webhooks: { accepted: number; duplicate: number; rejected: number }; dlqSize: number; queueDepth: number; model: string };
    const summary = await getJson<Summary>(`${svc.url}/api/dashboard/summary`);
    assert.deepEqual([summary.webhooks.accepted, summary.webhooks.duplicate, summary.webhooks.rejected], [8, 1, 1]);
    assert.equal(await text(page, '#tile-accepted'), String(summary.webhooks.accepted));
    assert.equal(await text(page, '#tile-duplicate'), String(summary.webhooks.duplicate));
    assert.equal(await text(page, '#tile-rejected'), String(summary.webhooks.rejected));
    assert.equal(await text(page, '#tile-queue'), String(summary.queueDepth));
    const dlq = await getJson<{ entries: { signalId: string }[] }>(`${svc.url}/api/dlq`);
    assert.equal(dlq.entries.length, 1);
    assert.equal(await text(page, '#tile-dlq'), '1');
    assert.equal(await page.locator('#dlq tbody tr[data-signal]').count(), 1);
    assert.equal(await text(page, '#model'), `model ${summary.model}`);

    const { signals } = await getJson<{ signals: { id: string; state: string; decision: { ratio: number } | null }[] }>(`${svc.url}/api/signals?limit=50`);
    assert.deepEqual(await page.$$eval('#signals tbody tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id'))), signals.map((s) => s.id));
    const decided = signals.find((s) => s.decision)!;
    assert.equal(await text(page, `#signals tr[data-id="${decided.id}"] td:nth-child(6)`), decided.decision!.ratio.toFixed(3));

    const perf = await getJson<{ types: { type: string; count: number }[] }>(`${svc.url}/api/dashboard/performance`);
    assert.deepEqual(
      await page.$$eval('#performance tbody tr[data-type]', (rows) => rows.map((r) => [r.getAttribute('data-type'), Number(r.children[1]!.textContent)])),
      perf.types.map((t) => [t.type, t.count]),
    );

    // The charts are drawn by uPlot: canvases exist and carry the series' colours.
    for (const id of ['arrivals', 'latency', 'fills', 'equity']) assert.equal(await page.locator(`#chart-${id} canvas`).count(), 1, `chart ${id}`);
    assert.ok((await pixelsOf(page, '#chart-arrivals canvas', [23, 165, 137])) > 20, 'the accepted series is drawn');
    assert.ok((await pixelsOf(page, '#chart-arrivals canvas', [214, 69, 65])) > 20, 'the rejected series is drawn');
    assert.ok((await pixelsOf(page, '#chart-latency canvas', [214, 69, 65])) > 0, 'the ack p99 is drawn');
    assert.match(await text(page, '#chart-arrivals .u-legend'), /default accepted/);
    // The venues table is the order legs'; the equity chart has the hedged and unhedged curves.
    const { orders } = await getJson<{ orders: { venue: string; status: string }[] }>(`${svc.url}/api/orders?limit=500`);
    assert.ok(orders.length >= 5, `orders placed: ${orders.length}`);
    const venuesShown = await page.$$eval('#venues tbody tr[data-venue]', (rows) => rows.map((r) => [r.getAttribute('data-venue'), Number(r.children[2]!.textContent)]));
    assert.deepEqual(venuesShown, [['primary', orders.filter((o) => o.venue === 'primary').length]]);
    assert.equal(await page.locator('#chart-equity canvas').count(), 1);
    assert.equal(await text(page, '#market'), 'static prices');

    // A new webhook appears without a reload, then its decision.
    const fresh = await post(svc.url, payload('live-check'));
    assert.equal(fresh.status, 202);
    await page.waitForSelector(`#signals tr[data-id="${fresh.body.id}"]`, { timeout: 5_000 });
    await page.waitForSelector(`#signals tr[data-id="${fresh.body.id}"][data-state="hedged"]`, { timeout: 5_000 });
    await page.waitForFunction(() => document.getElementById('tile-accepted')!.textContent === '9', undefined, { timeout: 5_000 });
    await page.waitForSelector('#performance tr[data-type="live-check"]', { timeout: 5_000 });
    await page.click(`#signals tr[data-id="${fresh.body.id}"]`);
    assert.match(await text(page, '#signals tr.detail'), /positionSize/);

    // The kill switch: confirmed, then applied; a cancelled confirmation changes nothing.
    await page.click('#kill-button');
    await page.waitForSelector('#confirm[open]');
    await page.fill('#confirm-reason', 'browser test');
    await page.click('#confirm-ok');
    await page.waitForSelector('#kill-state[data-halted="true"]', { timeout: 5_000 });
    const halted = await getJson<{ halted: boolean; reason: string; by: string }>(`${svc.url}/api/halt`);
    assert.deepEqual([halted.halted, halted.reason, halted.by], [true, 'browser test', 'dashboard']);
    await page.waitForSelector('.alert[data-key="kill-switch"]', { timeout: 5_000 });
    await page.click('#kill-button');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm button[value="cancel"]');
    assert.equal((await getJson<{ halted: boolean }>(`${svc.url}/api/halt`)).halted, true);
    await page.click('#kill-button');
    await page.click('#confirm-ok');
    await page.waitForSelector('#kill-state[data-halted="false"]', { timeout: 5_000 });

    // DLQ replay through its confirmation; the poison signal succeeds the second time.
    await page.click(`#dlq tr[data-signal="${dlq.entries[0]!.signalId}"] button`);
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector('#dlq td.empty-row', { timeout: 5_000 });
    await page.waitForFunction(() => document.getElementById('tile-dlq')!.textContent === '0', undefined, { timeout: 5_000 });
    assert.equal((await getJson<{ entries: unknown[] }>(`${svc.url}/api/dlq`)).entries.length, 0);

    mkdirSync(new URL('../../docs/', import.meta.url).pathname, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    assert.ok(((await page.locator('#chart-arrivals canvas').boundingBox())?.width ?? 1000) <= 390, 'the chart follows the phone width');

    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser?.close();
    await svc.stop();
  }
});
