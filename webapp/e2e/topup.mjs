// End-to-end top-up through the real page in headless Debian Chromium (playwright-core).
//
//   node webapp/e2e/topup.mjs
//
// Env:
//   BASE_URL       the server that serves the page and the API (required)
//   INIT_DATA      raw signed Telegram initData (required)
//   SIGNER_URL     the fake wallet (required): POST {SIGNER_URL}/connect {payload, domain} →
//                  {items:[ton_addr item, ton_proof item]} (TON Connect connect-event items);
//                  POST {SIGNER_URL}/send {valid_until, messages} → {boc}
//   ARTIFACTS_DIR  where screenshots go (default ./e2e-artifacts)
//   THEME          light | dark | both (default both): the theme of the main run; `both` then
//                  re-opens the page in dark and takes the dark screenshots
//   CHROMIUM       browser binary (default /usr/bin/chromium)
//   AMOUNT         Gram to top up (default 1.5); EXPECT_BALANCE the GRAM balance after (default AMOUNT)
//   MAX_POLLS      GET /api/deposits/{id} requests tolerated (default 0: the event stream must do it)
//   E2E_TIMEOUT_MS wait for `paid` and the balance (default 20000)
//   E2E_WIDTH      viewport width in CSS px (default 390)
//   TG_PLATFORM    tgWebAppPlatform (default tdesktop; `unknown` = a plain browser: in-page buttons)
//
// Prints one JSON line: {"ok":true,"polls":0,"balance":"1.5","own_address":"0Q…",...} and exits 0, or
// {"ok":false,"step":...,"error":...,"console":[...],"screenshot":...} and exits 1.
//
// The page sees a Telegram client: an init script defines a capturing window.TelegramWebviewProxy,
// and the URL hash carries tgWebAppData/Version/Platform(tdesktop)/ThemeParams, so the pay action is
// Telegram's MainButton (pressed with Telegram.WebView.receiveEvent('main_button_pressed')). A TON
// Connect wallet is injected as window.tonkeeper.tonconnect; its connect/send go to node
// (page.exposeFunction), which calls SIGNER_URL. Requests to any origin but BASE_URL are aborted
// (the page must work offline) and listed in the result as `blocked`.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectWallet, launchBrowser, launchUrl, pressPrimary, shoot, telegramContext, textOf, waitText } from './harness.mjs';

const started = Date.now();
const env = process.env;
for (const k of ['BASE_URL', 'INIT_DATA', 'SIGNER_URL']) {
  if (!env[k]) {
    console.log(JSON.stringify({ ok: false, error: `${k} is required` }));
    process.exit(1);
  }
}
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const SIGNER_URL = env.SIGNER_URL.replace(/\/+$/, '');
const INIT_DATA = env.INIT_DATA;
const ARTIFACTS = resolve(env.ARTIFACTS_DIR || 'e2e-artifacts');
const THEME = env.THEME || 'both';
const AMOUNT = env.AMOUNT || '1.5';
const EXPECT_BALANCE = env.EXPECT_BALANCE || AMOUNT;
const MAX_POLLS = Number(env.MAX_POLLS || 0);
const TIMEOUT = Number(env.E2E_TIMEOUT_MS || 20_000);
const PLATFORM = env.TG_PLATFORM || 'tdesktop';
mkdirSync(ARTIFACTS, { recursive: true });

const logs = [];
const log = (s) => {
  logs.push(s.length > 600 ? s.slice(0, 600) + '…' : s);
  if (logs.length > 300) logs.shift();
};
const screenshots = [];
let step = 'launch';
let page = null;
let stats = { polls: 0, eventStreams: 0, blocked: new Set() };

const browser = await launchBrowser();
const hardStop = setTimeout(() => void finish(new Error('overall timeout (120 s)')), 120_000);

async function finish(err, extra = {}) {
  clearTimeout(hardStop);
  let shot = null;
  if (err && page) {
    shot = join(ARTIFACTS, 'failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => (shot = null));
  }
  const common = { polls: stats.polls, events_connections: stats.eventStreams, blocked: [...stats.blocked] };
  const out = err
    ? { ok: false, step, error: String(err?.message || err).replace(/\u001b\[[0-9;]*m/g, ''), ...common, screenshot: shot, console: logs }
    : { ok: true, ...common, screenshots, duration_ms: Date.now() - started, ...extra };
  console.log(JSON.stringify(out));
  await browser.close().catch(() => {});
  process.exit(err ? 1 : 0);
}

try {
  const tg = await telegramContext(browser, { baseUrl: BASE_URL, signerUrl: SIGNER_URL, log });
  stats = tg.stats;
  const mainTheme = THEME === 'dark' ? 'dark' : 'light';
  const otherTheme = THEME === 'both' ? 'dark' : null;

  // ---- 1. open, connect the wallet (ton_proof checked by the server) ----
  step = 'open';
  page = await tg.context.newPage();
  tg.watch(page, mainTheme);
  await page.goto(launchUrl(BASE_URL, INIT_DATA, mainTheme, PLATFORM));
  step = 'connect';
  const wallet = await connectWallet(page);

  // ---- 2. top up with the wallet ----
  step = 'topup form';
  await page.getByTestId('nav-topup').click();

  // The user's own deposit address comes first: its QR code, a copy button, its ton:// link and
  // the line saying no comment is needed.
  step = 'own address';
  await page.getByTestId('own-address').waitFor({ timeout: 5000 });
  const ownAddress = await textOf(page, 'own-address-value');
  const ownNoComment = await textOf(page, 'own-address-no-comment');
  const ownLink = await page.getByTestId('own-address-link').getAttribute('href');
  if (ownLink !== `ton://transfer/${ownAddress}`) throw new Error(`own address link ${ownLink} for ${ownAddress}`);
  if ((await page.locator('[data-testid="own-address"] svg.qr').count()) !== 1) throw new Error('no QR code of the own address');
  if ((await page.getByTestId('own-address-copy').count()) !== 1) throw new Error('no copy button for the own address');
  const ownBox = await page.getByTestId('own-address').boundingBox();
  const formBox = await page.getByTestId('topup-amount').boundingBox();
  if (!ownBox || !formBox || ownBox.y > formBox.y) throw new Error('the own address is not shown first');
  await shoot(page, ARTIFACTS, `topup-own-address-${mainTheme}`, screenshots);

  step = 'topup form';
  await page.getByTestId('topup-asset').selectOption('GRAM');
  await page.getByTestId('topup-amount').fill(AMOUNT);
  if (await page.getByTestId('amount-error').isVisible()) throw new Error(`amount rejected: ${await textOf(page, 'amount-error')}`);

  step = 'pay';
  const pay = await pressPrimary(page, 'pay-button', `Pay ${AMOUNT} GRAM`, log);

  step = 'wait paid';
  const err = page.getByTestId('error');
  await page.locator('[data-testid="invoice-status"][data-status="paid"]').or(err).first().waitFor({ timeout: TIMEOUT });
  if (await err.isVisible()) throw new Error(`page error: ${await err.textContent()}`);
  step = 'wait balance';
  await waitText(page, 'balance-GRAM', EXPECT_BALANCE, TIMEOUT);
  const balance = await textOf(page, 'balance-GRAM');
  const invoiceId = await page.getByTestId('invoice').getAttribute('data-invoice-id');
  await shoot(page, ARTIFACTS, `topup-paid-${mainTheme}`, screenshots);
  if (stats.polls > MAX_POLLS) throw new Error(`the page polled GET /api/deposits/ ${stats.polls} times while the event stream was up`);

  step = 'home';
  await pressPrimary(page, 'done-button', 'Done', log);
  await page.getByTestId('nav-topup').waitFor({ timeout: 5000 });
  await shoot(page, ARTIFACTS, `home-${mainTheme}`, screenshots);
  const tgEvents = await page.evaluate(() => window.__tgEvents.map((e) => e.type));

  // ---- 3. re-open in the other theme (same storage: the wallet session is restored) ----
  if (otherTheme) {
    step = `reopen ${otherTheme}`;
    const p2 = await tg.context.newPage();
    tg.watch(p2, otherTheme);
    await page.close();
    page = p2;
    await p2.goto(launchUrl(BASE_URL, INIT_DATA, otherTheme, PLATFORM));
    await waitText(p2, 'balance-GRAM', EXPECT_BALANCE, 10_000);
    await p2.getByTestId('wallet-address').waitFor({ timeout: 5000 });
    await p2.waitForTimeout(300);
    await shoot(p2, ARTIFACTS, `home-${otherTheme}`, screenshots);
    await p2.getByTestId('nav-topup').click();
    await p2.getByTestId('preset-5').click();
    await p2.waitForTimeout(200);
    await shoot(p2, ARTIFACTS, `topup-${otherTheme}`, screenshots);
    if (PLATFORM === 'unknown') await p2.getByTestId('back').click();
    else await p2.evaluate(() => window.Telegram.WebView.receiveEvent('back_button_pressed'));
    await p2.getByTestId('nav-history').click();
    await p2.getByTestId('history-item').first().waitFor({ timeout: 5000 });
    await shoot(p2, ARTIFACTS, `history-${otherTheme}`, screenshots);
  }
  if (stats.polls > MAX_POLLS) throw new Error(`the page polled GET /api/deposits/ ${stats.polls} times`);

  await finish(null, {
    balance,
    own_address: ownAddress,
    own_address_no_comment: ownNoComment,
    invoice: invoiceId,
    invoice_status: 'paid',
    wallet,
    pay_button: pay.in_page ? 'in-page' : 'MainButton',
    pay_text: pay.text,
    telegram_events: [...new Set(tgEvents)],
  });
} catch (e) {
  await finish(e);
}
