// Drives the sandbox (`tonpay` with no configuration, as `make run` starts it) in headless
// Chromium, as a new user would: faucet, connect the sandbox wallet (a real ton_proof), top up
// 2 GRAM, talk to the bot in the chat panel, withdraw 1 GRAM back to the wallet, pay a merchant
// invoice created over /api/v1 and see its signed webhook. Prints one JSON line.
// Env: BASE_URL, ARTIFACTS_DIR, CHROMIUM.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser } from './harness.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const ARTIFACTS = resolve(process.env.ARTIFACTS_DIR || 'e2e-artifacts');
const T = Number(process.env.E2E_TIMEOUT_MS || 30_000);
mkdirSync(ARTIFACTS, { recursive: true });

const logs = [];
const log = (s) => {
  logs.push(s.length > 500 ? s.slice(0, 500) + '…' : s);
  if (logs.length > 200) logs.shift();
};
const screenshots = [];
const checks = [];
let step = 'launch';
let page = null;
const browser = await launchBrowser();
const hardStop = setTimeout(() => void finish(new Error('overall timeout (180 s)')), 180_000);

async function finish(err) {
  clearTimeout(hardStop);
  let shot = null;
  if (err && page) {
    shot = join(ARTIFACTS, 'sandbox-failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => (shot = null));
  }
  console.log(JSON.stringify(err
    ? { ok: false, step, error: String(err?.message || err).replace(/\u001b\[[0-9;]*m/g, ''), checks, screenshot: shot, console: logs }
    : { ok: true, checks, screenshots }));
  await browser.close().catch(() => {});
  process.exit(err ? 1 : 0);
}

async function shoot(name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  screenshots.push(path);
}


try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 }, locale: 'en-US', serviceWorkers: 'block' });
  const base = new URL(BASE);
  // Offline, as on CI: anything but this server is refused.
  await context.route((u) => u.origin !== base.origin, (route) => route.abort('internetdisconnected'));
  page = await context.newPage();
  page.on('console', (m) => { if (!m.text().startsWith('[Telegram.WebView]')) log(`[console ${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));

  step = 'open';
  await page.goto(`${BASE}/sandbox/?user=1001`);
  await page.getByTestId('sandbox-bar').waitFor();
  const app = page.frameLocator('[data-testid="app-frame"]');

  step = 'faucet';
  // One at a time, each waited for: the USDT faucet's 0.2 GRAM alone must not
  // pass for "funded" (the 2 GRAM top-up would then fail on chain).
  const walletHas = (id, min) =>
    page.waitForFunction(([i, m]) => Number(document.querySelector(`[data-testid="sandbox-wallet-${i}"]`)?.textContent) >= m, [id, min], { timeout: T });
  await page.getByTestId('faucet-ton').click(); // enabled once the page's script is ready
  await walletHas('ton', 9); // 10 GRAM less the receiving transaction's fees
  await page.getByTestId('faucet-usdt').click();
  await walletHas('usdt', 100);
  checks.push('faucet gave GRAM and USDT');

  step = 'connect';
  await app.getByTestId('connect-wallet').click({ timeout: T });
  await app.getByTestId('wallet-address').waitFor({ timeout: T });
  checks.push('sandbox wallet connected with a ton_proof the service verified');

  step = 'top up';
  await app.getByTestId('nav-topup').click();
  await app.getByTestId('topup-asset').selectOption('GRAM');
  await app.getByTestId('topup-amount').fill('2');
  await app.getByTestId('pay-button').click();
  await app.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: T });
  checks.push('topped up 2 GRAM; paid pushed');
  await shoot('sandbox-topup-light');
  await app.getByTestId('done-button').click();

  step = 'chat';
  const botSaid = (want) => page.waitForFunction((w) => [...document.querySelectorAll('[data-testid="chat-bot"]')].some((e) => e.textContent.includes(w)), want, { timeout: T });
  await page.getByTestId('chat-input').fill('/start');
  await page.getByTestId('chat-send').click();
  await botSaid('Your balance');
  await page.getByTestId('chat-input').fill('/balance');
  await page.getByTestId('chat-send').click();
  await botSaid('2 GRAM');
  checks.push('/start and /balance answered in the chat panel with the new balance');

  step = 'withdraw';
  const walletTON = () => page.evaluate(async () => Number((await (await fetch('/sandbox/api/wallet?user=1001')).json()).ton));
  const before = await walletTON();
  await app.getByTestId('nav-withdraw').click();
  await app.getByTestId('withdraw-use-wallet').click();
  await app.getByTestId('withdraw-amount').fill('1');
  await app.getByTestId('withdraw-quote').waitFor({ timeout: T });
  await app.getByTestId('withdraw-submit').click();
  await app.locator('[data-testid="withdrawal-status"][data-status="confirmed"]').waitFor({ timeout: T });
  const deadline = Date.now() + T;
  while ((await walletTON()) < before + 0.99) {
    if (Date.now() > deadline) throw new Error(`the sandbox wallet holds ${await walletTON()} GRAM, had ${before} before the withdrawal`);
    await page.waitForTimeout(300);
  }
  await botSaid('has arrived');
  checks.push('withdrew 1 GRAM: arrived in the sandbox wallet, the bot told the user');
  await shoot('sandbox-withdraw-light');

  step = 'merchant invoice';
  await page.getByTestId('new-invoice').click();
  const payUrl = await page.getByTestId('pay-url').getAttribute('href', { timeout: T });
  await page.goto(`${payUrl}&user=1001`);
  const inv = page.frameLocator('[data-testid="app-frame"]');
  await inv.getByTestId('pay-button').click({ timeout: T });
  await inv.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: T });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="webhook"]')].some((e) => e.textContent.includes('invoice.paid') && e.textContent.includes('verified')), null, { timeout: T });
  checks.push('merchant invoice from /api/v1 paid in the sandbox page; signed webhook delivered and verified');
  await shoot('sandbox-merchant-light');

  step = 'dark';
  await page.getByTestId('theme').click();
  await page.waitForTimeout(1500);
  await shoot('sandbox-dark');
  await finish(null);
} catch (err) {
  await finish(err);
}
