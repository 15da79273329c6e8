// The admin and merchant-owner dashboards through the real page in headless Debian Chromium.
//
//   node webapp/e2e/dashboards.mjs
//
// Run by cmd/tonpay's TestDashboardsInBrowser, which prepares the service and the chain first.
// Env (all required unless a default is named):
//   BASE_URL            the server that serves the page and the API
//   ADMIN_INIT          signed initData of an admin (one of ADMIN_IDS)
//   USER_INIT, USER_ID  signed initData and id of a user
//   OWNER_INIT          signed initData of an owner of merchant MERCHANT_ID (not an admin)
//   WITHDRAWAL_ID       the user's withdrawal awaiting approval
//   UNMATCHED_ID        the chain event id of an unmatched deposit; UNMATCHED_UNITS its amount (nanoton)
//   MERCHANT_ID         the owner's merchant
//   MERCHANT_SITE       the merchant's server: POST /pay {merchant_id, invoice_id} has a customer pay
//                       the invoice on chain; POST /secret {secret} tells its webhook endpoint the
//                       signing secret the owner just rotated to
//   INVOICE_AMOUNT      Gram the owner asks (default 2.5); INVOICE_DESCRIPTION (default "E2E order")
//   ARTIFACTS_DIR       where screenshots go (default ./e2e-artifacts)
//   CHROMIUM            browser binary (default /usr/bin/chromium)
//
// The admin approves the withdrawal and waits for it to be confirmed, then assigns the unmatched
// deposit to the user, whose own page must show its balance grow by exactly UNMATCHED_UNITS
// (pushed by the server). The owner creates an invoice with the MainButton, has it paid, sees it
// paid and its webhook delivered, rotates the webhook secret, hands it to the merchant's server and
// redelivers the event, which must show delivered again. Last, the admin overview and the
// merchant's invoice list are photographed in light and dark.
//
// Prints one JSON line: {"ok":true,"invoice_id":...,"event_id":...,"new_secret":...,...} and exits
// 0, or {"ok":false,"step":...,"error":...,"console":[...],"screenshot":...} and exits 1.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, launchUrl, pressPrimary, shoot, telegramContext, textOf } from './harness.mjs';

const started = Date.now();
const env = process.env;
const REQUIRED = ['BASE_URL', 'ADMIN_INIT', 'USER_INIT', 'USER_ID', 'OWNER_INIT', 'WITHDRAWAL_ID', 'UNMATCHED_ID', 'UNMATCHED_UNITS', 'MERCHANT_ID', 'MERCHANT_SITE'];
for (const k of REQUIRED) {
  if (!env[k]) {
    console.log(JSON.stringify({ ok: false, error: `${k} is required` }));
    process.exit(1);
  }
}
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const SITE = env.MERCHANT_SITE.replace(/\/+$/, '');
const ARTIFACTS = resolve(env.ARTIFACTS_DIR || 'e2e-artifacts');
const WID = env.WITHDRAWAL_ID;
const UID = env.UNMATCHED_ID;
const MID = env.MERCHANT_ID;
const INVOICE_AMOUNT = env.INVOICE_AMOUNT || '2.5';
const INVOICE_DESCRIPTION = env.INVOICE_DESCRIPTION || 'E2E order';
mkdirSync(ARTIFACTS, { recursive: true });

const logs = [];
const log = (s) => {
  logs.push(s.length > 600 ? s.slice(0, 600) + '…' : s);
  if (logs.length > 300) logs.shift();
};
const screenshots = [];
const contexts = []; // each person's telegramContext stats
let step = 'launch';
let page = null; // the page a failure is photographed from

const browser = await launchBrowser();
const hardStop = setTimeout(() => void finish(new Error('overall timeout (240 s)')), 240_000);

async function finish(err, extra = {}) {
  clearTimeout(hardStop);
  let shot = null;
  if (err && page) {
    shot = join(ARTIFACTS, 'dashboards-failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => (shot = null));
  }
  const out = err
    ? { ok: false, step, error: String(err?.message || err).replace(/\u001b\[[0-9;]*m/g, ''), screenshot: shot, console: logs }
    : { ok: true, ...extra, screenshots, blocked: [...new Set(contexts.flatMap((st) => [...st.blocked]))], duration_ms: Date.now() - started };
  console.log(JSON.stringify(out));
  await browser.close().catch(() => {});
  process.exit(err ? 1 : 0);
}

async function postJSON(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** The Mini App as Telegram opens it for one person (own context: own session storage). */
async function openApp(initData, theme, name) {
  const tg = await telegramContext(browser, { baseUrl: BASE_URL, log });
  const p = await tg.context.newPage();
  tg.watch(p, name);
  contexts.push(tg.stats);
  page = p;
  await p.goto(launchUrl(BASE_URL, initData, theme));
  const fatal = p.getByTestId('error');
  await p.getByTestId('nav-topup').or(fatal).first().waitFor({ timeout: 30_000 });
  if (await fatal.isVisible()) throw new Error(`${name}: page error: ${await textOf(p, 'error')}`);
  return p;
}

async function openTab(p, prefix, name) {
  page = p;
  const t = p.getByTestId(`${prefix}-tab-${name}`);
  await t.click();
  await p.locator(`[data-testid="${prefix}-tab-${name}"][aria-selected="true"]`).waitFor({ timeout: 30_000 });
}

/**
 * Wait until the element's data-status is one of `want`; one of `bad` fails at once. Returns the
 * status and the words shown.
 */
async function waitStatus(p, testid, want, bad, timeout) {
  const h = await p.waitForFunction(
    ([id, w, b]) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      const st = el?.getAttribute('data-status');
      return st && (w.includes(st) || b.includes(st)) ? { status: st, text: el.textContent.trim() } : null;
    },
    [testid, want, bad],
    { timeout },
  );
  const got = await h.jsonValue();
  if (!want.includes(got.status)) throw new Error(`${testid} is ${got.status} (${got.text})`);
  return got;
}

/** Click, then wait for `done` or the screen's error notice (which fails with its words). */
async function clickAndWait(p, testid, done, errorTestid, timeout = 30_000) {
  await p.getByTestId(testid).click();
  const err = p.getByTestId(errorTestid);
  await done.or(err).first().waitFor({ timeout });
  if (await err.isVisible()) throw new Error(`${testid}: page says ${await textOf(p, errorTestid)}`);
}

const balanceOf = (p) => p.getByTestId('balance-GRAM').getAttribute('data-amount');

try {
  const result = {};

  // ---- 1. the admin approves the withdrawal and sees it paid ----
  step = 'admin: open';
  const admin = await openApp(env.ADMIN_INIT, 'light', 'admin');
  await admin.getByTestId('open-admin').click();
  await admin.getByTestId('admin-tab-overview').waitFor({ timeout: 30_000 });

  step = 'admin: approve';
  await openTab(admin, 'admin', 'approvals');
  const row = admin.getByTestId(`approval-${WID}`);
  await row.waitFor({ timeout: 30_000 });
  result.approval_row = (await row.innerText()).replace(/\s+/g, ' ').trim();
  await clickAndWait(admin, `approve-${WID}`, admin.getByTestId('action-done'), 'action-error');
  result.approved = await textOf(admin, 'action-done');
  await row.waitFor({ state: 'detached', timeout: 30_000 });

  step = 'admin: withdrawal paid';
  await openTab(admin, 'admin', 'withdrawals');
  const paid = await waitStatus(admin, `withdrawal-status-${WID}`, ['confirmed'], ['failed', 'refunded', 'rejected'], 90_000);
  result.withdrawal_shown = paid.text;

  // ---- 2. the admin assigns the unmatched deposit; the user's page shows it ----
  step = 'user: balance before';
  const user = await openApp(env.USER_INIT, 'light', 'user');
  result.balance_before = await balanceOf(user);
  if (!/^\d+$/.test(result.balance_before ?? '')) throw new Error(`balance-GRAM data-amount is ${result.balance_before}`);
  for (const id of ['open-admin', `open-merchant-${MID}`]) {
    if (await user.getByTestId(id).isVisible()) throw new Error(`a plain user is offered ${id}`);
  }

  step = 'admin: assign';
  await admin.bringToFront();
  await openTab(admin, 'admin', 'unmatched');
  await admin.getByTestId(`unmatched-${UID}`).waitFor({ timeout: 30_000 });
  await admin.getByTestId(`assign-${UID}`).click();
  await admin.getByTestId('assign-to').fill(env.USER_ID);
  await clickAndWait(admin, 'assign-confirm', admin.locator(`[data-testid="unmatched-status-${UID}"][data-resolution="assigned"]`), 'unmatched-error');
  result.assigned = await textOf(admin, `unmatched-status-${UID}`);
  if (await admin.getByTestId(`assign-${UID}`).isVisible()) throw new Error('Assign still offered for an assigned deposit');

  step = 'user: balance after';
  page = user;
  await user.bringToFront();
  const want = (BigInt(result.balance_before) + BigInt(env.UNMATCHED_UNITS)).toString();
  // Pushed over the event stream: the user's page is not reloaded.
  await user
    .waitForFunction((w) => document.querySelector('[data-testid="balance-GRAM"]')?.getAttribute('data-amount') === w, want, { timeout: 30_000 })
    .catch(async () => {
      throw new Error(`the user's balance shows ${await balanceOf(user)}, want ${want} (before ${result.balance_before})`);
    });
  result.balance_after = await balanceOf(user);
  result.balance_shown = await textOf(user, 'balance-GRAM');
  await user.close();

  // ---- 3. the merchant owner: invoice, payment, webhook, rotation, redelivery ----
  step = 'owner: open';
  const owner = await openApp(env.OWNER_INIT, 'light', 'owner');
  const toMerchant = owner.getByTestId(`open-merchant-${MID}`);
  await toMerchant.waitFor({ timeout: 30_000 });
  if (await owner.getByTestId('open-admin').isVisible()) throw new Error('the owner is offered the admin dashboard');
  await toMerchant.click();

  step = 'owner: new invoice';
  await openTab(owner, 'merchant', 'new');
  await owner.getByTestId('new-invoice-amount').fill(INVOICE_AMOUNT);
  await owner.getByTestId('new-invoice-description').fill(INVOICE_DESCRIPTION);
  const create = await pressPrimary(owner, 'new-invoice-create', '', log);
  result.create_button = `${create.in_page ? 'in-page' : 'MainButton'}: ${create.text}`;
  const newErr = owner.getByTestId('new-invoice-error');
  await owner.getByTestId('new-invoice-id').or(newErr).first().waitFor({ timeout: 30_000 });
  if (await newErr.isVisible()) throw new Error(`page says ${await textOf(owner, 'new-invoice-error')}`);
  const invoiceId = await textOf(owner, 'new-invoice-id');
  result.invoice_id = invoiceId;

  step = 'customer pays';
  result.paid_with = await postJSON(`${SITE}/pay`, { merchant_id: Number(MID), invoice_id: invoiceId });

  step = 'owner: invoice paid';
  await openTab(owner, 'merchant', 'invoices');
  result.invoice_shown = (await waitStatus(owner, `invoice-status-${invoiceId}`, ['paid'], ['expired'], 45_000)).text;

  step = 'owner: invoice delivered';
  await owner.getByTestId(`invoice-${invoiceId}`).click();
  const eventHandle = await owner.waitForFunction(
    () => {
      for (const li of document.querySelectorAll('[data-testid="deliveries"] > li')) {
        const id = (li.getAttribute('data-testid') ?? '').replace(/^delivery-/, '');
        const st = document.querySelector(`[data-testid="delivery-status-${id}"]`)?.getAttribute('data-status');
        if (st === 'delivered' && li.textContent.includes('invoice.paid')) return id;
      }
      return null;
    },
    null,
    { timeout: 45_000 },
  );
  const eid = await eventHandle.jsonValue();
  result.event_id = eid;
  await shoot(owner, ARTIFACTS, 'merchant-invoice-light', screenshots);

  step = 'owner: rotate secret';
  await owner.evaluate(() => window.Telegram.WebView.receiveEvent('back_button_pressed'));
  await openTab(owner, 'merchant', 'webhook');
  await clickAndWait(owner, 'webhook-rotate', owner.getByTestId('webhook-secret'), 'webhook-error');
  const secret = (await textOf(owner, 'webhook-secret')).match(/whsec_\w+/)[0];
  result.new_secret = secret;
  await postJSON(`${SITE}/secret`, { secret });

  step = 'owner: redeliver';
  // Delivered already: "again" is a second attempt on record, delivered (the list refreshes itself).
  const row2 = owner.getByTestId(`delivery-${eid}`);
  result.delivery_before = (await row2.innerText()).replace(/\s+/g, ' ').trim();
  await owner.getByTestId(`redeliver-${eid}`).click();
  const again = owner.locator(`[data-testid="delivery-${eid}"]`, { hasText: '2 attempts' }).filter({
    has: owner.locator(`[data-testid="delivery-status-${eid}"][data-status="delivered"]`),
  });
  const delivErr = owner.getByTestId('delivery-error');
  await again.or(delivErr).first().waitFor({ timeout: 45_000 });
  if (await delivErr.isVisible()) throw new Error(`page says ${await textOf(owner, 'delivery-error')}`);
  result.redelivered = (await row2.innerText()).replace(/\s+/g, ' ').trim();
  await shoot(owner, ARTIFACTS, 'merchant-webhook-light', screenshots);

  // ---- 4. light and dark: the admin overview, the merchant's invoices (freshly opened) ----
  for (const theme of ['light', 'dark']) {
    step = `screenshots: ${theme} overview`;
    const a = await openApp(env.ADMIN_INIT, theme, `admin-${theme}`);
    await a.getByTestId('open-admin').click();
    await a.getByTestId('overview-GRAM').waitFor({ timeout: 30_000 });
    await a.getByTestId('overview-sync').waitFor({ timeout: 30_000 });
    await shoot(a, ARTIFACTS, `dashboard-overview-${theme}`, screenshots);
    result[`overview_${theme}`] = {
      users: await textOf(a, 'overview-GRAM-users'),
      drift: await a.getByTestId('overview-GRAM-drift').getAttribute('data-drift'),
      unmatched: await textOf(a, 'overview-GRAM-unmatched'),
      awaiting: await textOf(a, 'overview-GRAM-awaiting'),
    };

    step = `screenshots: ${theme} invoices`;
    const o = await openApp(env.OWNER_INIT, theme, `owner-${theme}`);
    await o.getByTestId(`open-merchant-${MID}`).click();
    await waitStatus(o, `invoice-status-${invoiceId}`, ['paid'], ['expired'], 30_000);
    result[`merchant_balance_${theme}`] = await o.getByTestId('merchant-balance-GRAM').getAttribute('data-amount');
    await shoot(o, ARTIFACTS, `merchant-invoices-${theme}`, screenshots);
  }

  await finish(null, result);
} catch (e) {
  await finish(e);
}
