// What a phone on a mobile network waits for when it first opens the Mini App: the bytes over the
// wire and the time to the first screen (the home screen with the balance), in headless Debian
// Chromium throttled through the DevTools protocol like a mid-range phone on a slow 4G network:
// 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, the CPU slowed 4x. The browser cache is off
// (a first open); the browser asks for compressed answers as Chromium does (gzip, deflate, br, zstd).
//
//   node webapp/e2e/firstopen.mjs
//
// Env: BASE_URL, INIT_DATA (required); RUNS (default 3, the median is reported); CHROMIUM.
// Prints one JSON line: {"ok":true,"runs":[...],"median_first_screen_ms":...,"first_screen_bytes":...,
// "settled_bytes":...,"files":[{path,encoding,bytes,size}]} and exits 0, or {"ok":false,...} and exits 1.
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, launchUrl } from './harness.mjs';

const env = process.env;
if (!env.BASE_URL || !env.INIT_DATA) {
  console.log(JSON.stringify({ ok: false, error: 'BASE_URL and INIT_DATA are required' }));
  process.exit(1);
}
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const RUNS = Number(env.RUNS || 3);
export const PROFILE = { latency: 150, downloadThroughput: (1.6e6 / 8) | 0, uploadThroughput: (750e3 / 8) | 0, cpu: 4 };

// Runs in the page before its scripts: note when the first screen (the balance) is in the DOM.
function markFirstScreen() {
  const seen = () => document.querySelector('[data-testid^="balance-"]') && document.querySelector('[data-testid="nav-topup"], [data-testid="blocked"]');
  const obs = new MutationObserver(() => {
    if (window.__firstScreen === undefined && seen()) {
      window.__firstScreen = performance.now();
      obs.disconnect();
    }
  });
  document.addEventListener('DOMContentLoaded', () => obs.observe(document.body, { childList: true, subtree: true }));
}

async function once(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'en-US', serviceWorkers: 'block' });
  await context.addInitScript(markFirstScreen);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: PROFILE.latency,
    downloadThroughput: PROFILE.downloadThroughput,
    uploadThroughput: PROFILE.uploadThroughput,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: PROFILE.cpu });
  const reqs = new Map();
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    reqs.set(e.requestId, { url: e.response.url, encoding: h['content-encoding'] || '', status: e.response.status });
  });
  const t0 = Date.now();
  cdp.on('Network.loadingFinished', (e) => {
    const r = reqs.get(e.requestId);
    if (r) Object.assign(r, { bytes: e.encodedDataLength, done: Date.now() - t0 });
  });
  await page.goto(launchUrl(BASE_URL, env.INIT_DATA, 'light', 'tdesktop'));
  await page.waitForFunction(() => window.__firstScreen !== undefined, null, { timeout: 120_000, polling: 200 });
  const firstScreen = await page.evaluate(() => window.__firstScreen);
  const atFirst = Date.now() - t0;
  // Whatever the page still fetches on its own after the first screen (nothing is tapped).
  await page.waitForTimeout(3000);
  const sizes = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => ({ url: e.name, size: e.decodedBodySize })),
  );
  await context.close();
  const files = [...reqs.values()]
    .filter((r) => r.bytes !== undefined && !r.url.includes('/api/events'))
    .map((r) => ({
      path: new URL(r.url).pathname,
      encoding: r.encoding,
      bytes: r.bytes,
      size: sizes.find((s) => s.url === r.url)?.size ?? null,
      before_first_screen: r.done <= atFirst,
    }));
  const sum = (f) => files.filter(f).reduce((n, r) => n + r.bytes, 0);
  return {
    first_screen_ms: Math.round(firstScreen),
    first_screen_bytes: sum((r) => r.before_first_screen),
    settled_bytes: sum(() => true),
    files,
  };
}

const browser = await chromium.launch({ executablePath: env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
try {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(browser));
  const ms = runs.map((r) => r.first_screen_ms).sort((a, b) => a - b);
  const last = runs[runs.length - 1];
  console.log(
    JSON.stringify({
      ok: true,
      profile: PROFILE,
      runs: runs.map((r) => r.first_screen_ms),
      median_first_screen_ms: ms[Math.floor(ms.length / 2)],
      first_screen_bytes: last.first_screen_bytes,
      settled_bytes: last.settled_bytes,
      files: last.files,
    }),
  );
  await browser.close();
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e?.message || e) }));
  await browser.close().catch(() => {});
  process.exit(1);
}
