// The rest of the page against e2e/mock-server.mjs only (it uses the mock's /mock/* controls):
// in-page buttons (platform "unknown", no MainButton), amount validation, a credit package with
// too little balance → top-up offer, a purchase, a withdrawal (Idempotency-Key, live status),
// history paging, the polling fallback while the event stream is down, and the admin and
// merchant dashboards against the mock's sample data (Bob is an admin and owns merchant 1).
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
const hardStop = setTimeout(() => void finish(new Error('overall timeout (240 s)')), 240_000);

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
  const walletAddress = await connectWallet(page);
  check('disconnect unlinks (DELETE /api/wallet); a new proof links again');

  step = 'amount validation';
  await page.getByTestId('nav-topup').click();
  const amount = page.getByTestId('topup-amount');
  await page.getByTestId('pay-button').click();
  assert.equal(await textOf(page, 'amount-error'), 'Enter an amount');
  await amount.fill('1.1234567891');
  assert.equal(await textOf(page, 'amount-error'), 'GRAM allows at most 9 decimal places');
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

  step = 'pay 5 GRAM (in-page button)';
  assert.equal(await textOf(page, 'pay-button'), 'Pay 5 GRAM');
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
  assert.match(await textOf(page, 'quote-fee'), /0\.01 GRAM/);
  assert.match(await textOf(page, 'quote-total'), /1\.01 GRAM/);
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
  assert.equal(await textOf(shop, 'invoice-amount'), '0.25 GRAM');
  assert.equal(await textOf(shop, 'pay-button'), 'Pay 0.25 GRAM');
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

  step = 'dashboards: home entries';
  // A fresh load: /api/me is read again (only the hash would change otherwise).
  await page.goto('about:blank');
  await page.goto(launchUrl(BASE_URL, env.INIT_DATA, 'light', 'unknown'));
  await page.getByTestId('open-admin').waitFor();
  await page.getByTestId('open-merchant-1').waitFor();
  check('home lists Admin and the owned merchant from /api/me roles');

  step = 'admin overview';
  await page.getByTestId('open-admin').click();
  await page.getByTestId('overview-TON').waitFor();
  await page.getByTestId('overview-USDT').waitFor();
  assert.match(await page.getByTestId('overview-USDT-drift').getAttribute('class'), /\bbad\b/, 'non-zero drift is highlighted');
  assert.doesNotMatch((await page.getByTestId('overview-TON-drift').getAttribute('class')) ?? '', /\bbad\b/);
  assert.ok((await page.getByTestId('chart').locator('rect').count()) >= 30);
  await page.getByTestId('chart-asset-USDT').click();
  assert.equal(await page.getByTestId('chart').getAttribute('data-asset'), 'USDT');
  await shoot(page, ARTIFACTS, 'admin-overview-light', screenshots);
  await page.getByTestId('pause-reason').fill('flows: checking the pause');
  await page.getByTestId('payouts-pause').click();
  await waitText(page, 'payouts-state', 'Paused', 5000);
  await page.getByTestId('payouts-resume').click();
  await waitText(page, 'payouts-state', 'Running', 5000);
  check('admin overview: cards per asset, drift highlighted, 30-day chart, payouts paused and resumed');

  step = 'admin approvals';
  await page.getByTestId('admin-tab-approvals').click();
  await page.getByTestId('approval-9001').waitFor();
  await page.getByTestId('reject-9001').click();
  await page.getByTestId('reject-confirm').click();
  await page.getByTestId('reject-reason').waitFor(); // a reason is required: still open
  await page.getByTestId('approve-9001').count().then((n) => assert.equal(n, 0));
  await page.getByText('Cancel').click();
  await page.getByTestId('approve-9001').click();
  await page.getByTestId('approval-9001').waitFor({ state: 'detached' });
  await page.getByTestId('approvals-empty').waitFor();
  check('a withdrawal awaiting approval is approved and leaves the list');

  step = 'admin withdrawals (3 s refresh)';
  await page.getByTestId('admin-tab-withdrawals').click();
  await page.getByTestId('withdrawal-9001').waitFor();
  await page.locator('[data-testid="withdrawal-status-9001"][data-status="confirmed"]').waitFor({ timeout: 12_000 });
  await page.getByTestId('withdrawal-9001-link').waitFor();
  check('the approved withdrawal is watched to confirmed by the tab\'s timer');

  step = 'admin unmatched';
  await page.getByTestId('admin-tab-unmatched').click();
  await page.getByTestId('assign-501').click();
  await page.getByTestId('assign-to').fill('someone');
  await page.getByTestId('assign-confirm').click();
  await page.getByText('A user id like 42, or m:7 for merchant 7').waitFor();
  await page.getByTestId('assign-to').fill('m:1');
  await page.getByTestId('assign-confirm').click();
  await page.locator('[data-testid="unmatched-status-501"][data-resolution="assigned"]').waitFor();
  assert.match(await textOf(page, 'unmatched-status-501'), /Assigned to Coffee shop/);
  await page.getByTestId('refund-502').click();
  await page.getByTestId('refund-tx').fill('ab'.repeat(32));
  await page.getByTestId('refund-confirm').click();
  await page.locator('[data-testid="unmatched-status-502"][data-resolution="refunded"]').waitFor();
  check('unmatched deposits: assigned to a merchant (m:<id>), a refund recorded');

  step = 'admin users';
  await page.getByTestId('admin-tab-users').click();
  await page.getByTestId('user-search').fill('@dave');
  await page.getByTestId('user-row-1002').click();
  await page.getByTestId('user-detail').waitFor();
  await page.getByTestId('user-unblock').click();
  await page.getByTestId('user-block').waitFor();
  await page.getByTestId('block-reason').fill('flows: blocked again');
  await page.getByTestId('user-block').click();
  await page.getByTestId('user-blocked').waitFor();
  await page.getByTestId('back').click(); // closes the detail, not the screen
  await page.getByTestId('user-row-1002').waitFor();
  check('a user found by @username, unblocked and blocked with a reason; Back closes the detail');

  step = 'admin audit';
  await page.getByTestId('admin-tab-audit').click();
  await page.locator('[data-action="withdrawal.approve"]').first().waitFor();
  await page.locator('[data-action="user.block"]').first().waitFor();
  check('the audit trail lists the actions just taken');

  step = 'merchant invoices';
  await page.getByTestId('back').click();
  await page.getByTestId('open-merchant-1').click();
  await page.getByTestId('merchant-balance-TON').waitFor();
  const before = BigInt(await page.getByTestId('merchant-balance-TON').getAttribute('data-amount'));
  await page.getByTestId('invoice-list').waitFor();
  assert.equal(await page.locator('[data-testid^="invoice-status-"]').count(), 10);
  await shoot(page, ARTIFACTS, 'merchant-invoices-light', screenshots);
  await page.getByTestId('invoice-more').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="invoice-status-"]').length > 10);
  await page.getByTestId('invoice-filter-status').selectOption('expired');
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[data-testid^="invoice-status-"]')];
    return s.length > 0 && s.every((e) => e.getAttribute('data-status') === 'expired');
  });
  await page.getByTestId('invoice-filter-clear').click();
  check('merchant invoices: balances, cursor paging, status filter');

  step = 'merchant new invoice, paid while the owner watches';
  await page.getByTestId('merchant-tab-new').click();
  await page.getByTestId('new-invoice-amount').fill('0.5');
  await page.getByTestId('new-invoice-description').fill('Flows cake');
  await page.getByTestId('new-invoice-create').click();
  await page.getByTestId('new-invoice-link').waitFor();
  const invId = await textOf(page, 'new-invoice-id');
  assert.match(await textOf(page, 'new-invoice-link'), new RegExp(`startapp=${invId}$`));
  await page.getByTestId('new-invoice-share').waitFor();
  await page.getByTestId('merchant-tab-invoices').click();
  await page.locator(`[data-testid="invoice-status-${invId}"][data-status="created"]`).waitFor();
  const payer = await opened(invId);
  await payer.getByTestId('pay-button').click();
  await payer.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 20_000 });
  await payer.close();
  await page.locator(`[data-testid="invoice-status-${invId}"][data-status="paid"]`).waitFor({ timeout: 8000 });
  await page.waitForFunction((b) => BigInt(document.querySelector('[data-testid="merchant-balance-TON"]').dataset.amount) === b + 500000000n, before, { timeout: 15_000 });
  check('an invoice created on the dashboard, paid through its pay link, shows paid on the list\'s timer');

  step = 'merchant invoice detail';
  await page.getByTestId(`invoice-${invId}`).click();
  await waitText(page, 'invoice-detail-status', 'paid', 5000);
  const delivery = page.locator('[data-testid^="delivery-status-"]').first();
  await delivery.waitFor();
  const eid = (await delivery.getAttribute('data-testid')).slice('delivery-status-'.length);
  await page.locator(`[data-testid="delivery-status-${eid}"][data-status="delivered"]`).waitFor({ timeout: 8000 });
  await page.getByTestId(`redeliver-${eid}`).click();
  await page.locator(`[data-testid="delivery-status-${eid}"][data-status="pending"]`).waitFor();
  await page.locator(`[data-testid="delivery-status-${eid}"][data-status="delivered"]`).waitFor({ timeout: 8000 });
  await page.getByTestId('back').click();
  await page.getByTestId('invoice-list').waitFor();
  check('invoice detail: paid, its delivery redelivered and delivered again');

  step = 'merchant webhook and token';
  await page.getByTestId('merchant-tab-webhook').click();
  await page.getByTestId('webhook-test').click();
  await page.getByTestId('webhook-done').waitFor();
  await page.getByTestId('webhook-rotate').click();
  assert.match(await page.getByTestId('webhook-secret').textContent(), /^whsec_/);
  await page.getByTestId('merchant-tab-settings').click();
  await page.getByTestId('token-rotate').click();
  await page.getByTestId('token-rotate-confirm').click();
  assert.match(await page.getByTestId('token-value').textContent(), /^tp_/);
  check('webhook test event, secret rotated and shown once, API token rotated after a confirm');

  step = 'merchant payout';
  await page.getByTestId('merchant-tab-payouts').click();
  await page.getByTestId('payout-address').fill(walletAddress);
  await page.getByTestId('payout-amount').fill('1');
  await page.getByTestId('payout-get-quote').click();
  await page.getByTestId('payout-quote').waitFor();
  assert.match(await textOf(page, 'quote-total'), /1\.01 GRAM/);
  await page.getByTestId('payout-confirm').click();
  await page.getByTestId('payout-done').waitFor();
  const payoutPosts = tg.stats.requests.filter((r) => r.method === 'POST' && r.path === '/api/merchant/1/payouts');
  assert.equal(payoutPosts.length, 1);
  await page.locator('[data-testid^="payout-status-"]').first().waitFor();
  check('merchant payout: quote, then confirm with a spend_id');

  step = 'blocked user';
  const dave = await tg.context.newPage();
  tg.watch(dave, 'light');
  const daveInit = new URLSearchParams({ user: JSON.stringify({ id: 1002, first_name: 'Dave', username: 'dave' }), auth_date: String(Math.floor(Date.now() / 1000)), hash: 'f'.repeat(64) });
  await dave.goto(launchUrl(BASE_URL, daveInit.toString(), 'light', 'unknown'));
  await dave.getByTestId('blocked').waitFor();
  assert.equal(await dave.getByTestId('nav-topup').count(), 0);
  assert.equal(await dave.getByTestId('session-expired').count(), 0);
  await dave.close();
  check('a blocked user sees a notice instead of actions');

  await finish(null, { polls_while_down: pollsWhenDown });
} catch (e) {
  await finish(e);
}
