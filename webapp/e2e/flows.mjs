// The rest of the page against e2e/mock-server.mjs only (it uses the mock's /mock/* controls):
// in-page buttons (platform "unknown", no MainButton), amount validation, a credit package with
// too little balance → top-up offer, a purchase, a withdrawal (Idempotency-Key, live status),
// history paging, and the polling fallback while the event stream is down.
// Run through `npm run e2e:mock`, which sets BASE_URL, INIT_DATA, SIGNER_URL, ARTIFACTS_DIR.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectWallet, launchBrowser, launchUrl, shoot, telegramContext, textOf, waitText } from './harness.mjs';

const env = process.env;
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const ARTIFACTS = resolve(env.ARTIFACTS_DIR || 'e2e-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
const USER_ID = Number(JSON.parse(new URLSearchParams(env.INIT_DATA).get('user')).id);

const logs = [];
const log = (s) => {
  logs.push(s.length > 600 ? s.slice(0, 600) + '…' : s);
  if (logs.length > 300) logs.shift();
};
const screenshots = [];
const checks = [];
let step = 'launch';
let page = null;
const browser = await launchBrowser();
const hardStop = setTimeout(() => void finish(new Error('overall timeout (150 s)')), 150_000);

async function finish(err, extra = {}) {
  clearTimeout(hardStop);
  let shot = null;
  if (err && page) {
    shot = join(ARTIFACTS, 'flows-failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => (shot = null));
  }
  console.log(
    JSON.stringify(
      err
        ? { ok: false, script: 'flows', step, error: String(err?.message || err).replace(/\u001b\[[0-9;]*m/g, ''), checks, screenshot: shot, console: logs }
        : { ok: true, script: 'flows', checks, screenshots, ...extra },
    ),
  );
  await browser.close().catch(() => {});
  process.exit(err ? 1 : 0);
}
const check = (name) => checks.push(name);
const mock = (path, body) =>
  fetch(`${BASE_URL}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

try {
  const tg = await telegramContext(browser, { baseUrl: BASE_URL, signerUrl: env.SIGNER_URL, log });
  page = await tg.context.newPage();
  tg.watch(page, 'light');
  // Platform "unknown": a plain browser tab, so every action is an in-page button.
  await page.goto(launchUrl(BASE_URL, env.INIT_DATA, 'light', 'unknown'));

  step = 'connect';
  await connectWallet(page);
  check('wallet connected with ton_proof');

  step = 'disconnect and reconnect';
  await page.getByTestId('disconnect-wallet').click();
  await page.getByTestId('connect-wallet').waitFor();
  assert.equal(tg.stats.requests.filter((r) => r.method === 'DELETE' && r.path === '/api/wallet').length, 1);
  await connectWallet(page);
  check('disconnect unlinks (DELETE /api/wallet); a new proof links again');

  step = 'amount validation';
  await page.getByTestId('nav-topup').click();
  const amount = page.getByTestId('topup-amount');
  await page.getByTestId('pay-button').click();
  assert.equal(await textOf(page, 'amount-error'), 'Enter an amount');
  await amount.fill('1.1234567891');
  assert.equal(await textOf(page, 'amount-error'), 'TON allows at most 9 decimal places');
  await amount.fill('0');
  assert.equal(await textOf(page, 'amount-error'), 'Amount must be greater than zero');
  await page.getByTestId('topup-asset').selectOption('USDT');
  await amount.fill('2.1234567');
  assert.equal(await textOf(page, 'amount-error'), 'USDT allows at most 6 decimal places');
  await shoot(page, ARTIFACTS, 'topup-invalid-light', screenshots);
  await amount.fill('2.123456');
  assert.equal(await page.getByTestId('amount-error').count(), 0);
  await page.getByTestId('topup-asset').selectOption('TON');
  check('amount validation exact per asset decimals');
  await page.getByTestId('manual-deposit').locator('summary').click();
  await page.getByTestId('deposit-comment').waitFor();
  await shoot(page, ARTIFACTS, 'topup-manual-light', screenshots);
  await page.getByTestId('manual-deposit').locator('summary').click();

  step = 'package with too little balance';
  await page.getByTestId('buy-pro').click(); // arms
  await page.getByTestId('buy-pro').click(); // buys
  await page.getByTestId('purchase-error').waitFor();
  assert.match(await textOf(page, 'purchase-error'), /Not enough TON/);
  await shoot(page, ARTIFACTS, 'package-insufficient-light', screenshots);
  await page.getByTestId('purchase-topup').click();
  assert.equal(await amount.inputValue(), '5');
  check('insufficient balance offers a top-up of the missing amount');

  step = 'pay 5 TON (in-page button)';
  assert.equal(await textOf(page, 'pay-button'), 'Pay 5 TON');
  await page.getByTestId('pay-button').click();
  await page.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 20_000 });
  await waitText(page, 'balance-TON', '5', 10_000);
  await page.getByTestId('done-button').click();
  check('top-up with the in-page pay button');

  step = 'buy starter';
  await page.getByTestId('nav-topup').click();
  await page.getByTestId('buy-starter').click();
  await page.getByTestId('buy-starter').click();
  await page.getByTestId('purchase-done').waitFor();
  await waitText(page, 'balance-TON', '3.5', 5000);
  check('package bought from the balance');

  step = 'withdraw';
  await page.getByTestId('back').click();
  await page.getByTestId('nav-withdraw').click();
  await page.getByTestId('withdraw-address').fill('EQnotanaddress');
  await page.getByTestId('withdraw-submit').click();
  assert.match(await textOf(page, 'address-error'), /does not look like a TON address/);
  await page.getByTestId('withdraw-address').fill('');
  await page.getByTestId('withdraw-use-wallet').click();
  await page.getByTestId('withdraw-amount').fill('10');
  assert.match(await textOf(page, 'withdraw-amount-error'), /More than your balance/);
  await page.getByTestId('withdraw-amount').fill('1');
  // The rule book's quote before confirming: the fee in TON and what leaves the balance.
  await page.getByTestId('withdraw-quote').waitFor();
  assert.match(await textOf(page, 'quote-fee'), /0\.01 TON/);
  assert.match(await textOf(page, 'quote-total'), /1\.01 TON/);
  await shoot(page, ARTIFACTS, 'withdraw-form-light', screenshots);
  await page.getByTestId('withdraw-submit').click();
  await page.locator('[data-testid="withdrawal-status"][data-status="confirmed"]').waitFor({ timeout: 10_000 });
  await page.getByTestId('withdrawal-link').waitFor();
  const posts = tg.stats.requests.filter((r) => r.method === 'POST' && r.path === '/api/withdrawals');
  assert.equal(posts.length, 1);
  assert.match(posts[0].headers['idempotency-key'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(tg.stats.requests.filter((r) => r.path.startsWith('/api/withdrawals/') && r.path !== '/api/withdrawals/quote').length, 0, 'withdrawal status polled');
  await shoot(page, ARTIFACTS, 'withdraw-done-light', screenshots);
  check('withdrawal with a UUID Idempotency-Key, status live over the stream');

  step = 'history paging';
  await mock('/mock/seed', { user_id: USER_ID, n: 30 });
  await page.getByTestId('back').click();
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-item').first().waitFor();
  assert.equal(await page.getByTestId('history-item').count(), 20);
  await page.getByTestId('history-more').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-item"]').length > 20);
  const total = await page.getByTestId('history-item').count();
  assert.equal(total, 34); // 30 seeded + top-up, purchase, withdrawal, withdrawal fee
  assert.equal(await page.getByTestId('history-more').count(), 0);
  assert.ok((await page.getByTestId('history-link').count()) >= 1);
  await shoot(page, ARTIFACTS, 'history-light', screenshots);
  check('history is cursor-paged with explorer links');

  step = 'stream down → polling fallback';
  assert.equal(tg.stats.polls, 0, 'polled while the stream was up');
  await page.getByTestId('back').click();
  await mock('/mock/events', { on: false });
  await page.getByTestId('nav-topup').click();
  await page.getByTestId('preset-1').click();
  await page.getByTestId('pay-button').click();
  await page.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 20_000 });
  await waitText(page, 'balance-TON', '3.49', 10_000);
  assert.ok(tg.stats.polls > 0, 'no polling while the stream was down');
  const pollsWhenDown = tg.stats.polls;
  await mock('/mock/events', { on: true });
  check(`stream down: invoice followed by polling (${pollsWhenDown} polls)`);

  step = 'merchant invoice from a pay link';
  // Telegram passes startapp=inv_<id> as start_param inside initData.
  const opened = async (id) => {
    const p = await tg.context.newPage();
    tg.watch(p, 'light');
    await p.goto(launchUrl(BASE_URL, `${env.INIT_DATA}&start_param=${id}`, 'light', 'unknown'));
    return p;
  };
  const created = await (await mock('/mock/merchant-invoice', { asset: 'TON', amount: '0.25', merchant: 'Coffee shop', description: 'Two flat whites' })).json();
  const shop = await opened(created.id);
  await shop.getByTestId('invoice').waitFor();
  assert.equal(await textOf(shop, 'invoice-merchant'), 'Coffee shop');
  assert.equal(await textOf(shop, 'invoice-description'), 'Two flat whites');
  assert.equal(await textOf(shop, 'invoice-amount'), '0.25 TON');
  assert.equal(await textOf(shop, 'pay-button'), 'Pay 0.25 TON');
  await shop.getByTestId('pay-button').click();
  await shop.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 20_000 });
  await shoot(shop, ARTIFACTS, 'invoice-paid-light', screenshots);
  const bocs = tg.stats.requests.filter((r) => r.method === 'POST' && r.path === `/api/invoices/${created.id}/boc`);
  assert.equal(bocs.length, 1);
  await shop.close();
  check('merchant invoice opened from start_param, paid with TON Connect, paid pushed over the stream');

  const lapsed = await (await mock('/mock/merchant-invoice', { asset: 'TON', amount: '1', merchant: 'Coffee shop', expires_in: -1 })).json();
  const old = await opened(lapsed.id);
  await old.locator('[data-testid="invoice-status"][data-status="expired"]').waitFor();
  assert.equal(await old.getByTestId('pay-button').count(), 0);
  await old.close();
  check('an expired merchant invoice shows expired and offers no payment');

  await finish(null, { polls_while_down: pollsWhenDown });
} catch (e) {
  await finish(e);
}
