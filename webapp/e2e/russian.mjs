// Every screen of the Mini App as a Russian-speaking person sees it (initData's language_code "ru"):
// the user's home, top-up, withdrawal and history; the admin dashboard's tabs and a user's page;
// the merchant owner's tabs and an invoice. On each, the visible words (text, placeholders, labels,
// select options and Telegram's MainButton) are checked against the dictionaries: no English
// dictionary text that differs from its Russian one, and no Latin word but names (Gram, GRAM,
// USDT, TON, TON Connect, Telegram, Stars, tonpay) and codes in capitals. Addresses, hashes, ids and
// other identifiers (shown in .mono/.address) are not words and are skipped.
//
// Run by cmd/tonpay's TestMiniAppInRussianInBrowser. Env: BASE_URL, USER_INIT, ADMIN_INIT,
// OWNER_INIT (signed initData with language_code "ru"), USER_ID, MERCHANT_ID; CHROMIUM,
// ARTIFACTS_DIR. Prints one JSON line {"ok":true,"screens":{...},"ru_keys_seen":n,...} or
// {"ok":false,"problems":[...],...}.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, launchUrl, shoot, telegramContext } from './harness.mjs';

const env = process.env;
for (const k of ['BASE_URL', 'USER_INIT', 'ADMIN_INIT', 'OWNER_INIT', 'USER_ID', 'MERCHANT_ID']) {
  if (!env[k]) {
    console.log(JSON.stringify({ ok: false, error: `${k} is required` }));
    process.exit(1);
  }
}
const BASE_URL = env.BASE_URL.replace(/\/+$/, '');
const ARTIFACTS = resolve(env.ARTIFACTS_DIR || 'e2e-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
const en = JSON.parse(readFileSync(new URL('../src/i18n/en.json', import.meta.url), 'utf8'));
const ru = JSON.parse(readFileSync(new URL('../src/i18n/ru.json', import.meta.url), 'utf8'));

const ALLOWED = new Set(['Gram', 'GRAM', 'USDT', 'TON', 'Connect', 'Telegram', 'Stars', 'XTR', 'tonpay', 'API']);
const logs = [];
const log = (s) => logs.length < 200 && logs.push(s.slice(0, 400));
const screens = {};
const problems = [];
const screenshots = [];
let step = 'launch';

/** The words a person sees on the page now (identifiers skipped), and the MainButton's text. */
async function visibleWords(page) {
  const words = await page.evaluate(() => {
    const out = [];
    const skip = (el) => el.closest('.mono, .address, script, style, [aria-hidden="true"]');
    const shown = (el) => el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null;
    const walker = document.createTreeWalker(document.getElementById('root'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const s = n.textContent.trim();
      if (s && el && !skip(el) && shown(el)) out.push(s);
    }
    for (const el of document.querySelectorAll('#root [placeholder], #root [aria-label], #root option, #root svg title')) {
      if (skip(el)) continue;
      for (const s of [el.getAttribute('placeholder'), el.getAttribute('aria-label'), el.tagName === 'OPTION' || el.tagName === 'title' ? el.textContent : null]) {
        if (s && s.trim()) out.push(s.trim());
      }
    }
    const mb = (window.__tgEvents || []).filter((e) => e.type === 'web_app_setup_main_button').pop();
    if (mb?.data?.is_visible && mb.data.text) out.push(String(mb.data.text));
    return out;
  });
  return words;
}

const fragments = (s) => s.split(/\{\w+\}/).map((f) => f.trim()).filter((f) => /[A-Za-z]{3,}/.test(f));
const seenRu = new Set();

async function check(page, name) {
  step = `check ${name}`;
  await page.waitForFunction(() => !document.querySelector('[data-testid="dash-loading"], [data-testid="loading"], [data-testid="invoice-loading"]'), null, { timeout: 15_000 }).catch(() => {});
  const texts = await visibleWords(page);
  const all = texts.join('\n');
  screens[name] = texts.length;
  for (const t of texts) {
    // Identifiers inside a sentence are not words: addresses, hashes, links.
    const words = t.replace(/https?:\/\/\S+/g, ' ').replace(/[A-Za-z0-9_+/=-]{40,}/g, ' ').replace(/\b[0-9a-f]{4,}…[0-9a-f]{4,}\b/g, ' ');
    for (const w of words.match(/[A-Za-z][A-Za-z'’]+/g) ?? []) {
      if (ALLOWED.has(w) || /^[A-Z0-9_]+$/.test(w)) continue;
      problems.push({ screen: name, latin: w, in: t.slice(0, 120) });
    }
  }
  for (const [key, text] of Object.entries(en)) {
    if (text === ru[key]) continue;
    for (const f of fragments(text)) {
      if (new RegExp(`(^|[^A-Za-z])${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z])`).test(all)) problems.push({ screen: name, english_key: key, text: f });
    }
  }
  for (const [key, text] of Object.entries(ru)) {
    const parts = text.split(/\{\w+\}/).map((f) => f.trim()).filter((f) => f.length >= 3);
    if (parts.length && parts.every((p) => all.includes(p))) seenRu.add(key);
  }
  await shoot(page, ARTIFACTS, `ru-${name}`, screenshots);
}

async function open(browser, initData, who) {
  const tg = await telegramContext(browser, { baseUrl: BASE_URL, log });
  const page = await tg.context.newPage();
  tg.watch(page, who);
  await page.goto(launchUrl(BASE_URL, initData, 'light'));
  await page.getByTestId('nav-topup').or(page.getByTestId('error')).first().waitFor({ timeout: 30_000 });
  if (await page.getByTestId('error').isVisible()) throw new Error(`${who}: ${await page.getByTestId('error').textContent()}`);
  return page;
}
const back = (page) => page.evaluate(() => window.Telegram.WebView.receiveEvent('back_button_pressed'));

const browser = await launchBrowser();
try {
  // ---- the user ----
  step = 'user';
  let p = await open(browser, env.USER_INIT, 'user');
  if ((await p.evaluate(() => document.documentElement.lang)) !== 'ru') throw new Error('the page did not take language_code ru');
  await check(p, 'home');
  await p.getByTestId('nav-topup').click();
  await p.getByTestId('topup-amount').fill('0,0000000001');
  await p.getByTestId('amount-error').waitFor();
  await p.getByTestId('manual-deposit').locator('summary').click();
  await check(p, 'topup');
  await back(p);
  await p.getByTestId('nav-withdraw').click();
  await p.getByTestId('withdraw-address').fill('abc');
  await p.getByTestId('withdraw-amount').fill('100000');
  await p.getByTestId('withdraw-amount-error').waitFor();
  await check(p, 'withdraw');
  await back(p);
  await p.getByTestId('nav-history').click();
  await p.getByTestId('history-item').first().waitFor({ timeout: 15_000 });
  await check(p, 'history');

  // ---- the admin ----
  step = 'admin';
  p = await open(browser, env.ADMIN_INIT, 'admin');
  await check(p, 'admin-home');
  await p.getByTestId('open-admin').click();
  for (const tab of ['overview', 'approvals', 'unmatched', 'withdrawals', 'merchants', 'users', 'audit']) {
    step = `admin ${tab}`;
    await p.getByTestId(`admin-tab-${tab}`).click();
    await p.locator(`[data-testid="admin-tab-${tab}"][aria-selected="true"]`).waitFor();
    if (tab === 'overview') await p.getByTestId('payouts-state').waitFor({ timeout: 15_000 });
    if (tab === 'users') {
      await check(p, 'admin-users-empty');
      await p.getByTestId('user-search').fill(env.USER_ID);
      await p.getByTestId(`user-row-${env.USER_ID}`).click({ timeout: 15_000 });
      await p.getByTestId('user-detail').waitFor({ timeout: 15_000 });
      await check(p, 'admin-user');
      await back(p);
      continue;
    }
    if (tab === 'unmatched') {
      const assign = p.locator('[data-testid^="assign-"]').first();
      if (await assign.isVisible()) {
        await assign.click();
        await p.getByTestId('assign-to').fill('x');
        await p.getByTestId('assign-confirm').click();
      }
    }
    if (tab === 'approvals') {
      const reject = p.locator('[data-testid^="reject-"]').first();
      await reject.waitFor({ timeout: 15_000 });
      await reject.click();
      await p.getByTestId('reject-confirm').click(); // no reason: the form says why
    }
    await check(p, `admin-${tab}`);
  }

  // ---- the merchant's owner ----
  step = 'owner';
  p = await open(browser, env.OWNER_INIT, 'owner');
  await p.getByTestId(`open-merchant-${env.MERCHANT_ID}`).click();
  await p.getByTestId('merchant').waitFor({ timeout: 15_000 });
  for (const tab of ['invoices', 'new', 'payouts', 'webhook', 'settings', 'audit']) {
    step = `merchant ${tab}`;
    await p.getByTestId(`merchant-tab-${tab}`).click();
    await p.locator(`[data-testid="merchant-tab-${tab}"][aria-selected="true"]`).waitFor();
    if (tab === 'invoices') {
      await p.getByTestId('invoice-list').waitFor({ timeout: 15_000 });
      await check(p, 'merchant-invoices');
      await p.locator('[data-testid="invoice-list"] button').first().click();
      await p.getByTestId('invoice-detail').waitFor({ timeout: 15_000 });
      await check(p, 'merchant-invoice');
      await back(p);
      continue;
    }
    if (tab === 'new') await p.getByTestId('new-invoice-amount').fill('1,0000000001');
    if (tab === 'payouts') await p.getByTestId('payout-address').fill('abc');
    if (tab === 'settings') await p.getByTestId('token-rotate').click();
    await check(p, `merchant-${tab}`);
  }

  const ok = problems.length === 0;
  console.log(
    JSON.stringify({
      ok,
      screens,
      ru_keys_seen: seenRu.size,
      ru_keys_total: Object.keys(ru).length,
      problems: problems.slice(0, 60),
      screenshots: screenshots.length,
      ...(ok ? {} : { console: logs.slice(-40) }),
    }),
  );
  await browser.close();
  process.exit(ok ? 0 : 1);
} catch (e) {
  console.log(JSON.stringify({ ok: false, step, error: String(e?.message || e), screens, problems: problems.slice(0, 40), console: logs.slice(-60) }));
  await browser.close().catch(() => {});
  process.exit(1);
}
