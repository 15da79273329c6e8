// Buying a credit package with Telegram Stars through the real page in headless Debian Chromium.
//
//   node webapp/e2e/stars.mjs
//
// Env:
//   BASE_URL       the server that serves the page and the API (required)
//   INIT_DATA      raw signed Telegram initData (required)
//   TELEGRAM_URL   the test's Telegram stand-in (required): POST {TELEGRAM_URL}/invoice {slug} →
//                  {status} pays the invoice the page opened (pre_checkout_query, then
//                  successful_payment delivered to the bot) and names the status the sheet closes with
//   PACKAGE        the package to buy (required); EXPECT_CREDITS the credits the page must announce
//   SUBSCRIBE      a monthly package to subscribe to next (optional): the page must list it as
//                  active with its renewal date, then cancel it (canceled, runs to the same date);
//                  then POST {TELEGRAM_URL}/subscription {state: 'failed'} has Telegram report the
//                  renewal payment failed, which the page must show as pushed, with no button
//   ARTIFACTS_DIR  where screenshots go (default ./e2e-artifacts)
//   CHROMIUM       browser binary (default /usr/bin/chromium)
//
// The page calls WebApp.openInvoice; telegram-web-app.js posts web_app_open_invoice to the
// capturing TelegramWebviewProxy, the harness asks TELEGRAM_URL to pay and then closes the sheet
// with Telegram.WebView.receiveEvent('invoice_closed', {slug, status}). The credits must then
// arrive over the event stream (the page does not poll for them).
//
// Prints one JSON line: {"ok":true,"done":"100 credits added ...","invoice":{...}} and exits 0, or
// {"ok":false,"step":...,"error":...,"console":[...]} and exits 1.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, launchUrl, shoot, telegramContext, textOf } from './harness.mjs';

const env = process.env;
for (const k of ['BASE_URL', 'INIT_DATA', 'TELEGRAM_URL', 'PACKAGE']) {
  if (!env[k]) {
    console.log(JSON.stringify({ ok: false, error: `${k} is required` }));
    process.exit(1);
  }
}
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const ARTIFACTS = resolve(env.ARTIFACTS_DIR || 'e2e-artifacts');
const PACKAGE = env.PACKAGE;
const EXPECT_CREDITS = env.EXPECT_CREDITS || '';
mkdirSync(ARTIFACTS, { recursive: true });

const logs = [];
const log = (s) => {
  logs.push(s.length > 600 ? s.slice(0, 600) + '…' : s);
  if (logs.length > 300) logs.shift();
};
const screenshots = [];
let step = 'launch';
let page = null;

const browser = await launchBrowser();
const hardStop = setTimeout(() => void finish(new Error('overall timeout (90 s)')), 90_000);

async function finish(err, extra = {}) {
  clearTimeout(hardStop);
  let shot = null;
  if (err && page) {
    shot = join(ARTIFACTS, 'stars-failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => (shot = null));
  }
  const out = err
    ? { ok: false, step, error: String(err?.message || err).replace(/\u001b\[[0-9;]*m/g, ''), screenshot: shot, console: logs }
    : { ok: true, screenshots, ...extra };
  console.log(JSON.stringify(out));
  await browser.close().catch(() => {});
  process.exit(err ? 1 : 0);
}

try {
  const tg = await telegramContext(browser, { baseUrl: BASE_URL, telegramUrl: env.TELEGRAM_URL.replace(/\/+$/, ''), log });
  step = 'open';
  page = await tg.context.newPage();
  tg.watch(page, 'light');
  await page.goto(launchUrl(BASE_URL, env.INIT_DATA, 'light'));
  await page.getByTestId('nav-topup').click();

  step = 'packages';
  const buy = page.getByTestId(`buy-${PACKAGE}-stars`);
  await buy.waitFor({ timeout: 15_000 });
  const price = ((await buy.textContent()) ?? '').trim();

  step = 'buy';
  await buy.click();
  step = 'wait credits';
  const failed = page.getByTestId('purchase-error');
  const credited = page.locator('[data-testid="purchase-done"]', { hasText: 'credits added' });
  await credited.or(failed).first().waitFor({ timeout: 20_000 });
  if (await failed.isVisible()) throw new Error(`page says: ${await textOf(page, 'purchase-error')}`);
  const done = await textOf(page, 'purchase-done');
  if (EXPECT_CREDITS && !done.startsWith(`${EXPECT_CREDITS} credits added`)) throw new Error(`page says ${JSON.stringify(done)}`);
  await shoot(page, ARTIFACTS, 'stars-bought-light', screenshots);

  const extra = {};
  if (env.SUBSCRIBE) {
    step = 'subscribe';
    const sub = env.SUBSCRIBE;
    await page.getByTestId(`buy-${sub}-stars`).click();
    await page.locator('[data-testid="purchase-done"]', { hasText: `(${sub},` }).or(failed).first().waitFor({ timeout: 20_000 });
    if (await failed.isVisible()) throw new Error(`page says: ${await textOf(page, 'purchase-error')}`);
    extra.subscribed = await textOf(page, 'purchase-done');
    step = 'subscription listed';
    await page.locator(`[data-testid="subscription-${sub}"][data-status="active"]`).waitFor({ timeout: 10_000 });
    extra.active = await textOf(page, `subscription-${sub}-state`);
    await shoot(page, ARTIFACTS, 'stars-subscription-light', screenshots);
    step = 'cancel';
    await page.getByTestId(`subscription-${sub}-cancel`).click();
    const subErr = page.getByTestId('subscription-error');
    await page.locator(`[data-testid="subscription-${sub}"][data-status="canceled"]`).or(subErr).first().waitFor({ timeout: 10_000 });
    if (await subErr.isVisible()) throw new Error(`page says: ${await textOf(page, 'subscription-error')}`);
    extra.canceled = await textOf(page, `subscription-${sub}-state`);
    if (!(await page.getByTestId(`subscription-${sub}-resume`).isVisible())) throw new Error('no Resume after cancelling');
    step = 'renewal failed';
    const r = await fetch(`${env.TELEGRAM_URL.replace(/\/+$/, '')}/subscription`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'failed' }),
    });
    if (!r.ok) throw new Error(`Telegram stand-in: ${r.status} ${await r.text()}`);
    await page.locator(`[data-testid="subscription-${sub}"][data-status="payment_failed"]`).waitFor({ timeout: 10_000 });
    extra.failed = await textOf(page, `subscription-${sub}-state`);
    if (await page.locator(`[data-testid="subscription-${sub}"] button`).count()) throw new Error('a button under a failed renewal');
  }

  const invoices = await page.evaluate(() => window.__tgEvents.filter((e) => e.type === 'web_app_open_invoice').map((e) => e.data));
  if (invoices.length !== (env.SUBSCRIBE ? 2 : 1)) throw new Error(`web_app_open_invoice posted ${invoices.length} times`);
  await finish(null, { price, done, invoices, ...extra, blocked: [...tg.stats.blocked] });
} catch (e) {
  await finish(e);
}
